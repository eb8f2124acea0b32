"""Select platform: operating modes and other enumerated settings."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity
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
    bridge.register_platform("select", async_add_entities, SpsSelect)


class SpsSelect(SpsEntity, SelectEntity):
    """One of a fixed list of options."""

    def _apply_platform_spec(self, spec: EntitySpec) -> None:
        self._attr_options = list(spec.options or ())

    @property
    def current_option(self) -> str | None:
        value = self.raw_state
        if value is None:
            return None
        text = str(value)
        return text if text in self.options else None

    async def async_select_option(self, option: str) -> None:
        await self.async_send_action("select_option", option)
