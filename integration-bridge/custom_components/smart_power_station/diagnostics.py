"""Diagnostics: the session, each device's availability (with the reason) and the declaration."""

from __future__ import annotations

import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .bridge import SpsBridge
from .const import PROTOCOL_VERSION


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any]:
    bridge: SpsBridge = entry.runtime_data
    session = bridge.session
    return {
        "protocol": PROTOCOL_VERSION,
        "session": None
        if session is None
        else {
            "addon_version": session.addon_version,
            "alive": session.alive,
            "seconds_since_last_message": round(time.monotonic() - session.last_seen, 1),
            "pending_actions": session.pending_count,
        },
        "hub": bridge.hub,
        "devices": [
            {
                "id": device.id,
                "manufacturer": device.manufacturer,
                "model": device.model,
                "firmware": device.firmware,
                "available": bridge.addon_alive and bridge.device_available(device.id),
                "reason": bridge.device_reason(device.id),
                "entities": [
                    {
                        "key": spec.key,
                        "platform": spec.platform,
                        "device_class": spec.device_class,
                        "state_class": spec.state_class,
                        "unit": spec.unit,
                        "state": bridge.states.get((device.id, spec.key)),
                        "command": spec.command,
                    }
                    for spec in device.entities.values()
                ],
            }
            for device in bridge.devices.values()
        ],
    }
