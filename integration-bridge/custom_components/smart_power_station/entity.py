"""Base entity: identity, device link, availability and the declared presentation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .model import DeviceSpec, EntitySpec, StateValue

if TYPE_CHECKING:
    from .bridge import SpsBridge


class SpsEntity(Entity):
    """An entity the add-on declared. State comes from the bridge; it never polls."""

    _attr_should_poll = False
    _attr_has_entity_name = True

    def __init__(self, bridge: SpsBridge, device: DeviceSpec, spec: EntitySpec) -> None:
        self.bridge = bridge
        self.device_id = device.id
        self.serial = device.serial
        self.spec = spec
        self._attr_unique_id = f"{device.serial}_{spec.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, device.serial)})
        self._attr_entity_registry_enabled_default = spec.enabled_by_default
        self._sps_added = False
        self._apply_spec(spec)

    @callback
    def update_spec(self, device: DeviceSpec, spec: EntitySpec) -> None:
        """The add-on re-declared this entity; pick up changed presentation."""
        changed = spec != self.spec
        self.spec = spec
        self.device_id = device.id
        if changed:
            self._apply_spec(spec)
            self.state_updated()

    def _apply_spec(self, spec: EntitySpec) -> None:
        translation_key = spec.effective_translation_key
        if self.bridge.translates(spec.platform, translation_key):
            # Name, icon (icons.json) and state names come from the bridge's translations; the
            # English name the add-on sent stays unused. The translation key must be set before
            # _attr_name goes: deleting it re-evaluates the name from the key.
            self._attr_translation_key = translation_key
            self._attr_translation_placeholders = dict(spec.translation_placeholders)
            if hasattr(self, "_attr_name"):
                del self._attr_name
            if hasattr(self, "_attr_icon"):
                del self._attr_icon
        else:
            # A key this bridge does not know (an add-on newer than the bridge): HA would show the
            # device name alone, so the add-on's English name and icon stand in until the update.
            self._attr_translation_key = None
            self._attr_translation_placeholders = {}
            self._attr_name = spec.name
            self._attr_icon = spec.icon
        self._attr_entity_category = EntityCategory(spec.entity_category) if spec.entity_category else None
        self._attr_device_class = spec.device_class
        self._apply_platform_spec(spec)

    def _apply_platform_spec(self, spec: EntitySpec) -> None:
        """Platforms map their own fields (units, ranges, options)."""

    @property
    def added_to_hass(self) -> bool:
        return self._sps_added

    @property
    def raw_state(self) -> StateValue:
        return self.bridge.states.get((self.device_id, self.spec.key))

    @property
    def available(self) -> bool:
        return self.bridge.addon_alive and self.bridge.device_available(self.device_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return self.bridge.attributes.get((self.device_id, self.spec.key))

    async def async_added_to_hass(self) -> None:
        # Subscribe to the bridge's state pushes only now: before this HA cannot take a state.
        self._sps_added = True
        self.bridge.attach_entity(self)

    async def async_will_remove_from_hass(self) -> None:
        self._sps_added = False
        self.bridge.detach_entity(self)

    @callback
    def state_updated(self) -> None:
        # The bridge tracks entities from creation (so a quick re-declaration never
        # creates a duplicate) but writing state is only valid once HA has added us.
        if self._sps_added:
            self.async_write_ha_state()

    async def async_send_action(self, action: str, value: Any = None) -> dict[str, Any]:
        """Deliver this entity's action to the add-on; raises HomeAssistantError on refusal."""
        payload: dict[str, Any] = {
            "kind": "entity",
            "action": action,
            "device_id": self.device_id,
            "key": self.spec.key,
            "platform": self.spec.platform,
        }
        if value is not None:
            payload["value"] = value
        return await self.bridge.async_request_action(payload)


_UNRECORDED_CLASSES: dict[tuple[type, frozenset[str]], type] = {}


def entity_class(cls: type[SpsEntity], spec: EntitySpec) -> type[SpsEntity]:
    """The platform class, or a subclass whose attributes listed in the spec stay out of the recorder.

    HA folds `_unrecorded_attributes` into the recorder's exclusion set once per class
    (`Entity.__init_subclass__`), so a per-entity set needs its own (cached) subclass.
    """
    if not spec.unrecorded_attributes:
        return cls
    key = (cls, spec.unrecorded_attributes)
    sub = _UNRECORDED_CLASSES.get(key)
    if sub is None:
        sub = type(
            f"{cls.__name__}Unrecorded",
            (cls,),
            # Same module: HA tells custom components apart by the class's module.
            {"_unrecorded_attributes": spec.unrecorded_attributes, "__module__": cls.__module__},
        )
        _UNRECORDED_CLASSES[key] = sub
    return sub
