"""The optimiser's services (optimize_now, hold_soc): schemas, forwarding without a device, failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import voluptuous as vol

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from custom_components.smart_power_station.const import DOMAIN
from custom_components.smart_power_station.services import SERVICE_SCHEMAS

from .conftest import DEVICE_ID, AddonClient


async def _serve_one(addon: AddonClient, answer: dict[str, Any]) -> dict[str, Any]:
    event = await addon.next_event()
    await addon.ok("action_result", request_id=event["request_id"], **answer)
    return event


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"soc_pct": 80},
        {"duration_minutes": 60},
        {"soc_pct": 101, "duration_minutes": 60},
        {"soc_pct": 50, "duration_minutes": 0},
        {"soc_pct": "full", "duration_minutes": 60},
        {"soc_pct": 50, "duration_minutes": 60, "power_kw": 3},
    ],
)
def test_hold_soc_schema_rejects_bad_fields(data: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        SERVICE_SCHEMAS["hold_soc"](data)


def test_optimizer_schemas_accept_good_fields() -> None:
    held = SERVICE_SCHEMAS["hold_soc"]({"soc_pct": "80", "duration_minutes": "90"})
    assert held == {"soc_pct": 80.0, "duration_minutes": 90}
    assert SERVICE_SCHEMAS["optimize_now"]({}) == {}
    with pytest.raises(vol.Invalid):
        SERVICE_SCHEMAS["optimize_now"]({"surprise": 1})


async def test_optimize_now_without_a_device_is_forwarded(hass: HomeAssistant, addon: AddonClient) -> None:
    call = hass.async_create_task(hass.services.async_call(DOMAIN, "optimize_now", {}, blocking=True))
    event = await _serve_one(addon, {"success": True})
    await call
    assert event["kind"] == "service"
    assert event["service"] == "optimize_now"
    assert "device_id" not in event
    assert event["data"] == {}


async def test_hold_soc_is_forwarded_with_its_fields(hass: HomeAssistant, addon: AddonClient) -> None:
    call = hass.async_create_task(
        hass.services.async_call(DOMAIN, "hold_soc", {"soc_pct": 75, "duration_minutes": 120}, blocking=True)
    )
    event = await _serve_one(addon, {"success": True})
    await call
    assert event["service"] == "hold_soc"
    assert "device_id" not in event
    assert event["data"] == {"soc_pct": 75.0, "duration_minutes": 120}


async def test_hold_soc_for_a_device_and_refusal(hass: HomeAssistant, addon: AddonClient) -> None:
    call = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "hold_soc", {"device": DEVICE_ID, "soc_pct": 60, "duration_minutes": 30}, blocking=True
        )
    )
    event = await _serve_one(addon, {"success": False, "error": "the optimiser is not running: no prices configured"})
    await asyncio.wait([call])
    assert event["device_id"] == DEVICE_ID
    assert isinstance(call.exception(), HomeAssistantError)
    assert "no prices configured" in str(call.exception())
