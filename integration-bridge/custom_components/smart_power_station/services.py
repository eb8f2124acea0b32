"""smart_power_station.* services: validated here with voluptuous, forwarded to the add-on (which
validates again with zod), and failed with the device's reason when it refuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import voluptuous as vol

from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .bridge import SpsBridge
from .const import DOMAIN

# "device" is accepted as an alias of "device_id" (the issue names the field "device");
# values may be HA device ids (what a device selector/target gives) or the add-on's ids.
_DEVICE_IDS = vol.All(cv.ensure_list, [cv.string], vol.Length(min=1))
_BASE: dict[vol.Marker, Any] = {
    vol.Optional("device_id"): _DEVICE_IDS,
    vol.Optional("device"): _DEVICE_IDS,
    # Targets may also carry these; accepted and ignored so `target:` never fails validation.
    vol.Optional("entity_id"): cv.match_all,
    vol.Optional("area_id"): cv.match_all,
    vol.Optional("floor_id"): cv.match_all,
    vol.Optional("label_id"): cv.match_all,
}
def _iso(value: datetime) -> str:
    """A start time as the add-on takes it: ISO 8601 with an offset (a naive time is HA's local time)."""
    return dt_util.as_local(value).isoformat() if value.tzinfo is None else value.isoformat()


def _start_or_minutes(data: dict[str, Any]) -> dict[str, Any]:
    if "start" in data and "minutes_from_now" in data:
        raise vol.Invalid("give start or minutes_from_now, not both", path=["start"])
    return data


_KW = vol.All(vol.Coerce(float), vol.Range(min=0, max=1000))
_MINUTES = vol.All(vol.Coerce(int), vol.Range(min=1, max=24 * 60))

SERVICE_SCHEMAS: dict[str, vol.Schema | vol.All] = {
    "force_charge": vol.Schema({**_BASE, vol.Required("duration_minutes"): _MINUTES, vol.Optional("power_kw"): _KW}),
    "force_discharge": vol.Schema(
        {**_BASE, vol.Required("duration_minutes"): _MINUTES, vol.Optional("power_kw"): _KW}
    ),
    "restore_normal": vol.Schema(_BASE),
    "set_backup_reserve": vol.Schema(
        {**_BASE, vol.Required("percent"): vol.All(vol.Coerce(float), vol.Range(min=0, max=100))}
    ),
    "set_charge_rate": vol.Schema({**_BASE, vol.Required("kw"): _KW}),
    "set_discharge_rate": vol.Schema({**_BASE, vol.Required("kw"): _KW}),
    "set_export_limit": vol.Schema(
        {**_BASE, vol.Required("watts"): vol.All(vol.Coerce(int), vol.Range(min=0, max=1_000_000))}
    ),
    "sync_now": vol.Schema(_BASE),
    # The optimiser's services: they act on the add-on's controller, so a device is optional
    # (the add-on uses the battery it optimises; naming another one is refused there).
    "optimize_now": vol.Schema(_BASE),
    "hold_soc": vol.Schema(
        {
            **_BASE,
            vol.Required("soc_pct"): vol.All(vol.Coerce(float), vol.Range(min=0, max=100)),
            vol.Required("duration_minutes"): _MINUTES,
        }
    ),
    # Demand response: they act on the add-on's DR calendar, so no device.
    "opt_out_event": vol.Schema({**_BASE, vol.Optional("event_id"): vol.All(cv.string, vol.Length(min=1, max=256))}),
    "simulate_event": vol.All(
        vol.Schema(
            {
                **_BASE,
                vol.Optional("start"): vol.All(cv.datetime, _iso),
                vol.Optional("minutes_from_now"): vol.All(vol.Coerce(float), vol.Range(min=0, max=7 * 24 * 60)),
                vol.Optional("duration_minutes"): _MINUTES,
                vol.Optional("program"): vol.In(["DLRP", "CSRP"]),
                vol.Optional("type"): vol.In(["contingency", "immediate"]),
                vol.Optional("goal_kw"): vol.All(vol.Coerce(float), vol.Range(min=0.01, max=10000)),
            }
        ),
        _start_or_minutes,
    ),
}

# sync_now without a device means "every device"; the optimiser and DR services mean the add-on itself.
_DEVICE_OPTIONAL = {"sync_now", "optimize_now", "hold_soc", "opt_out_event", "simulate_event"}
_FORWARD_IGNORED = {"device_id", "device", "entity_id", "area_id", "floor_id", "label_id"}


def _loaded_bridge(hass: HomeAssistant) -> SpsBridge:
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise ServiceValidationError(
            "The Smart Power Station integration is not loaded",
            translation_domain=DOMAIN,
            translation_key="not_loaded",
        )
    bridge: SpsBridge = entries[0].runtime_data
    return bridge


def _resolve_devices(bridge: SpsBridge, service: str, data: dict[str, Any]) -> list[str | None]:
    requested: list[str] = [*data.get("device_id", []), *data.get("device", [])]
    if not requested:
        if service in _DEVICE_OPTIONAL:
            return [None]
        raise ServiceValidationError(
            f"{service}: device_id is required",
            translation_domain=DOMAIN,
            translation_key="device_required",
            translation_placeholders={"service": service},
        )
    resolved: list[str | None] = []
    for ident in dict.fromkeys(requested):
        device_id = bridge.device_id_for_ha_device(ident)
        if device_id is None:
            raise ServiceValidationError(
                f"{service}: device_id {ident!r} is not a Smart Power Station device",
                translation_domain=DOMAIN,
                translation_key="unknown_device",
                translation_placeholders={"service": service, "device": ident},
            )
        resolved.append(device_id)
    return resolved


@callback
def async_register_services(hass: HomeAssistant) -> None:
    async def handle(call: ServiceCall) -> None:
        bridge = _loaded_bridge(hass)
        fields = {k: v for k, v in call.data.items() if k not in _FORWARD_IGNORED}
        for device_id in _resolve_devices(bridge, call.service, dict(call.data)):
            payload: dict[str, Any] = {"kind": "service", "service": call.service, "data": fields}
            if device_id is not None:
                payload["device_id"] = device_id
            await bridge.async_request_action(payload)

    for service, schema in SERVICE_SCHEMAS.items():
        hass.services.async_register(DOMAIN, service, handle, schema=schema, supports_response=SupportsResponse.NONE)
