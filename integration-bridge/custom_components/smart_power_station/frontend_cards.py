"""Serve the add-on's Lovelace cards and load them on every dashboard.

The cards are one ES module (lovelace/ in the repository, built to smart-power-station-cards.js) that
the add-on's bridge installer and the release zip put in this integration's `frontend/` folder. HA
serves it from a static path, and `frontend.add_extra_js_url` makes every frontend page load it as a
module: the custom elements register themselves and list themselves in the card picker
(`window.customCards`), in storage- and YAML-mode dashboards alike, without touching the user's
Lovelace resources (what HACS plugins and, e.g., browser_mod do the same way). Loading it as a
resource in storage mode instead would write into the user's dashboard configuration, which a
YAML-mode user cannot have written for them.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant

from .const import CARDS_BUNDLE, CARDS_URL

_LOGGER = logging.getLogger(__name__)

BUNDLE_PATH = Path(__file__).with_name("frontend") / CARDS_BUNDLE


def _bundle_digest(path: Path) -> str | None:
    """A short content hash for the URL (HA serves static paths with long cache headers)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return None


async def async_register_cards(hass: HomeAssistant, bundle: Path = BUNDLE_PATH) -> str | None:
    """Serve the bundle and load it on every page; the URL loaded, or None when there is nothing to serve."""
    if hass.http is None or "frontend" not in hass.config.components:
        _LOGGER.debug("HA's frontend is not loaded; the Smart Power Station cards are not served")
        return None
    digest = await hass.async_add_executor_job(_bundle_digest, bundle)
    if digest is None:
        _LOGGER.warning(
            "The Smart Power Station cards are missing from %s; dashboards will not find them "
            "(the add-on copies them with the integration)",
            bundle,
        )
        return None
    await hass.http.async_register_static_paths([StaticPathConfig(CARDS_URL, str(bundle), True)])
    url = f"{CARDS_URL}?v={digest}"
    add_extra_js_url(hass, url)
    return url
