"""Demand response on the bridge: the smart_power_station_dr_event bus event (fire_event) and the
opt_out_event / simulate_event services."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from homeassistant.core import Event, HomeAssistant, callback

from custom_components.smart_power_station.const import DOMAIN, EVENT_DR
from custom_components.smart_power_station.services import SERVICE_SCHEMAS

from .conftest import AddonClient

STARTED: dict[str, Any] = {
    "kind": "started",
    "event_id": "CSRP-2026-12-04T22:00:00.000Z",
    "program": "CSRP",
    "type": "contingency",
    "start": "2026-12-04T17:00:00-05:00",
    "end": "2026-12-04T21:00:00-05:00",
    "goal_kw": 1.5,
    "status": "active",
    "opted_out": False,
    "simulated": False,
    "sent_at": None,
    "at": "2026-12-04T17:00:00-05:00",
}


def _capture(hass: HomeAssistant) -> list[Event]:
    seen: list[Event] = []

    @callback
    def _listener(event: Event) -> None:
        seen.append(event)

    hass.bus.async_listen(EVENT_DR, _listener)
    return seen


async def test_fire_event_fires_the_dr_event_with_its_fields(hass: HomeAssistant, addon: AddonClient) -> None:
    seen = _capture(hass)
    result = await addon.ok("fire_event", event_type=EVENT_DR, event_data=STARTED)
    await hass.async_block_till_done()
    assert result == {"fired": EVENT_DR}
    assert len(seen) == 1
    assert seen[0].data == STARTED


async def test_fire_event_refuses_any_other_event_type(hass: HomeAssistant, addon: AddonClient) -> None:
    seen: list[Event] = []
    hass.bus.async_listen("homeassistant_stop", seen.append)
    reply = await addon.command("fire_event", event_type="homeassistant_stop", event_data={})
    assert not reply["success"]
    assert reply["error"]["code"] == "invalid_format"
    assert "only smart_power_station_dr_event" in reply["error"]["message"]
    assert seen == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "exploded"}, "kind"),
        ({"program": "XYZ"}, "program"),
        ({"goal_kw": "lots"}, "goal_kw"),
        ({"opted_out": "no"}, "opted_out"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_fire_event_validates_the_data_and_names_the_field(
    hass: HomeAssistant, addon: AddonClient, change: dict[str, Any], field: str
) -> None:
    seen = _capture(hass)
    reply = await addon.command("fire_event", event_type=EVENT_DR, event_data={**STARTED, **change})
    assert not reply["success"]
    assert reply["error"]["code"] == "invalid_format"
    assert f"event_data.{field}" in reply["error"]["message"]
    await hass.async_block_till_done()
    assert seen == []


def test_dr_service_schemas() -> None:
    assert SERVICE_SCHEMAS["opt_out_event"]({}) == {}
    assert SERVICE_SCHEMAS["opt_out_event"]({"event_id": "e1"}) == {"event_id": "e1"}
    sim = SERVICE_SCHEMAS["simulate_event"](
        {"minutes_from_now": "5", "duration_minutes": 30, "program": "CSRP", "type": "immediate", "goal_kw": 2}
    )
    assert sim == {"minutes_from_now": 5.0, "duration_minutes": 30, "program": "CSRP", "type": "immediate", "goal_kw": 2.0}
    started = SERVICE_SCHEMAS["simulate_event"]({"start": "2026-12-04T17:00:00-05:00"})
    assert started == {"start": "2026-12-04T17:00:00-05:00"}
    for bad in (
        {"start": "2026-12-04T17:00:00-05:00", "minutes_from_now": 5},
        {"program": "OTHER"},
        {"duration_minutes": 0},
        {"goal_kw": -1},
        {"start": "not a time"},
    ):
        with pytest.raises(vol.Invalid):
            SERVICE_SCHEMAS["simulate_event"](bad)


async def _serve_one(addon: AddonClient, answer: dict[str, Any]) -> dict[str, Any]:
    event = await addon.next_event()
    await addon.ok("action_result", request_id=event["request_id"], **answer)
    return event


async def test_opt_out_event_is_forwarded_without_a_device(hass: HomeAssistant, addon: AddonClient) -> None:
    call = hass.async_create_task(hass.services.async_call(DOMAIN, "opt_out_event", {}, blocking=True))
    event = await _serve_one(addon, {"success": True})
    await call
    assert event["service"] == "opt_out_event"
    assert "device_id" not in event
    assert event["data"] == {}


async def test_simulate_event_is_forwarded_with_a_start_that_has_an_offset(
    hass: HomeAssistant, addon: AddonClient
) -> None:
    call = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "simulate_event", {"start": "2026-12-04 17:00:00", "duration_minutes": 45}, blocking=True
        )
    )
    event = await _serve_one(addon, {"success": True})
    await call
    assert event["service"] == "simulate_event"
    assert event["data"]["duration_minutes"] == 45
    # A naive time is HA's local time, sent with its offset.
    assert event["data"]["start"].startswith("2026-12-04T17:00:00")
    assert event["data"]["start"][-6] in "+-"
