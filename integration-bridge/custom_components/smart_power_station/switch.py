"""Switch platform: on/off controls. Not optimistic: the state changes when the add-on says so."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .binary_sensor import as_bool
from .bridge import SpsBridge
from .entity import SpsEntity


# Nothing polls (the add-on pushes states), and actions are not limited here: each waits for the
# add-on, which serialises writes per device itself (safety guard, write-rate limiter).
PARALLEL_UPDATES = 0

async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    bridge: SpsBridge = entry.runtime_data
    bridge.register_platform("switch", async_add_entities, SpsSwitch)


class SpsSwitch(SpsEntity, SwitchEntity):
    """A device switch (relay, mode flag)."""

    @property
    def is_on(self) -> bool | None:
        return as_bool(self.raw_state)

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.async_send_action("turn_on", True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.async_send_action("turn_off", False)
