"""The cards' side of the bridge: the read-only query command and the served bundle."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_power_station.const import CARDS_URL, DOMAIN
from custom_components.smart_power_station.frontend_cards import async_register_cards

from .conftest import AddonClient


async def test_query_travels_to_the_addon_and_returns_its_body(
    hass: HomeAssistant, addon: AddonClient, hass_ws_client: Any, hass_read_only_access_token: str
) -> None:
    # A user who is not an administrator: the cards sit on every user's dashboards.
    card = AddonClient(await hass_ws_client(hass, hass_read_only_access_token))
    asking = asyncio.ensure_future(card.command("query", path="/api/readings/history?key=battery_soc&device=b1"))
    event = await addon.next_event()
    assert event["kind"] == "query"
    assert event["path"] == "/api/readings/history?key=battery_soc&device=b1"
    body = {"device": "b1", "key": "battery_soc", "points": [{"t": "2026-01-01T00:00:00Z", "mean": 50}]}
    await addon.ok("action_result", request_id=event["request_id"], success=True, result={"body": body})
    reply = await asking
    assert reply["success"], reply
    assert reply["result"] == body


async def test_query_failure_carries_the_addons_reason(
    hass: HomeAssistant, addon: AddonClient, hass_ws_client: Any
) -> None:
    card = AddonClient(await hass_ws_client(hass))
    asking = asyncio.ensure_future(card.command("query", path="/api/plan"))
    event = await addon.next_event()
    await addon.ok(
        "action_result", request_id=event["request_id"], success=False, error="key: expected a reading key"
    )
    reply = await asking
    assert not reply["success"]
    assert reply["error"]["code"] == "query_failed"
    assert "key: expected a reading key" in reply["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/devices/b1/commands",
        "/api/../api/plan",
        "/api/stream",
        "api/plan",
        "/api/plan?x=<script>",
        "/api/plan?" + "a" * 600,
    ],
)
async def test_query_refuses_paths_off_the_allow_list(
    hass: HomeAssistant, addon: AddonClient, hass_ws_client: Any, path: str
) -> None:
    card = AddonClient(await hass_ws_client(hass))
    reply = await card.command("query", path=path)
    assert not reply["success"]
    assert reply["error"]["code"] == "invalid_format"


async def test_query_without_the_addon_says_so(
    hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any
) -> None:
    card = AddonClient(await hass_ws_client(hass))
    reply = await card.command("query", path="/api/plan")
    assert not reply["success"]
    assert reply["error"]["code"] == "addon_not_connected"


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _setup_frontend(hass: HomeAssistant) -> None:
    """HA's frontend, with its HTTP server on loopback only (its default is every address, port 8123)."""
    http = {"server_host": ["127.0.0.1"], "server_port": _free_loopback_port()}
    assert await async_setup_component(hass, "http", {"http": http})
    assert await async_setup_component(hass, "frontend", {})


async def test_the_bundle_is_served_and_loaded_on_every_page(
    hass: HomeAssistant, hass_client: Any, tmp_path: Path
) -> None:
    await _setup_frontend(hass)
    bundle = tmp_path / "smart-power-station-cards.js"
    bundle.write_text("customElements.define('sps-test', class extends HTMLElement {});\n", encoding="utf-8")
    url = await async_register_cards(hass, bundle)
    assert url is not None
    assert url.startswith(f"{CARDS_URL}?v=")
    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert "sps-test" in await response.text()
    # Every frontend page loads the extra modules (the index and every panel's page).
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls


async def test_a_missing_bundle_is_logged_not_fatal(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await _setup_frontend(hass)
    assert await async_register_cards(hass, tmp_path / "absent.js") is None
    assert "cards are missing" in caplog.text


async def test_the_integration_loads_without_a_frontend(hass: HomeAssistant, bridge_entry: MockConfigEntry) -> None:
    # No frontend in this HA (e.g. a headless test): nothing is served and setup still succeeds.
    assert hass.data[f"{DOMAIN}_cards_url"] is None
