"""strings.json, translations/en.json and icons.json against the schema, services.yaml and what the add-on sends."""

from __future__ import annotations

import ast
import copy
from typing import Any

import pytest
import yaml

from custom_components.smart_power_station.const import (
    ADDON_REPAIR_PLACEHOLDERS,
    ISSUE_PROTOCOL_MISMATCH,
    ISSUE_RESTART_REQUIRED,
    ISSUE_TOKEN_NOT_ADMIN,
    SERVICES,
)
from custom_components.smart_power_station.services import SERVICE_SCHEMAS

from .translation_checks import (
    BRIDGE_DIR,
    INTEGRATION,
    entity_problems,
    icon_problems,
    issue_problems,
    load_json,
    placeholders,
    schema_problems,
    service_problems,
)

STRINGS: dict[str, Any] = load_json(INTEGRATION / "strings.json")
EN: dict[str, Any] = load_json(INTEGRATION / "translations" / "en.json")
ICONS: dict[str, Any] = load_json(INTEGRATION / "icons.json")
ADDON: dict[str, Any] = load_json(BRIDGE_DIR / "addon-entity-translations.json")
SERVICES_YAML: dict[str, Any] = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))

# The placeholders each bridge-raised issue is created with (websocket_api.py).
BRIDGE_ISSUES = {
    ISSUE_PROTOCOL_MISMATCH: ("addon_protocol", "bridge_protocol", "addon_version", "bridge_version"),
    ISSUE_TOKEN_NOT_ADMIN: ("user",),
    ISSUE_RESTART_REQUIRED: ("installed", "running"),
}


@pytest.mark.parametrize(("name", "document"), [("strings.json", STRINGS), ("translations/en.json", EN)])
def test_strings_match_the_schema(name: str, document: dict[str, Any]) -> None:
    assert schema_problems(document, "strings.schema.json") == [], name


def test_icons_match_the_schema() -> None:
    assert schema_problems(ICONS, "icons.schema.json") == []


def test_en_json_is_strings_json() -> None:
    """HA reads translations/en.json for a custom integration; strings.json is the source (no references)."""
    assert EN == STRINGS


@pytest.mark.parametrize(("name", "document"), [("strings.json", STRINGS), ("translations/en.json", EN)])
def test_every_entity_key_the_addon_sends_has_its_strings(name: str, document: dict[str, Any]) -> None:
    assert sum(len(keys) for platform, keys in ADDON.items() if not platform.startswith("$")) > 100
    assert entity_problems(document, ADDON, name) == []


def test_every_service_and_field_has_its_strings_and_icon() -> None:
    assert set(SERVICES_YAML) == set(SERVICES) == set(SERVICE_SCHEMAS)
    assert service_problems(STRINGS, SERVICES_YAML, "strings.json") == []
    assert icon_problems(ICONS, STRINGS, SERVICES_YAML) == []


def test_every_repair_issue_has_its_strings() -> None:
    assert issue_problems(STRINGS, {**ADDON_REPAIR_PLACEHOLDERS, **BRIDGE_ISSUES}) == []


def test_every_translated_exception_the_code_raises_has_a_message() -> None:
    """Walks the integration's source for `translation_key="…"` next to `translation_domain`."""
    raised: dict[str, set[str]] = {}
    for source in INTEGRATION.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            key = kwargs.get("translation_key")
            if "translation_domain" not in kwargs or not isinstance(key, ast.Constant):
                continue
            names: set[str] = set()
            values = kwargs.get("translation_placeholders")
            if isinstance(values, ast.Dict):
                names = {k.value for k in values.keys if isinstance(k, ast.Constant)}
            raised[str(key.value)] = names
    assert len(raised) >= 7
    exceptions = STRINGS["exceptions"]
    missing = sorted(set(raised) - set(exceptions))
    assert missing == []
    wrong = {key: names for key, names in raised.items() if placeholders(exceptions[key]["message"]) != names}
    assert wrong == {}


# ---- the checks catch what they are for ------------------------------------------------------------


def test_a_missing_entity_name_is_caught() -> None:
    broken = copy.deepcopy(STRINGS)
    del broken["entity"]["sensor"]["battery_soc"]
    del broken["entity"]["select"]["ems_mode"]["state"]["forced"]
    broken["entity"]["switch"]["relay_channel"]["name"] = "Relay"
    assert entity_problems(broken, ADDON, "strings.json") == [
        "strings.json: entity.sensor.battery_soc.name is missing",
        "strings.json: entity.switch.relay_channel.name has placeholders [], the add-on fills ['channel']",
        "strings.json: entity.select.ems_mode.state.forced is missing",
    ]


def test_a_key_the_addon_adds_without_strings_is_caught() -> None:
    """What happens when a new entity (e.g. demand response's) reaches the add-on's table first."""
    newer = copy.deepcopy(ADDON)
    newer["sensor"]["dr_event_state"] = {"name": "Demand response", "placeholders": [], "states": ["active"]}
    assert entity_problems(STRINGS, newer, "strings.json") == [
        "strings.json: entity.sensor.dr_event_state.name is missing"
    ]


def test_a_missing_service_field_string_and_a_bad_structure_are_caught() -> None:
    broken = copy.deepcopy(STRINGS)
    del broken["services"]["hold_soc"]["fields"]["soc_pct"]["description"]
    broken["entity"]["sensor"]["Bad-Key"] = {"name": ""}
    assert service_problems(broken, SERVICES_YAML, "strings.json") == [
        "strings.json: services.hold_soc.fields.soc_pct.description is missing"
    ]
    problems = schema_problems(broken, "strings.schema.json")
    assert any("Bad-Key" in p for p in problems), problems
    assert any("services.hold_soc.fields.soc_pct" in p and "description" in p for p in problems), problems
