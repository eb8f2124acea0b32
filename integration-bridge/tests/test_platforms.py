"""Each platform: attributes HA sees, and every action round-tripping through the subscription."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from custom_components.smart_power_station import const

from .conftest import DEVICE, DEVICE_ID, AddonClient, declaration


async def test_sensor_attributes_for_energy_dashboard(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok(
        "states",
        states=[
            {"device_id": DEVICE_ID, "key": "pv_energy", "state": 1234.567},
            {"device_id": DEVICE_ID, "key": "battery_power", "state": 800},
        ],
    )
    energy = hass.states.get("sensor.sungrow_sh10rt_pv_energy")
    assert energy.state == "1234.567"
    assert energy.attributes["device_class"] == "energy"
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    power = hass.states.get("sensor.sungrow_sh10rt_battery_power")
    assert power.attributes["state_class"] == "measurement"
    assert power.attributes["unit_of_measurement"] == "W"
    # A translated entity: its name comes from translations/en.json, its icon from icons.json
    # (the frontend resolves it, so the state carries none).
    assert power.attributes["friendly_name"] == "Sungrow SH10RT Battery power"
    assert "icon" not in power.attributes
    assert er.async_get(hass).async_get("sensor.sungrow_sh10rt_battery_power").translation_key == "battery_power"


async def test_unknown_translation_key_falls_back_to_the_addons_name_and_icon(
    hass: HomeAssistant, addon: AddonClient
) -> None:
    """An add-on newer than the bridge may send a key the bridge has no name for."""
    device = copy.deepcopy(DEVICE)
    device["entities"] = [
        {"key": "dr_event", "platform": "sensor", "translation_key": "dr_event_brand_new",
         "name": "Demand response event", "icon": "mdi:flash-alert"},
        {"key": "relay_1", "platform": "switch", "translation_key": "relay_channel",
         "translation_placeholders": {"channel": "1"}, "name": "Relay (channel 1)"},
        {"key": "mode", "platform": "select", "translation_key": "ems_mode", "name": "EMS mode",
         "options": ["self_consumption", "forced"]},
    ]
    await addon.ok("declare", **declaration(device))
    await hass.async_block_till_done()
    fallback = hass.states.get("sensor.sungrow_sh10rt_demand_response_event")
    assert fallback is not None
    assert fallback.attributes["icon"] == "mdi:flash-alert"
    assert er.async_get(hass).async_get("sensor.sungrow_sh10rt_demand_response_event").translation_key is None
    # Placeholders fill the translated name; select states are translated by the frontend from the same key.
    relay = hass.states.get("switch.sungrow_sh10rt_relay_channel_1")
    assert relay is not None
    assert relay.attributes["friendly_name"] == "Sungrow SH10RT Relay (channel 1)"
    mode = er.async_get(hass).async_get("select.sungrow_sh10rt_ems_mode")
    assert mode is not None and mode.translation_key == "ems_mode"

    # A re-declaration that changes the key re-applies the presentation to the live entity.
    device["entities"][0]["translation_key"] = "savings_today"
    await addon.ok("declare", **declaration(device))
    await addon.ok("states", states=[{"device_id": DEVICE_ID, "key": "dr_event", "state": 1}])
    await hass.async_block_till_done()
    renamed = hass.states.get("sensor.sungrow_sh10rt_demand_response_event")
    assert renamed.attributes["friendly_name"] == "Sungrow SH10RT Savings today"
    assert "icon" not in renamed.attributes


async def test_binary_sensor_and_category(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("states", states=[{"device_id": DEVICE_ID, "key": "grid_connected", "state": True}])
    state = hass.states.get("binary_sensor.sungrow_sh10rt_grid_connected")
    assert state.state == "on"
    assert state.attributes["device_class"] == "connectivity"
    entry = er.async_get(hass).async_get("binary_sensor.sungrow_sh10rt_grid_connected")
    assert entry.entity_category == "diagnostic"


async def test_number_select_attributes(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok(
        "states",
        states=[
            {"device_id": DEVICE_ID, "key": "backup_reserve", "state": 20},
            {"device_id": DEVICE_ID, "key": "operating_mode", "state": "force_charge"},
        ],
    )
    number = hass.states.get("number.sungrow_sh10rt_backup_reserve_min_soc")
    assert number.state == "20.0"
    assert (number.attributes["min"], number.attributes["max"], number.attributes["step"]) == (0, 100, 1)
    assert number.attributes["mode"] == "slider"
    select = hass.states.get("select.sungrow_sh10rt_operating_mode")
    assert select.state == "force_charge"
    assert select.attributes["options"] == ["self_consumption", "force_charge", "force_discharge"]


async def _call_and_answer(
    hass: HomeAssistant,
    addon: AddonClient,
    domain: str,
    service: str,
    data: dict[str, Any],
    answer: dict[str, Any],
) -> tuple[dict[str, Any], asyncio.Task[Any]]:
    call = hass.async_create_task(hass.services.async_call(domain, service, data, blocking=True))
    event = await addon.next_event()
    await addon.ok("action_result", request_id=event["request_id"], **answer)
    await asyncio.wait([call])
    return event, call


async def test_switch_on_round_trips_and_echoed_state_is_applied(hass: HomeAssistant, addon: AddonClient) -> None:
    event, call = await _call_and_answer(
        hass, addon, "switch", "turn_on", {"entity_id": "switch.sungrow_sh10rt_backup_relay"},
        {"success": True, "result": {"state": True}},
    )
    assert call.exception() is None
    assert event["type"] == "action"
    assert {k: event[k] for k in ("kind", "action", "device_id", "key", "platform", "value")} == {
        "kind": "entity", "action": "turn_on", "device_id": DEVICE_ID, "key": "backup_relay",
        "platform": "switch", "value": True,
    }
    assert hass.states.get("switch.sungrow_sh10rt_backup_relay").state == "on"


async def test_refused_command_raises_with_device_reason(hass: HomeAssistant, addon: AddonClient) -> None:
    _, call = await _call_and_answer(
        hass, addon, "switch", "turn_off", {"entity_id": "switch.sungrow_sh10rt_backup_relay"},
        {"success": False, "error": "rejected: register 13050 is read-only"},
    )
    err = call.exception()
    assert isinstance(err, HomeAssistantError)
    assert "register 13050 is read-only" in str(err)


@pytest.mark.parametrize(
    ("domain", "service", "data", "action", "value"),
    [
        ("number", "set_value", {"entity_id": "number.sungrow_sh10rt_backup_reserve_min_soc", "value": 35}, "set_value", 35.0),
        ("select", "select_option", {"entity_id": "select.sungrow_sh10rt_operating_mode", "option": "force_discharge"},
         "select_option", "force_discharge"),
        ("button", "press", {"entity_id": "button.sungrow_sh10rt_restore_normal_operation"}, "press", None),
    ],
)
async def test_control_actions_are_delivered(
    hass: HomeAssistant, addon: AddonClient, domain: str, service: str, data: dict[str, Any], action: str, value: Any
) -> None:
    event, call = await _call_and_answer(hass, addon, domain, service, data, {"success": True})
    assert call.exception() is None
    assert event["action"] == action
    assert event.get("value") == value


async def test_action_times_out_with_an_error(
    hass: HomeAssistant, addon: AddonClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(const, "ACTION_TIMEOUT_S", 0.05)
    with pytest.raises(HomeAssistantError, match="did not answer"):
        await hass.services.async_call("button", "press", {"entity_id": "button.sungrow_sh10rt_restore_normal_operation"},
                                       blocking=True)


async def test_action_without_addon_fails(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ws.close()
    await hass.async_block_till_done()
    # Unavailable entities refuse service calls before reaching us; call the entity directly.
    entity = hass.data["entity_components"]["button"].get_entity("button.sungrow_sh10rt_restore_normal_operation")
    with pytest.raises(HomeAssistantError, match="not connected"):
        await entity.async_press()
