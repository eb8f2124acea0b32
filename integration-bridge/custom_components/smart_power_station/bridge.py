"""The bridge's runtime: the declared devices, their states and availability, and the add-on session.

Entities read everything from here; the websocket commands and services write here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.storage import Store

from .const import CONNECTIVITY_KEY, DOMAIN, HUB_IDENTIFIER, STORAGE_KEY, STORAGE_VERSION
from .entity import entity_class
from .model import DeviceSpec, EntitySpec, StateValue
from .session import ActionFailed, AddonSession

if TYPE_CHECKING:
    from .entity import SpsEntity

_LOGGER = logging.getLogger(__name__)

EntityFactory = Callable[["SpsBridge", DeviceSpec, EntitySpec], "SpsEntity"]


def entity_unique_id(serial: str, key: str) -> str:
    """Stable across restarts and re-declarations: the device serial plus the reading key."""
    return f"{serial}_{key}"


class SpsBridge:
    """Everything the bridge knows, owned by the one config entry."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self.hub: dict[str, Any] = {"name": "Smart Power Station"}
        self.devices: dict[str, DeviceSpec] = {}
        self.states: dict[tuple[str, str], StateValue] = {}
        # Extra state attributes the add-on sent with a state (e.g. a forecast horizon).
        self.attributes: dict[tuple[str, str], dict[str, Any]] = {}
        # device id -> (available, reason). Absent means "available" once the session is live.
        self.device_availability: dict[str, tuple[bool, str | None]] = {}
        self.session: AddonSession | None = None
        # Entities HA has added (they receive state pushes), and those created but not added yet:
        # a re-declaration in between must update the pending object, never create a duplicate.
        self.entities: dict[tuple[str, str], SpsEntity] = {}
        self.pending_entities: dict[tuple[str, str], SpsEntity] = {}
        # (platform, translation key) pairs that translations/en.json names (loaded at setup).
        self.translated_keys: frozenset[tuple[str, str]] = frozenset()
        self._adders: dict[str, AddEntitiesCallback] = {}
        self._factories: dict[str, EntityFactory] = {}
        self.declared_at: float | None = None

    # ---- lifecycle -------------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore the last declaration so every entity exists at once after a restart (unavailable)."""
        stored = await self.store.async_load()
        if not stored:
            return
        try:
            self.hub = stored.get("hub", self.hub)
            self.devices = {d["id"]: DeviceSpec.from_dict(d) for d in stored.get("devices", [])}
        except (KeyError, TypeError) as err:
            _LOGGER.warning("Ignoring an unreadable stored declaration: %s", err)
            self.devices = {}
            return
        self._sync_device_registry()

    @callback
    def register_platform(self, platform: str, add_entities: AddEntitiesCallback, factory: EntityFactory) -> None:
        """A platform is ready: create its entities for the current declaration."""
        self._adders[platform] = add_entities
        self._factories[platform] = factory
        new = [
            self._create(factory, device, spec)
            for device in self.devices.values()
            for spec in device.entities.values()
            if spec.platform == platform
        ]
        if platform == "binary_sensor":
            new.extend(self._connectivity_entities(self.devices.values()))
        if new:
            add_entities(new)

    @callback
    def shutdown(self) -> None:
        if self.session is not None:
            self.session.close("bridge unloaded")
            self.session = None

    # ---- declaration -----------------------------------------------------------------

    async def async_declare(self, hub: dict[str, Any], devices: list[dict[str, Any]]) -> dict[str, Any]:
        """Replace the whole declaration: add, update and remove devices and entities."""
        new_devices = {d["id"]: DeviceSpec.from_dict(d) for d in devices}
        old_devices = self.devices
        self.hub = hub
        self.devices = new_devices
        self._sync_device_registry()
        removed_entities = await self._remove_stale_entities(old_devices, new_devices)
        removed_devices = self._remove_stale_devices()
        added = self._add_or_update_entities(old_devices, new_devices)
        for device_id in list(self.device_availability):
            if device_id not in new_devices:
                del self.device_availability[device_id]
        for state_key in [k for k in self.states if k[0] not in new_devices]:
            del self.states[state_key]
        for state_key in [k for k in self.attributes if k[0] not in new_devices]:
            del self.attributes[state_key]
        await self.store.async_save({"hub": hub, "devices": devices})
        return {
            "devices": len(new_devices),
            "entities": sum(len(d.entities) for d in new_devices.values()),
            "added_entities": added,
            "removed_entities": removed_entities,
            "removed_devices": removed_devices,
        }

    @callback
    def _sync_device_registry(self) -> None:
        registry = dr.async_get(self.hass)
        registry.async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, HUB_IDENTIFIER)},
            manufacturer="Smart Power Station",
            model="Home Assistant add-on",
            name=self.hub.get("name") or "Smart Power Station",
            sw_version=self.hub.get("addon_version"),
            configuration_url=self.hub.get("configuration_url"),
            entry_type=dr.DeviceEntryType.SERVICE,
        )
        for device in self.devices.values():
            registry.async_get_or_create(
                config_entry_id=self.entry.entry_id,
                identifiers={(DOMAIN, device.serial)},
                manufacturer=device.manufacturer,
                model=device.model,
                name=device.name,
                serial_number=device.serial,
                sw_version=device.firmware,
                hw_version=device.hardware,
                configuration_url=device.configuration_url,
                via_device=(DOMAIN, HUB_IDENTIFIER),
            )

    @callback
    def _remove_stale_devices(self) -> list[str]:
        """Remove registry devices the add-on no longer has; their entities go with them."""
        registry = dr.async_get(self.hass)
        serials = {d.serial for d in self.devices.values()}
        removed: list[str] = []
        for entry in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            ours = [ident for dom, ident in entry.identifiers if dom == DOMAIN]
            if not ours or HUB_IDENTIFIER in ours or any(s in serials for s in ours):
                continue
            registry.async_remove_device(entry.id)
            removed.append(ours[0])
        return removed

    async def _remove_stale_entities(self, old: dict[str, DeviceSpec], new: dict[str, DeviceSpec]) -> int:
        """Drop entities whose key vanished or whose platform changed (they are re-created).

        Registry entries are removed only when their unique_id is no longer wanted, so a
        user's customisations (name, area, disabled) survive every re-declaration.
        """
        registry = er.async_get(self.hass)
        wanted: set[tuple[str, str]] = set()
        for device in new.values():
            for spec in device.entities.values():
                wanted.add((spec.platform, entity_unique_id(device.serial, spec.key)))
            wanted.add(("binary_sensor", entity_unique_id(device.serial, CONNECTIVITY_KEY)))
        removed_ids: set[str] = set()
        for entry in er.async_entries_for_config_entry(registry, self.entry.entry_id):
            if (entry.domain, entry.unique_id) not in wanted:
                registry.async_remove(entry.entity_id)
                removed_ids.add(entry.entity_id)
        # Live entity objects that no longer match the declaration (e.g. a device id that
        # now names another serial) leave the state machine; the registry removal above
        # already takes out the ones whose unique_id vanished.
        for (device_id, key), entity in [*self.entities.items(), *self.pending_entities.items()]:
            wanted_device = new.get(device_id)
            if key == CONNECTIVITY_KEY:
                keep = wanted_device is not None and wanted_device.serial == entity.serial
            else:
                keep = (
                    wanted_device is not None
                    and key in wanted_device.entities
                    and _same_kind(wanted_device.entities[key], entity.spec)
                    and wanted_device.serial == entity.serial
                )
            if keep:
                continue
            for tracked in (self.entities, self.pending_entities):
                if tracked.get((device_id, key)) is entity:
                    del tracked[(device_id, key)]
            if entity.entity_id not in removed_ids and entity.added_to_hass:
                await entity.async_remove()
        return len(removed_ids)

    @callback
    def _add_or_update_entities(self, old: dict[str, DeviceSpec], new: dict[str, DeviceSpec]) -> int:
        by_platform: dict[str, list[SpsEntity]] = {}
        new_connectivity: list[DeviceSpec] = []
        for device_id, device in new.items():
            previous = old.get(device_id)
            if previous is None or previous.serial != device.serial:
                new_connectivity.append(device)
            for key, spec in device.entities.items():
                existing = self.entities.get((device_id, key)) or self.pending_entities.get((device_id, key))
                if existing is not None and _same_kind(existing.spec, spec):
                    existing.update_spec(device, spec)
                    continue
                factory = self._factories.get(spec.platform)
                if factory is not None:
                    by_platform.setdefault(spec.platform, []).append(self._create(factory, device, spec))
        if new_connectivity:
            by_platform.setdefault("binary_sensor", []).extend(self._connectivity_entities(new_connectivity))
        added = 0
        for platform, entities in by_platform.items():
            adder = self._adders.get(platform)
            if adder is not None:
                adder(entities)
                added += len(entities)
        return added

    def _create(self, factory: EntityFactory, device: DeviceSpec, spec: EntitySpec) -> SpsEntity:
        if isinstance(factory, type):
            factory = entity_class(factory, spec)
        return self._track(factory(self, device, spec))

    def _connectivity_entities(self, devices: Iterable[DeviceSpec]) -> list[SpsEntity]:
        from .binary_sensor import SpsConnectivitySensor  # pylint: disable=import-outside-toplevel

        return [self._track(SpsConnectivitySensor(self, device)) for device in devices]

    def _track(self, entity: SpsEntity) -> SpsEntity:
        self.pending_entities[(entity.device_id, entity.spec.key)] = entity
        return entity

    # ---- translations ----------------------------------------------------------------

    def set_translated_keys(self, entity_strings: dict[str, str]) -> None:
        """Take the `component.<domain>.entity.<platform>.<key>.name` keys HA loaded for us."""
        prefix = f"component.{DOMAIN}.entity."
        pairs: set[tuple[str, str]] = set()
        for flat in entity_strings:
            if not flat.startswith(prefix) or not flat.endswith(".name"):
                continue
            parts = flat[len(prefix) :].split(".")
            if len(parts) == 3:
                pairs.add((parts[0], parts[1]))
        self.translated_keys = frozenset(pairs)

    def translates(self, platform: str, translation_key: str) -> bool:
        """Whether this bridge has a name for the key (else the add-on's English name is shown)."""
        return (platform, translation_key) in self.translated_keys

    # ---- entities --------------------------------------------------------------------

    @callback
    def attach_entity(self, entity: SpsEntity) -> None:
        """HA added the entity: from now on it receives state pushes."""
        key = (entity.device_id, entity.spec.key)
        if self.pending_entities.get(key) is entity:
            del self.pending_entities[key]
        self.entities[key] = entity

    @callback
    def detach_entity(self, entity: SpsEntity) -> None:
        key = (entity.device_id, entity.spec.key)
        for tracked in (self.entities, self.pending_entities):
            if tracked.get(key) is entity:
                del tracked[key]

    # ---- states and availability -----------------------------------------------------

    @callback
    def apply_states(self, updates: Iterable[dict[str, Any]]) -> list[str]:
        """Apply a batch of states; returns the `device_id/key` pairs that are not declared."""
        unknown: list[str] = []
        for update in updates:
            device_id, key = update["device_id"], update["key"]
            device = self.devices.get(device_id)
            if device is None or key not in device.entities:
                unknown.append(f"{device_id}/{key}")
                continue
            self.states[(device_id, key)] = update["state"]
            if update.get("attributes") is not None:
                self.attributes[(device_id, key)] = update["attributes"]
            entity = self.entities.get((device_id, key))
            if entity is not None:
                entity.state_updated()
        return unknown

    @callback
    def set_availability(self, device_id: str, available: bool, reason: str | None) -> bool:
        if device_id not in self.devices:
            return False
        previous = self.device_availability.get(device_id)
        self.device_availability[device_id] = (available, None if available else reason)
        if previous != self.device_availability[device_id]:
            if available:
                _LOGGER.info("Device %s is available", device_id)
            else:
                _LOGGER.warning("Device %s is unavailable: %s", device_id, reason or "no reason given")
            self._refresh_device(device_id)
        return True

    def device_available(self, device_id: str) -> bool:
        return self.device_availability.get(device_id, (True, None))[0]

    def device_reason(self, device_id: str) -> str | None:
        if not self.addon_alive:
            return "add-on not connected"
        return self.device_availability.get(device_id, (True, None))[1]

    @property
    def addon_alive(self) -> bool:
        return self.session is not None and self.session.alive

    @callback
    def _refresh_device(self, device_id: str) -> None:
        for (dev, _key), entity in list(self.entities.items()):
            if dev == device_id:
                entity.state_updated()

    @callback
    def _refresh_all(self) -> None:
        for entity in list(self.entities.values()):
            entity.state_updated()

    # ---- session ---------------------------------------------------------------------

    @callback
    def open_session(
        self, connection: ActiveConnection, msg_id: int, addon_version: str | None
    ) -> AddonSession:
        if self.session is not None:
            self.session.close("replaced by a new subscription")
        session = AddonSession(self.hass, connection, msg_id, addon_version, self._refresh_all)
        self.session = session
        _LOGGER.info("Smart Power Station add-on %s subscribed", addon_version or "(unknown version)")
        self._refresh_all()
        return session

    @callback
    def end_session(self, session: AddonSession, reason: str) -> None:
        if self.session is session:
            self.session = None
        session.close(reason)

    @callback
    def session_for(self, connection: ActiveConnection) -> AddonSession | None:
        if self.session is not None and self.session.connection is connection:
            return self.session
        return None

    async def async_request_action(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Forward an HA-side action to the add-on and wait for its verdict."""
        session = self.session
        if session is None:
            raise ActionFailed(
                "The Smart Power Station add-on is not connected",
                translation_domain=DOMAIN,
                translation_key="addon_not_connected",
            )
        result = await session.async_request(payload)
        # The add-on may echo the new state so the UI does not wait for the next reading.
        state = result.get("state", _MISSING)
        device_id, key = payload.get("device_id"), payload.get("key")
        if state is not _MISSING and isinstance(device_id, str) and isinstance(key, str):
            self.apply_states([{"device_id": device_id, "key": key, "state": state}])
        return result

    def device_id_for_ha_device(self, ha_device_id: str) -> str | None:
        """Map an HA device registry id (or the add-on's own device id) to the add-on's id."""
        if ha_device_id in self.devices:
            return ha_device_id
        entry = dr.async_get(self.hass).async_get(ha_device_id)
        if entry is None:
            return None
        serials = {ident for dom, ident in entry.identifiers if dom == DOMAIN}
        for device in self.devices.values():
            if device.serial in serials:
                return device.id
        return None


_MISSING = object()


def _same_kind(a: EntitySpec, b: EntitySpec) -> bool:
    """An entity object can follow a re-declaration only if its class stays right for it."""
    return a.platform == b.platform and a.unrecorded_attributes == b.unrecorded_attributes
