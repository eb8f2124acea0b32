"""Each websocket command, admin-only enforcement, handshake and validation errors."""

from __future__ import annotations

from typing import Any

import pytest

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events, async_mock_service

from custom_components.smart_power_station.const import DOMAIN, EVENT_BRIDGE, HUB_IDENTIFIER, PROTOCOL_VERSION
from custom_components.smart_power_station.repairs import RestartRepairFlow, async_create_fix_flow

from .conftest import DEVICE, DEVICE_ID, SERIAL, AddonClient, declaration


async def test_hello_answers_protocol_and_versions(
    hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any
) -> None:
    client = AddonClient(await hass_ws_client(hass))
    result = await client.ok("hello", protocol=PROTOCOL_VERSION, addon_version="0.1.0")
    assert result["protocol"] == PROTOCOL_VERSION
    assert result["bridge_version"] == "0.3.0"
    assert result["loaded"] is True
    assert result["ha_version"]
    # A newer add-on sends translation keys only to a bridge that lists the feature.
    assert result["features"] == ["translation_key"]


async def test_protocol_mismatch_is_refused_logged_and_raised_as_repair(
    hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = AddonClient(await hass_ws_client(hass))
    reply = await client.command("hello", protocol=PROTOCOL_VERSION + 1, addon_version="9.0.0")
    assert not reply["success"]
    assert reply["error"]["code"] == "protocol_mismatch"
    assert "protocol 2" in caplog.text and "9.0.0" in caplog.text
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "protocol_mismatch")
    assert issue is not None and issue.severity is ir.IssueSeverity.ERROR

    # A matching hello clears the repair issue.
    await client.ok("hello", protocol=PROTOCOL_VERSION)
    assert ir.async_get(hass).async_get_issue(DOMAIN, "protocol_mismatch") is None


async def test_a_token_that_lost_admin_rights_is_refused_and_raised_as_repair(
    hass: HomeAssistant,
    bridge_entry: MockConfigEntry,
    hass_ws_client: Any,
    hass_read_only_access_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only the bridge can tell the user: every other command (repairs included) is admin-only."""
    client = AddonClient(await hass_ws_client(hass, hass_read_only_access_token))
    reply = await client.command("hello", protocol=PROTOCOL_VERSION, addon_version="0.2.0")
    assert not reply["success"]
    assert reply["error"]["code"] == "unauthorized"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "token_not_admin")
    assert issue is not None and issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders is not None and issue.translation_placeholders["user"]
    assert "not an administrator" in caplog.text
    # The add-on says hello again at every retry: the log says it once.
    caplog.clear()
    again = await client.command("hello", protocol=PROTOCOL_VERSION, addon_version="0.2.0")
    assert again["error"]["code"] == "unauthorized"
    assert "not an administrator" not in caplog.text

    # The add-on back with an administrator's token clears it.
    admin = AddonClient(await hass_ws_client(hass))
    await admin.ok("hello", protocol=PROTOCOL_VERSION, addon_version="0.2.0")
    assert ir.async_get(hass).async_get_issue(DOMAIN, "token_not_admin") is None


@pytest.mark.parametrize(
    ("type_", "payload"),
    [
        ("hello", {"protocol": 1}),
        ("subscribe", {}),
        ("declare", declaration()),
        ("states", {"states": []}),
        ("availability", {"devices": []}),
        ("action_result", {"request_id": "r1", "success": True}),
        ("heartbeat", {}),
        ("repairs", {"issues": []}),
        ("fire_event", {"event_type": "smart_power_station_dr_event", "event_data": {}}),
    ],
)
async def test_every_command_refuses_a_non_admin(
    hass: HomeAssistant,
    bridge_entry: MockConfigEntry,
    hass_ws_client: Any,
    hass_read_only_access_token: str,
    type_: str,
    payload: dict[str, Any],
) -> None:
    client = AddonClient(await hass_ws_client(hass, hass_read_only_access_token))
    reply = await client.command(type_, **payload)
    assert not reply["success"]
    assert reply["error"]["code"] == "unauthorized"


async def test_commands_before_setup_say_not_loaded(
    hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any
) -> None:
    await hass.config_entries.async_unload(bridge_entry.entry_id)
    client = AddonClient(await hass_ws_client(hass))
    reply = await client.command("declare", **declaration())
    assert reply["error"]["code"] == "not_loaded"


async def test_declare_creates_devices_with_registry_details(hass: HomeAssistant, addon: AddonClient) -> None:
    devices = dr.async_get(hass)
    hub = devices.async_get_device(identifiers={(DOMAIN, HUB_IDENTIFIER)})
    device = devices.async_get_device(identifiers={(DOMAIN, SERIAL)})
    assert hub is not None and device is not None
    assert hub.sw_version == "0.1.0"
    assert (device.manufacturer, device.model, device.serial_number) == ("Sungrow", "SH10RT", SERIAL)
    assert device.sw_version == "SAPPHIRE-H_01011.95.05"
    assert device.configuration_url == "homeassistant://hassio/ingress/smart_power_station"
    assert device.via_device_id == hub.id

    entities = er.async_get(hass)
    soc = entities.async_get_entity_id("sensor", DOMAIN, f"{SERIAL}_battery_soc")
    assert soc == "sensor.sungrow_sh10rt_battery_state_of_charge"
    assert entities.async_get(soc).device_id == device.id  # type: ignore[union-attr]
    for platform, key in [
        ("binary_sensor", "grid_connected"),
        ("switch", "backup_relay"),
        ("number", "backup_reserve"),
        ("select", "operating_mode"),
        ("button", "restore_normal"),
        ("binary_sensor", "_connectivity"),
    ]:
        assert entities.async_get_entity_id(platform, DOMAIN, f"{SERIAL}_{key}"), key


async def test_declare_result_counts_and_is_idempotent(hass: HomeAssistant, addon: AddonClient) -> None:
    result = await addon.ok("declare", **declaration())
    assert result["devices"] == 1
    assert result["entities"] == len(DEVICE["entities"])
    assert result["added_entities"] == 0
    assert result["removed_entities"] == 0
    assert len(er.async_entries_for_config_entry(er.async_get(hass), addon_entry(hass))) == len(DEVICE["entities"]) + 1


def addon_entry(hass: HomeAssistant) -> str:
    return hass.config_entries.async_entries(DOMAIN)[0].entry_id


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["entities"][0].update(key="Bad Key"), "devices[0].entities[0].key"),
        (lambda d: d["entities"][0].update(platform="light"), "devices[0].entities[0].platform"),
        (lambda d: d.pop("serial"), "devices[0].serial"),
        (lambda d: d["entities"].append(dict(d["entities"][0])), "devices[0].entities[8].key"),
        (lambda d: d["entities"][6].update(options=[]), "devices[0].entities[6].options"),
    ],
)
async def test_invalid_declaration_names_the_field(
    hass: HomeAssistant, addon: AddonClient, mutate: Any, field: str
) -> None:
    bad = declaration()
    mutate(bad["devices"][0])
    reply = await addon.command("declare", **bad)
    assert not reply["success"]
    assert reply["error"]["code"] == "invalid_format"
    assert field in reply["error"]["message"]


async def test_states_batch_updates_entities_and_reports_unknown_keys(hass: HomeAssistant, addon: AddonClient) -> None:
    result = await addon.ok(
        "states",
        states=[
            {"device_id": DEVICE_ID, "key": "battery_soc", "state": 57.5},
            {"device_id": DEVICE_ID, "key": "battery_power", "state": -1200},
            {"device_id": DEVICE_ID, "key": "nope", "state": 1},
            {"device_id": "ghost", "key": "battery_soc", "state": 1},
        ],
    )
    assert result == {"applied": 2, "unknown": [f"{DEVICE_ID}/nope", "ghost/battery_soc"]}
    assert hass.states.get("sensor.sungrow_sh10rt_battery_state_of_charge").state == "57.5"
    assert hass.states.get("sensor.sungrow_sh10rt_battery_power").state == "-1200"

    reply = await addon.command("states", states=[{"device_id": DEVICE_ID, "key": "battery_soc"}])
    assert reply["error"]["code"] == "invalid_format"


async def test_availability_with_reason(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("states", states=[{"device_id": DEVICE_ID, "key": "battery_soc", "state": 50}])
    result = await addon.ok(
        "availability",
        devices=[
            {"device_id": DEVICE_ID, "available": False, "reason": "timeout: no answer within 3000 ms"},
            {"device_id": "ghost", "available": True},
        ],
    )
    assert result == {"unknown": ["ghost"]}
    assert hass.states.get("sensor.sungrow_sh10rt_battery_state_of_charge").state == STATE_UNAVAILABLE
    connectivity = hass.states.get("binary_sensor.sungrow_sh10rt_connectivity")
    assert connectivity.state == "off"
    assert connectivity.attributes["reason"] == "timeout: no answer within 3000 ms"

    await addon.ok("availability", devices=[{"device_id": DEVICE_ID, "available": True}])
    assert hass.states.get("sensor.sungrow_sh10rt_battery_state_of_charge").state == "50"
    assert hass.states.get("binary_sensor.sungrow_sh10rt_connectivity").state == "on"


async def test_heartbeat_reports_subscription(hass: HomeAssistant, addon: AddonClient, hass_ws_client: Any) -> None:
    assert await addon.ok("heartbeat") == {"subscribed": True}
    other = AddonClient(await hass_ws_client(hass))
    assert await other.ok("heartbeat") == {"subscribed": False}


async def test_action_result_for_unknown_request_or_without_session(
    hass: HomeAssistant, addon: AddonClient, hass_ws_client: Any
) -> None:
    assert await addon.ok("action_result", request_id="r999", success=True) == {"matched": False}
    other = AddonClient(await hass_ws_client(hass))
    reply = await other.command("action_result", request_id="r1", success=True)
    assert reply["error"]["code"] == "no_session"


async def test_loaded_event_is_fired_on_setup_and_reload(hass: HomeAssistant, bridge_entry: MockConfigEntry) -> None:
    events = async_capture_events(hass, EVENT_BRIDGE)
    await hass.config_entries.async_reload(bridge_entry.entry_id)
    await hass.async_block_till_done()
    assert [e.data["type"] for e in events] == ["unloaded", "loaded"]
    assert events[1].data["protocol"] == PROTOCOL_VERSION


RESTORE_FAILED = {
    "id": "restore_failed:sungrow-1",
    "key": "restore_failed",
    "severity": "error",
    "placeholders": {"device": "sungrow-1", "reason": "rejected: Modbus exception 1 (illegal function)"},
}
STORE_RESET = {
    "id": "store_reset",
    "key": "store_reset",
    "severity": "warning",
    "placeholders": {"path": "/data/store.sqlite.corrupt-20261204T120000Z", "unused": "dropped"},
}


async def test_repairs_raise_translated_issues_and_clear_what_the_set_no_longer_holds(
    hass: HomeAssistant, addon: AddonClient
) -> None:
    registry = ir.async_get(hass)
    result = await addon.ok("repairs", issues=[RESTORE_FAILED, STORE_RESET])
    assert result == {"raised": ["addon_restore_failed:sungrow-1", "addon_store_reset"], "cleared": []}
    failed = registry.async_get_issue(DOMAIN, "addon_restore_failed:sungrow-1")
    assert failed is not None
    assert failed.severity is ir.IssueSeverity.ERROR
    assert failed.translation_key == "restore_failed"
    assert failed.translation_placeholders == RESTORE_FAILED["placeholders"]
    assert failed.is_persistent
    reset = registry.async_get_issue(DOMAIN, "addon_store_reset")
    assert reset is not None and reset.severity is ir.IssueSeverity.WARNING
    # Only the placeholders the text uses are kept.
    assert reset.translation_placeholders == {"path": STORE_RESET["placeholders"]["path"]}

    # The whole set each time: what is missing is cleared; the bridge's own issues are left alone.
    ir.async_create_issue(
        hass, DOMAIN, "protocol_mismatch", is_fixable=False, severity=ir.IssueSeverity.ERROR,
        translation_key="protocol_mismatch",
    )
    result = await addon.ok("repairs", issues=[STORE_RESET])
    assert result["cleared"] == ["addon_restore_failed:sungrow-1"]
    assert registry.async_get_issue(DOMAIN, "addon_restore_failed:sungrow-1") is None
    assert registry.async_get_issue(DOMAIN, "protocol_mismatch") is not None
    await addon.ok("repairs", issues=[])
    assert registry.async_get_issue(DOMAIN, "addon_store_reset") is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda i: i.update(key="made_up"), "issues[0].key"),
        (lambda i: i["placeholders"].pop("reason"), "issues[0].placeholders: missing reason"),
        (lambda i: i.update(id="has space"), "issues[0].id"),
        (lambda i: i.update(severity="fatal"), "issues[0].severity"),
    ],
)
async def test_invalid_repair_names_the_field_and_changes_nothing(
    hass: HomeAssistant, addon: AddonClient, mutate: Any, message: str
) -> None:
    bad = {**RESTORE_FAILED, "placeholders": dict(RESTORE_FAILED["placeholders"])}
    mutate(bad)
    reply = await addon.command("repairs", issues=[bad])
    assert not reply["success"]
    assert reply["error"]["code"] == "invalid_format"
    assert message in reply["error"]["message"]
    assert not [key for key in ir.async_get(hass).issues if key[1].startswith("addon_")]


async def test_removing_the_integration_removes_the_addon_repairs(
    hass: HomeAssistant, addon: AddonClient
) -> None:
    await addon.ok("repairs", issues=[RESTORE_FAILED])
    await hass.config_entries.async_remove(addon_entry(hass))
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, "addon_restore_failed:sungrow-1") is None


async def test_a_mismatch_with_another_release_on_disk_offers_a_restart(
    hass: HomeAssistant, bridge_entry: MockConfigEntry, hass_ws_client: Any
) -> None:
    """The add-on copied its integration and HA still runs the old one: the repair flow restarts HA."""
    assert await async_setup_component(hass, "repairs", {})
    restarts = async_mock_service(hass, "homeassistant", "restart")
    client = AddonClient(await hass_ws_client(hass))
    # Same release on disk as running: a mismatch alone is not fixed by a restart.
    await client.command("hello", protocol=PROTOCOL_VERSION + 1)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, "restart_required") is None

    hass.data[f"{DOMAIN}_version"] = "0.1.2"  # what HA loaded before the add-on replaced the files
    await client.command("hello", protocol=PROTOCOL_VERSION + 1)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "restart_required")
    assert issue is not None and issue.is_fixable
    assert issue.translation_placeholders == {"installed": "0.3.0", "running": "0.1.2"}

    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": "restart_required"})
    assert flow["type"] is FlowResultType.FORM and flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"installed": "0.3.0", "running": "0.1.2"}
    done = await manager.async_configure(flow["flow_id"], {})
    await hass.async_block_till_done()
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert len(restarts) == 1

    # The other issues have nothing to run: their flow (if HA asks) is a plain confirmation.
    assert not isinstance(await async_create_fix_flow(hass, "token_not_admin", None), RestartRepairFlow)
