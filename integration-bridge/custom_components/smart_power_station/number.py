"""Number platform: setpoints (backup reserve, charge rate, export limit)."""

from __future__ import annotations

from homeassistant.components.number import NumberEntity, NumberMode
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .bridge import SpsBridge
from .entity import SpsEntity
from .model import EntitySpec


# Nothing polls (the add-on pushes states), and actions are not limited here: each waits for the
# add-on, which serialises writes per device itself (safety guard, write-rate limiter).
PARALLEL_UPDATES = 0

async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    bridge: SpsBridge = entry.runtime_data
    bridge.register_platform("number", async_add_entities, SpsNumber)


class SpsNumber(SpsEntity, NumberEntity):
    """A numeric setpoint."""

    def _apply_platform_spec(self, spec: EntitySpec) -> None:
        self._attr_native_unit_of_measurement = spec.unit
        self._attr_native_min_value = spec.min if spec.min is not None else 0.0
        self._attr_native_max_value = spec.max if spec.max is not None else 100.0
        self._attr_native_step = spec.step if spec.step is not None else 1.0
        self._attr_mode = NumberMode(spec.mode) if spec.mode else NumberMode.AUTO

    @property
    def native_value(self) -> float | None:
        value = self.raw_state
        if value is None or isinstance(value, bool):
            return None
        try:
            return float(value)
        except ValueError:
            return None

    async def async_set_native_value(self, value: float) -> None:
        await self.async_send_action("set_value", value)
