"""Binary sensor platform: declared boolean readings, plus one connectivity sensor per device."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import CONNECTIVITY_KEY, DOMAIN
from .entity import SpsEntity
from .model import DeviceSpec, EntitySpec

if TYPE_CHECKING:
    from .bridge import SpsBridge

TRUTHY = {"on", "true", "1", "yes", "open"}


def as_bool(value: object) -> bool | None:
    """Readings may come as booleans, numbers or words; None stays unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).strip().lower() in TRUTHY


# Nothing polls (the add-on pushes states), and actions are not limited here: each waits for the
# add-on, which serialises writes per device itself (safety guard, write-rate limiter).
PARALLEL_UPDATES = 0

async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    bridge: SpsBridge = entry.runtime_data
    bridge.register_platform("binary_sensor", async_add_entities, SpsBinarySensor)


class SpsBinarySensor(SpsEntity, BinarySensorEntity):
    """A boolean reading."""

    @property
    def is_on(self) -> bool | None:
        return as_bool(self.raw_state)


class SpsConnectivitySensor(SpsEntity, BinarySensorEntity):
    """Whether the add-on reaches the device; the `reason` attribute says why not.

    It stays available while the add-on is connected, so the reason is visible even when
    every other entity of the device shows `unavailable`.
    """

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "device_connectivity"

    def __init__(self, bridge: SpsBridge, device: DeviceSpec) -> None:
        spec = EntitySpec(key=CONNECTIVITY_KEY, platform="binary_sensor", name="Connectivity")
        super().__init__(bridge, device, spec)
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, device.serial)})

    def _apply_spec(self, spec: EntitySpec) -> None:
        # Name comes from the translation key; class and category are fixed above.
        pass

    @property
    def available(self) -> bool:
        return self.bridge.addon_alive

    @property
    def is_on(self) -> bool:
        return self.bridge.device_available(self.device_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return {"reason": self.bridge.device_reason(self.device_id)}
