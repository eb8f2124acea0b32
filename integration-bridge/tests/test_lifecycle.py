"""Disconnect, heartbeat, restore after restart, removal, customisations, diagnostics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.smart_power_station.const import DOMAIN, STORAGE_KEY
from custom_components.smart_power_station.diagnostics import async_get_config_entry_diagnostics

from .conftest import DEVICE, DEVICE_ID, SERIAL, AddonClient, declaration

SOC = "sensor.sungrow_sh10rt_battery_state_of_charge"


async def test_entities_unavailable_until_subscribed(
    hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any
) -> None:
    client = AddonClient(await hass_ws_client(hass))
    await client.ok("declare", **declaration())
    await client.ok("states", states=[{"device_id": DEVICE_ID, "key": "battery_soc", "state": 40}])
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == STATE_UNAVAILABLE
    await client.subscribe()
    assert hass.states.get(SOC).state == "40"


async def test_closing_the_socket_makes_entities_unavailable_at_once(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("states", states=[{"device_id": DEVICE_ID, "key": "battery_soc", "state": 40}])
    assert hass.states.get(SOC).state == "40"
    await addon.ws.close()
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.sungrow_sh10rt_connectivity").state == STATE_UNAVAILABLE


async def test_silent_socket_times_out_and_recovers_on_heartbeat(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("states", states=[{"device_id": DEVICE_ID, "key": "battery_soc", "state": 40}])
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == "40"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == STATE_UNAVAILABLE
    await addon.ok("heartbeat")
    assert hass.states.get(SOC).state == "40"


async def test_restore_after_restart_from_store(
    hass: HomeAssistant, hass_storage: dict[str, Any], hass_ws_client: Any
) -> None:
    hass_storage[STORAGE_KEY] = {"version": 1, "minor_version": 1, "key": STORAGE_KEY, "data": declaration()}
    entry = MockConfigEntry(domain=DOMAIN, data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # Every entity exists at once, unavailable until the add-on reconnects.
    assert hass.states.get(SOC).state == STATE_UNAVAILABLE
    assert hass.states.get("switch.sungrow_sh10rt_backup_relay").state == STATE_UNAVAILABLE
    assert dr.async_get(hass).async_get_device(identifiers={(DOMAIN, SERIAL)}) is not None

    client = AddonClient(await hass_ws_client(hass))
    await client.subscribe()
    await client.ok("declare", **declaration())
    await client.ok("states", states=[{"device_id": DEVICE_ID, "key": "battery_soc", "state": 61}])
    assert hass.states.get(SOC).state == "61"


async def test_declaration_is_persisted_and_survives_reload(
    hass: HomeAssistant, addon: AddonClient, hass_storage: dict[str, Any]
) -> None:
    await hass.async_block_till_done()
    assert hass_storage[STORAGE_KEY]["data"]["devices"][0]["serial"] == SERIAL
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == STATE_UNAVAILABLE
    assert len(er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)) == len(DEVICE["entities"]) + 1


async def test_removed_device_and_key_disappear_but_customisations_survive(
    hass: HomeAssistant, addon: AddonClient
) -> None:
    entities = er.async_get(hass)
    entities.async_update_entity(SOC, name="My battery", area_id=None)
    second = {**DEVICE, "id": "bluetti-1", "serial": "BLT123", "manufacturer": "Bluetti", "model": "AC200",
              "name": "Bluetti AC200", "entities": DEVICE["entities"][:2]}
    result = await addon.ok("declare", **declaration(DEVICE, second))
    await hass.async_block_till_done()
    assert result["devices"] == 2
    assert dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "BLT123")}) is not None

    trimmed = {**DEVICE, "entities": [e for e in DEVICE["entities"] if e["key"] != "pv_energy"]}
    result = await addon.ok("declare", **declaration(trimmed))
    await hass.async_block_till_done()
    assert result["removed_devices"] == ["BLT123"]
    assert dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "BLT123")}) is None
    assert entities.async_get_entity_id("sensor", DOMAIN, "BLT123_battery_soc") is None
    assert hass.states.get("sensor.bluetti_ac200_battery_state_of_charge") is None
    assert entities.async_get_entity_id("sensor", DOMAIN, f"{SERIAL}_pv_energy") is None
    assert hass.states.get("sensor.sungrow_sh10rt_pv_energy") is None
    assert entities.async_get(SOC).name == "My battery"


async def test_platform_change_recreates_entity(hass: HomeAssistant, addon: AddonClient) -> None:
    changed = {**DEVICE, "entities": [*DEVICE["entities"][:4], {**DEVICE["entities"][4], "platform": "binary_sensor"},
                                      *DEVICE["entities"][5:]]}
    await addon.ok("declare", **declaration(changed))
    await hass.async_block_till_done()
    assert hass.states.get("switch.sungrow_sh10rt_backup_relay") is None
    assert hass.states.get("binary_sensor.sungrow_sh10rt_backup_relay") is not None


async def test_diagnostics_show_reason(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("availability", devices=[{"device_id": DEVICE_ID, "available": False, "reason": "timeout"}])
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    diag = await async_get_config_entry_diagnostics(hass, entry)
    assert diag["session"]["alive"] is True
    assert diag["devices"][0]["reason"] == "timeout"
    assert diag["devices"][0]["available"] is False


async def test_a_redeclaration_before_ha_added_the_entities_creates_no_duplicates(
    hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any
) -> None:
    """Entities subscribe in async_added_to_hass; until then the bridge tracks them as pending.

    HA adds entities in a task of its own; the platforms' add callbacks are held back here so that the
    second declaration surely arrives while the first one's entities are created but not added.
    """
    client = AddonClient(await hass_ws_client(hass))
    await client.ok("hello", protocol=1)
    await client.subscribe()
    bridge = bridge_entry.runtime_data
    real_adders = dict(bridge._adders)
    held: dict[str, list[Any]] = {}
    for platform in real_adders:
        bridge._adders[platform] = lambda entities, p=platform: held.setdefault(p, []).extend(entities)
    await client.ok("declare", **declaration())
    created = sum(len(v) for v in held.values())
    assert created == len(DEVICE["entities"]) + 1
    assert len(bridge.pending_entities) == created and not bridge.entities

    renamed = declaration()
    renamed["devices"][0]["entities"][0]["name"] = "Battery level"
    renamed["devices"][0]["entities"][0]["translation_key"] = "pack_soc"
    result = await client.ok("declare", **renamed)
    assert result["added_entities"] == 0  # the pending objects were updated, none created
    assert bridge.pending_entities[(DEVICE_ID, "battery_soc")].spec.translation_key == "pack_soc"

    for platform, entities in held.items():
        real_adders[platform](entities)
    await hass.async_block_till_done()
    assert not bridge.pending_entities
    ids = [e.unique_id for e in er.async_entries_for_config_entry(er.async_get(hass), bridge_entry.entry_id)]
    assert len(ids) == len(set(ids)) == created
    await client.ok("states", states=[{"device_id": DEVICE_ID, "key": "battery_soc", "state": 40}])
    state = hass.states.get("sensor.sungrow_sh10rt_selected_pack_state_of_charge")
    assert state is not None and state.state == "40"
