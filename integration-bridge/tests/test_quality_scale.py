"""quality_scale.yaml accounts for every rule, and what a Gold claim needs is in the integration folder."""

from __future__ import annotations

from pathlib import Path
import struct
from typing import Any

import yaml

import homeassistant.components

from .translation_checks import BRIDGE_DIR, INTEGRATION, load_json

TIERS = ("bronze", "silver", "gold", "platinum")


def _rules_of_this_home_assistant() -> dict[str, str]:
    """Rule id -> tier, from the quality_scale.yaml files of the HA release in the venv.

    The wheel does not ship hassfest (which holds the list); its own integrations' files name every rule,
    under `# Bronze` … `# Platinum` comments, so the union of their ids is the list this release checks.
    """
    rules: dict[str, str] = {}
    for path in Path(homeassistant.components.__path__[0]).glob("*/quality_scale.yaml"):
        tier = ""
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.strip().lstrip("#").split()
            if line.strip().startswith("#") and words and words[0].lower() in TIERS:
                tier = words[0].lower()
            elif tier and line.startswith("  ") and not line.startswith("   ") and ":" in line:
                rules.setdefault(line.strip().split(":")[0], tier)
    return rules


def test_every_rule_has_a_status_and_gold_has_no_todo() -> None:
    known = _rules_of_this_home_assistant()
    assert len(known) >= 50
    ours: dict[str, Any] = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8"))["rules"]
    assert sorted(set(known) - set(ours)) == []
    assert sorted(set(ours) - set(known)) == []
    for rule, value in ours.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in ("done", "exempt", "todo"), rule
        if status == "exempt":
            assert isinstance(value, dict) and value.get("comment"), f"{rule}: an exemption needs its reason"
        if known[rule] in ("bronze", "silver", "gold"):
            assert status != "todo", f"{rule} ({known[rule]}) is todo, so the integration is not Gold"


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_manifest_claims_gold_with_what_gold_needs() -> None:
    manifest = load_json(INTEGRATION / "manifest.json")
    assert manifest["quality_scale"] == "gold"
    # hassfest: Gold and above need a code owner and diagnostics; keys sorted after domain and name.
    assert manifest["codeowners"] and all(owner.startswith("@") for owner in manifest["codeowners"])
    assert (INTEGRATION / "diagnostics.py").exists()
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"] and keys[2:] == sorted(keys[2:])


def test_brand_images_in_both_places_with_the_brands_sizes() -> None:
    for folder in (INTEGRATION / "brand", BRIDGE_DIR / "brands" / "custom_integrations" / "smart_power_station"):
        assert _png_size(folder / "icon.png") == (256, 256)
        assert _png_size(folder / "icon@2x.png") == (512, 512)
        logo = _png_size(folder / "logo.png")
        logo2x = _png_size(folder / "logo@2x.png")
        assert 128 <= min(logo) <= 256 and 256 <= min(logo2x) <= 512
        assert logo[0] > logo[1]
