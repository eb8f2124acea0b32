"""Fixtures: a real in-process HA core (pytest-homeassistant-custom-component) with the bridge."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_power_station.const import DOMAIN

SERIAL = "A2301234567"
DEVICE_ID = "sungrow-1"

DEVICE: dict[str, Any] = {
    "id": DEVICE_ID,
    "name": "Sungrow SH10RT",
    "manufacturer": "Sungrow",
    "model": "SH10RT",
    "serial": SERIAL,
    "firmware": "SAPPHIRE-H_01011.95.05",
    "configuration_url": "homeassistant://hassio/ingress/smart_power_station",
    "entities": [
        # As the add-on declares them: a translation key (its name, icon and states come from the
        # bridge's translations) and the English name a bridge without that key would show.
        {"key": "battery_soc", "platform": "sensor", "translation_key": "battery_soc",
         "name": "Battery state of charge", "device_class": "battery",
         "state_class": "measurement", "unit": "%"},
        {"key": "battery_power", "platform": "sensor", "translation_key": "battery_power", "name": "Battery power", "device_class": "power",
         "state_class": "measurement", "unit": "W", "icon": "mdi:battery-charging"},
        {"key": "pv_energy", "platform": "sensor", "translation_key": "pv_energy", "name": "PV energy", "device_class": "energy",
         "state_class": "total_increasing", "unit": "kWh", "suggested_display_precision": 2},
        {"key": "grid_connected", "platform": "binary_sensor", "name": "Grid connected",
         "device_class": "connectivity", "entity_category": "diagnostic"},
        {"key": "backup_relay", "platform": "switch", "name": "Backup relay",
         "command": {"command": "set_relay", "field": "on"}},
        {"key": "backup_reserve", "platform": "number", "translation_key": "backup_reserve",
         "name": "Backup reserve", "unit": "%", "min": 0,
         "max": 100, "step": 1, "mode": "slider", "entity_category": "config",
         "command": {"command": "set_backup_reserve", "field": "percent"}},
        {"key": "operating_mode", "platform": "select", "name": "Operating mode",
         "options": ["self_consumption", "force_charge", "force_discharge"],
         "command": {"command": "set_operating_mode", "field": "mode"}},
        {"key": "restore_normal", "platform": "button", "translation_key": "restore_normal",
         "name": "Restore normal",
         "command": {"command": "restore_normal"}},
    ],
}


def declaration(*devices: dict[str, Any]) -> dict[str, Any]:
    return {
        "hub": {"name": "Smart Power Station", "addon_version": "0.1.0",
                "configuration_url": "homeassistant://hassio/ingress/smart_power_station"},
        "devices": [copy.deepcopy(d) for d in (devices or (DEVICE,))],
    }


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: Any) -> None:
    """Let HA load custom_components/smart_power_station."""


@pytest.fixture
async def bridge_entry(hass: HomeAssistant) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title="Smart Power Station", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


class AddonClient:
    """The add-on's side of the protocol, over HA's real websocket API."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 1
        self.subscription_id: int | None = None

    async def command(self, type_: str, **payload: Any) -> dict[str, Any]:
        msg_id = self.next_id
        self.next_id += 1
        await self.ws.send_json({"id": msg_id, "type": f"{DOMAIN}/{type_}", **payload})
        while True:
            reply = await self.ws.receive_json()
            if reply.get("id") == msg_id and reply["type"] == "result":
                return reply

    async def ok(self, type_: str, **payload: Any) -> Any:
        reply = await self.command(type_, **payload)
        assert reply["success"], reply
        return reply["result"]

    async def subscribe(self) -> None:
        self.subscription_id = self.next_id
        await self.ok("subscribe", addon_version="0.1.0")

    async def next_event(self) -> dict[str, Any]:
        while True:
            msg = await self.ws.receive_json()
            if msg["type"] == "event" and msg["id"] == self.subscription_id:
                return msg["event"]


@pytest.fixture
async def addon(hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any) -> AddonClient:
    client = AddonClient(await hass_ws_client(hass))
    client.next_id = 10
    await client.ok("hello", protocol=1, addon_version="0.1.0")
    await client.subscribe()
    await client.ok("declare", **declaration())
    await hass.async_block_till_done()
    return client
