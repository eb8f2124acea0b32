"""Constants shared by the Smart Power Station bridge modules."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "smart_power_station"

# The bridge <-> add-on websocket protocol version (docs/bridge-protocol.md).
# Bump on any incompatible change; both sides refuse a mismatch.
PROTOCOL_VERSION: Final = 1

# Bus event fired when the bridge (re)loads or unloads, so the add-on re-declares.
EVENT_BRIDGE: Final = f"{DOMAIN}_bridge"

# Bus event the add-on fires (through smart_power_station/fire_event) on each demand-response change.
EVENT_DR: Final = f"{DOMAIN}_dr_event"
DR_CHANGE_KINDS: Final = ("received", "started", "ended", "cancelled", "opted_out")

# Heartbeat: the add-on sends one every HEARTBEAT_INTERVAL; missing them for
# HEARTBEAT_TIMEOUT marks every entity unavailable (the issue asks for < 5 s).
HEARTBEAT_INTERVAL_S: Final = 1.5
HEARTBEAT_TIMEOUT_S: Final = 4.5

# The Lovelace cards' bundle: served at CARDS_URL from frontend/CARDS_BUNDLE (frontend_cards.py).
CARDS_BUNDLE: Final = "smart-power-station-cards.js"
CARDS_URL: Final = f"/{DOMAIN}/{CARDS_BUNDLE}"

# smart_power_station/query: the add-on GET paths the cards may read (websocket_api.py), and how long
# a query waits for the add-on's answer.
QUERY_PATHS: Final = ("/api/plan", "/api/devices", "/api/readings", "/api/readings/history", "/api/health", "/api/dr")
QUERY_TIMEOUT_S: Final = 10.0

# How long an HA call waits for the add-on's action_result.
ACTION_TIMEOUT_S: Final = 15.0

STORAGE_KEY: Final = f"{DOMAIN}.declaration"
STORAGE_VERSION: Final = 1

HUB_IDENTIFIER: Final = "addon_hub"
# Starts with "_" so it can never clash with a declared key (which must start with a letter).
CONNECTIVITY_KEY: Final = "_connectivity"

PLATFORMS: Final = ["sensor", "binary_sensor", "switch", "number", "select", "button"]

SERVICES: Final = (
    "force_charge",
    "force_discharge",
    "restore_normal",
    "set_backup_reserve",
    "set_charge_rate",
    "set_discharge_rate",
    "set_export_limit",
    "sync_now",
    "optimize_now",
    "hold_soc",
    "opt_out_event",
    "simulate_event",
)

ISSUE_PROTOCOL_MISMATCH: Final = "protocol_mismatch"
# Raised by the bridge itself when the add-on says hello with a token whose user is not an
# administrator (every other command is admin-only, so the add-on cannot raise it through HA).
ISSUE_TOKEN_NOT_ADMIN: Final = "token_not_admin"
# Raised with protocol_mismatch when the integration on disk is not the one running: the add-on copied a
# newer (or older) release there, and a restart loads it. Fixable: its repair flow restarts HA.
ISSUE_RESTART_REQUIRED: Final = "restart_required"

# Optional additions to protocol 1 this bridge understands, listed in the hello result so a newer
# add-on sends them only to a bridge that takes them (the declaration schema refuses unknown fields).
BRIDGE_FEATURES: Final = ("translation_key",)

# Repair issues the add-on raises through `smart_power_station/repairs` (docs/bridge-protocol.md): each
# translation key of strings.json `issues` with the placeholders its text needs. HA issue ids are
# `addon_<add-on id>` so they never clash with the bridge's own issues.
ADDON_REPAIR_PLACEHOLDERS: Final[dict[str, tuple[str, ...]]] = {
    "restore_failed": ("device", "reason"),
    "device_left_forced": ("device", "reason"),
    "store_reset": ("path",),
    "disk_full": ("path",),
    "store_unwritable": ("path", "reason"),
}
ADDON_ISSUE_PREFIX: Final = "addon_"
