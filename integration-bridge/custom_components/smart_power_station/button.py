"""Button platform: one-shot actions (sync now, restore normal)."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .bridge import SpsBridge
from .entity import SpsEntity


# Nothing polls (the add-on pushes states), and actions are not limited here: each waits for the
# add-on, which serialises writes per device itself (safety guard, write-rate limiter).
PARALLEL_UPDATES = 0

async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    bridge: SpsBridge = entry.runtime_data
    bridge.register_platform("button", async_add_entities, SpsButton)


class SpsButton(SpsEntity, ButtonEntity):
    """A press-only control."""

    async def async_press(self) -> None:
        await self.async_send_action("press")
