"""Smart Power Station bridge: shows the add-on's devices as Home Assistant devices and entities.

The add-on (TypeScript, packages/ha) connects in over HA's websocket API and drives this
integration with the commands in websocket_api.py; docs/bridge-protocol.md is the contract.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import voluptuous as vol

from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.typing import ConfigType

from .bridge import SpsBridge
from .const import (
    ADDON_ISSUE_PREFIX,
    DOMAIN,
    EVENT_BRIDGE,
    HUB_IDENTIFIER,
    ISSUE_RESTART_REQUIRED,
    PROTOCOL_VERSION,
)
from .frontend_cards import async_register_cards
from .services import async_register_services
from .websocket_api import async_register_commands

_LOGGER = logging.getLogger(__name__)

PLATFORMS = [
    Platform.SENSOR,
    Platform.BINARY_SENSOR,
    Platform.SWITCH,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.BUTTON,
]

# `smart_power_station:` (empty) in YAML is allowed and creates the config entry.
CONFIG_SCHEMA = vol.Schema({vol.Optional(DOMAIN): vol.Any(None, {})}, extra=vol.ALLOW_EXTRA)

type SpsConfigEntry = ConfigEntry[SpsBridge]


def read_installed_version() -> str:
    """The version in manifest.json on disk (the add-on may have replaced the files since HA loaded them)."""
    manifest = Path(__file__).with_name("manifest.json")
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("version", "unknown"))


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    hass.data[f"{DOMAIN}_version"] = await hass.async_add_executor_job(read_installed_version)
    # This start loaded what is on disk: a restart asked for before has happened.
    ir.async_delete_issue(hass, DOMAIN, ISSUE_RESTART_REQUIRED)
    async_register_commands(hass)
    async_register_services(hass)
    hass.data[f"{DOMAIN}_cards_url"] = await async_register_cards(hass)
    if DOMAIN in config and not hass.config_entries.async_entries(DOMAIN):
        hass.async_create_task(
            hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_IMPORT}, data={})
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SpsConfigEntry) -> bool:
    bridge = SpsBridge(hass, entry)
    # Which translation keys have a name here decides, per entity, translated name or the add-on's.
    bridge.set_translated_keys(await async_get_translations(hass, "en", "entity", [DOMAIN]))
    await bridge.async_load()
    entry.runtime_data = bridge
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Tell a connected add-on to (re)declare: after an HA restart it reconnects anyway,
    # but after a reload of just this integration its old subscription is gone.
    hass.bus.async_fire(
        EVENT_BRIDGE,
        {"type": "loaded", "version": hass.data.get(f"{DOMAIN}_version"), "protocol": PROTOCOL_VERSION},
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SpsConfigEntry) -> bool:
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        entry.runtime_data.shutdown()
        hass.bus.async_fire(EVENT_BRIDGE, {"type": "unloaded", "protocol": PROTOCOL_VERSION})
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SpsConfigEntry) -> None:
    """Removing the integration removes the add-on's repair issues with it (they are persistent)."""
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(ADDON_ISSUE_PREFIX):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SpsConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device the add-on no longer declares (not the hub, not live ones)."""
    bridge = entry.runtime_data
    serials = {ident for dom, ident in device.identifiers if dom == DOMAIN}
    if HUB_IDENTIFIER in serials:
        return False
    return not any(d.serial in serials for d in bridge.devices.values())


