"""smart_power_station.* services: schemas, device resolution, forwarding, failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import voluptuous as vol

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr

from custom_components.smart_power_station.const import DOMAIN, SERVICES
from custom_components.smart_power_station.services import SERVICE_SCHEMAS

from .conftest import DEVICE_ID, SERIAL, AddonClient


async def test_every_service_is_registered(hass: HomeAssistant, addon: AddonClient) -> None:
    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(SERVICES)


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("force_charge", {"device_id": "x"}),
        ("force_charge", {"device_id": "x", "duration_minutes": 0}),
        ("force_charge", {"device_id": "x", "duration_minutes": 10, "power_kw": -1}),
        ("force_discharge", {"device_id": "x", "duration_minutes": 2000}),
        ("set_backup_reserve", {"device_id": "x", "percent": 150}),
        ("set_charge_rate", {"device_id": "x", "kw": "fast"}),
        ("set_discharge_rate", {"device_id": "x"}),
        ("set_export_limit", {"device_id": "x", "watts": -5}),
        ("restore_normal", {"device_id": "x", "surprise": 1}),
    ],
)
def test_schemas_reject_bad_fields(service: str, data: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        SERVICE_SCHEMAS[service](data)


def test_schemas_accept_good_fields() -> None:
    assert SERVICE_SCHEMAS["force_charge"]({"device_id": "a", "duration_minutes": "30"})["duration_minutes"] == 30
    assert SERVICE_SCHEMAS["set_export_limit"]({"device": ["a"], "watts": 5000})["watts"] == 5000
    assert SERVICE_SCHEMAS["sync_now"]({}) == {}


async def _serve_one(addon: AddonClient, answer: dict[str, Any]) -> dict[str, Any]:
    event = await addon.next_event()
    await addon.ok("action_result", request_id=event["request_id"], **answer)
    return event


async def test_force_charge_by_ha_device_id_is_forwarded(hass: HomeAssistant, addon: AddonClient) -> None:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, SERIAL)})
    call = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "force_charge", {"duration_minutes": 60, "power_kw": 3.5},
            target={"device_id": device.id}, blocking=True,
        )
    )
    event = await _serve_one(addon, {"success": True})
    await call
    assert event["kind"] == "service"
    assert event["service"] == "force_charge"
    assert event["device_id"] == DEVICE_ID
    assert event["data"] == {"duration_minutes": 60, "power_kw": 3.5}


async def test_service_by_addon_device_id_and_failure(hass: HomeAssistant, addon: AddonClient) -> None:
    call = hass.async_create_task(
        hass.services.async_call(DOMAIN, "set_backup_reserve", {"device": DEVICE_ID, "percent": 5}, blocking=True)
    )
    await _serve_one(addon, {"success": False, "error": "rejected: backup reserve below the device minimum 10 %"})
    await asyncio.wait([call])
    assert isinstance(call.exception(), HomeAssistantError)
    assert "below the device minimum" in str(call.exception())


async def test_sync_now_without_device_goes_to_all(hass: HomeAssistant, addon: AddonClient) -> None:
    call = hass.async_create_task(hass.services.async_call(DOMAIN, "sync_now", {}, blocking=True))
    event = await _serve_one(addon, {"success": True})
    await call
    assert "device_id" not in event


async def test_unknown_or_missing_device_is_a_validation_error(hass: HomeAssistant, addon: AddonClient) -> None:
    with pytest.raises(ServiceValidationError, match="not a Smart Power Station device"):
        await hass.services.async_call(DOMAIN, "restore_normal", {"device_id": "nope"}, blocking=True)
    with pytest.raises(ServiceValidationError, match="device_id is required"):
        await hass.services.async_call(DOMAIN, "restore_normal", {}, blocking=True)
