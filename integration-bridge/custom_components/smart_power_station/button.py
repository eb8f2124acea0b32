"""Button platform: one-shot actions (sync now, restore normal)."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .bridge import SpsBridge
from .entity import SpsEntity


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    bridge: SpsBridge = entry.runtime_data
    bridge.register_platform("button", async_add_entities, SpsButton)


class SpsButton(SpsEntity, ButtonEntity):
    """A press-only control."""

    async def async_press(self) -> None:
        await self.async_send_action("press")
