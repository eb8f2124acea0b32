"""The declaration the add-on sends: voluptuous schemas and the typed model built from them.

Field names mirror packages/core/src/entities.ts (EntityDescriptor, DeviceInfo) in
snake_case; docs/bridge-protocol.md lists every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import voluptuous as vol

from homeassistant.helpers import config_validation as cv

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
# HA's rule for translation keys (hassfest translations: lowercase letters, digits, underscores).
TRANSLATION_KEY_PATTERN = r"^[a-z0-9_]{1,64}$"
DEVICE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"

ENTITY_PLATFORMS = ("sensor", "binary_sensor", "switch", "number", "select", "button")
CONTROL_PLATFORMS = ("switch", "number", "select", "button")

StateValue = str | int | float | bool | None

ENTITY_SCHEMA = vol.Schema(
    {
        vol.Required("key"): vol.Match(KEY_PATTERN, msg="key must be snake_case ASCII"),
        vol.Required("platform"): vol.In(ENTITY_PLATFORMS),
        # The entity's name, icon and state names in strings.json / icons.json (`entity.<platform>.<key>`).
        vol.Optional("translation_key"): vol.Any(
            None, vol.Match(TRANSLATION_KEY_PATTERN, msg="translation_key must be lowercase a-z, 0-9 and _")
        ),
        vol.Optional("translation_placeholders"): vol.Any(
            None,
            vol.All(
                {vol.Match(r"^[a-z_]{1,32}$"): vol.All(str, vol.Length(max=128))},
                vol.Length(max=8),
            ),
        ),
        # English name: used only for a translation key this bridge does not know (a newer add-on).
        vol.Optional("name"): vol.Any(None, vol.All(str, vol.Length(min=1, max=128))),
        vol.Optional("device_class"): vol.Any(None, vol.All(str, vol.Length(max=64))),
        vol.Optional("state_class"): vol.Any(None, vol.In(("measurement", "total", "total_increasing"))),
        vol.Optional("unit"): vol.Any(None, vol.All(str, vol.Length(max=32))),
        vol.Optional("icon"): vol.Any(None, vol.Match(r"^[a-z]+:[a-z0-9-]+$")),
        vol.Optional("entity_category"): vol.Any(None, vol.In(("config", "diagnostic"))),
        vol.Optional("min"): vol.Any(None, vol.Coerce(float)),
        vol.Optional("max"): vol.Any(None, vol.Coerce(float)),
        vol.Optional("step"): vol.Any(None, vol.All(vol.Coerce(float), vol.Range(min=0, min_included=False))),
        vol.Optional("mode"): vol.Any(None, vol.In(("auto", "box", "slider"))),
        vol.Optional("options"): vol.Any(None, [vol.All(str, vol.Length(min=1, max=255))]),
        vol.Optional("suggested_display_precision"): vol.Any(None, vol.All(int, vol.Range(min=0, max=10))),
        vol.Optional("enabled_by_default"): bool,
        # The command binding is the add-on's business; kept for diagnostics only.
        vol.Optional("command"): vol.Any(None, dict),
        # Attributes HA's recorder must not store (e.g. a whole price forecast on every change).
        vol.Optional("unrecorded_attributes"): vol.Any(
            None, vol.All([vol.All(str, vol.Length(min=1, max=64))], vol.Length(max=16))
        ),
    }
)

DEVICE_SCHEMA = vol.Schema(
    {
        vol.Required("id"): vol.Match(DEVICE_ID_PATTERN, msg="id must be 1-64 of A-Z a-z 0-9 _ . : -"),
        vol.Optional("name"): vol.All(str, vol.Length(min=1, max=128)),
        vol.Required("manufacturer"): vol.All(str, vol.Length(min=1, max=128)),
        vol.Required("model"): vol.All(str, vol.Length(min=1, max=128)),
        vol.Required("serial"): vol.All(str, vol.Length(min=1, max=128)),
        vol.Optional("firmware"): vol.Any(None, vol.All(str, vol.Length(max=128))),
        vol.Optional("hardware"): vol.Any(None, vol.All(str, vol.Length(max=128))),
        vol.Optional("configuration_url"): vol.Any(None, vol.All(str, vol.Length(max=512))),
        vol.Required("entities"): [ENTITY_SCHEMA],
    }
)

HUB_SCHEMA = vol.Schema(
    {
        vol.Optional("name", default="Smart Power Station"): vol.All(str, vol.Length(min=1, max=128)),
        vol.Optional("addon_version"): vol.Any(None, str),
        vol.Optional("configuration_url"): vol.Any(None, vol.All(str, vol.Length(max=512))),
    }
)

DECLARATION_SCHEMA = vol.Schema(
    {
        vol.Optional("hub", default={}): HUB_SCHEMA,
        vol.Required("devices"): [DEVICE_SCHEMA],
    }
)

STATE_VALUE = vol.Any(None, bool, vol.Coerce(float), cv.string)

STATE_UPDATE_SCHEMA = vol.Schema(
    {
        vol.Required("device_id"): vol.Match(DEVICE_ID_PATTERN),
        vol.Required("key"): vol.Match(KEY_PATTERN),
        vol.Required("state"): vol.Any(None, bool, int, float, str),
        # Optional extra state attributes; absent keeps the entity's previous attributes.
        vol.Optional("attributes"): vol.Any(None, dict),
    }
)

AVAILABILITY_SCHEMA = vol.Schema(
    {
        vol.Required("device_id"): vol.Match(DEVICE_ID_PATTERN),
        vol.Required("available"): bool,
        vol.Optional("reason"): vol.Any(None, vol.All(str, vol.Length(max=512))),
    }
)


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """One entity as the add-on declared it."""

    key: str
    platform: str
    name: str | None
    translation_key: str | None = None
    translation_placeholders: tuple[tuple[str, str], ...] = ()
    device_class: str | None = None
    state_class: str | None = None
    unit: str | None = None
    icon: str | None = None
    entity_category: str | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    mode: str | None = None
    options: tuple[str, ...] | None = None
    suggested_display_precision: int | None = None
    enabled_by_default: bool = True
    command: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    unrecorded_attributes: frozenset[str] = frozenset()

    @property
    def effective_translation_key(self) -> str:
        """The add-on's translation key; an add-on before 0.2.0 sends none, and its keys are the best guess."""
        return self.translation_key or self.key

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntitySpec:
        options = data.get("options")
        return cls(
            key=data["key"],
            platform=data["platform"],
            name=data.get("name"),
            translation_key=data.get("translation_key"),
            translation_placeholders=tuple(sorted((data.get("translation_placeholders") or {}).items())),
            device_class=data.get("device_class"),
            state_class=data.get("state_class"),
            unit=data.get("unit"),
            icon=data.get("icon"),
            entity_category=data.get("entity_category"),
            min=data.get("min"),
            max=data.get("max"),
            step=data.get("step"),
            mode=data.get("mode"),
            options=tuple(options) if options is not None else None,
            suggested_display_precision=data.get("suggested_display_precision"),
            enabled_by_default=data.get("enabled_by_default", True),
            command=data.get("command"),
            unrecorded_attributes=frozenset(data.get("unrecorded_attributes") or ()),
        )


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One device as the add-on declared it."""

    id: str
    manufacturer: str
    model: str
    serial: str
    name: str
    firmware: str | None
    hardware: str | None
    configuration_url: str | None
    entities: dict[str, EntitySpec]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceSpec:
        entities = {e["key"]: EntitySpec.from_dict(e) for e in data["entities"]}
        return cls(
            id=data["id"],
            manufacturer=data["manufacturer"],
            model=data["model"],
            serial=data["serial"],
            name=data.get("name") or f"{data['manufacturer']} {data['model']}",
            firmware=data.get("firmware"),
            hardware=data.get("hardware"),
            configuration_url=data.get("configuration_url"),
            entities=entities,
        )


def validate_declaration(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a whole declaration, including the cross-field rules voluptuous cannot express."""
    result: dict[str, Any] = DECLARATION_SCHEMA(data)
    seen_ids: set[str] = set()
    seen_serials: set[str] = set()
    for index, device in enumerate(result["devices"]):
        where = f"devices[{index}]"
        if device["id"] in seen_ids:
            raise vol.Invalid(f"{where}.id: duplicate device id {device['id']!r}")
        if device["serial"] in seen_serials:
            raise vol.Invalid(f"{where}.serial: duplicate serial {device['serial']!r}")
        seen_ids.add(device["id"])
        seen_serials.add(device["serial"])
        keys: set[str] = set()
        for e_index, entity in enumerate(device["entities"]):
            e_where = f"{where}.entities[{e_index}]"
            if entity["key"] in keys:
                raise vol.Invalid(f"{e_where}.key: duplicate key {entity['key']!r}")
            keys.add(entity["key"])
            if entity["platform"] == "select" and not entity.get("options"):
                raise vol.Invalid(f"{e_where}.options: a select needs at least one option")
            low, high = entity.get("min"), entity.get("max")
            if low is not None and high is not None and low > high:
                raise vol.Invalid(f"{e_where}.min: min {low} is above max {high}")
    return result
