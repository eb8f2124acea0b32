"""Sensor platform: readings (power in W, energy in kWh as total_increasing, SOC in %, …)."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.sensor import SensorEntity, SensorStateClass
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from .bridge import SpsBridge
from .entity import SpsEntity
from .model import EntitySpec


# Nothing polls (the add-on pushes states), and actions are not limited here: each waits for the
# add-on, which serialises writes per device itself (safety guard, write-rate limiter).
PARALLEL_UPDATES = 0

async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    bridge: SpsBridge = entry.runtime_data
    bridge.register_platform("sensor", async_add_entities, SpsSensor)


class SpsSensor(SpsEntity, SensorEntity):
    """A reading."""

    def _apply_platform_spec(self, spec: EntitySpec) -> None:
        self._attr_native_unit_of_measurement = spec.unit
        self._attr_state_class = SensorStateClass(spec.state_class) if spec.state_class else None
        self._attr_suggested_display_precision = spec.suggested_display_precision
        self._attr_options = list(spec.options) if spec.options is not None else None

    @property
    def native_value(self) -> str | int | float | datetime | None:
        value = self.raw_state
        if value is None:
            return None
        if self.spec.device_class == "timestamp":
            # Timestamps travel as UTC ISO strings ending in Z; HA wants an aware datetime.
            return dt_util.parse_datetime(str(value))
        if isinstance(value, bool):
            return "on" if value else "off"
        return value
