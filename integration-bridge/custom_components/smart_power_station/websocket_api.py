"""Websocket commands under smart_power_station/… (docs/bridge-protocol.md).

The add-on's commands are admin-only; `query` (the cards' read-only view of the add-on) is open to
every logged-in user.
"""

from __future__ import annotations

import logging
from typing import Any

import voluptuous as vol

# Imported from the submodules: the package re-exports them without `as`, which strict mypy
# (no_implicit_reexport) does not count as an export.
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from .bridge import SpsBridge
from .const import (
    ADDON_ISSUE_PREFIX,
    ADDON_REPAIR_PLACEHOLDERS,
    BRIDGE_FEATURES,
    DOMAIN,
    DR_CHANGE_KINDS,
    EVENT_DR,
    ISSUE_PROTOCOL_MISMATCH,
    ISSUE_RESTART_REQUIRED,
    ISSUE_TOKEN_NOT_ADMIN,
    PROTOCOL_VERSION,
    QUERY_PATHS,
    QUERY_TIMEOUT_S,
)
from .model import AVAILABILITY_SCHEMA, STATE_UPDATE_SCHEMA, validate_declaration

_LOGGER = logging.getLogger(__name__)

ERR_NOT_LOADED = "not_loaded"
ERR_PROTOCOL_MISMATCH = "protocol_mismatch"
ERR_INVALID = "invalid_format"
ERR_NO_SESSION = "no_session"
ERR_NOT_CONNECTED = "addon_not_connected"
ERR_QUERY_FAILED = "query_failed"
# HA's own code for an admin-only command from a non-admin (websocket_api.const.ERR_UNAUTHORIZED).
ERR_UNAUTHORIZED = "unauthorized"


def bridge_version(hass: HomeAssistant) -> str:
    return str(hass.data.get(f"{DOMAIN}_version", "unknown"))


@callback
def async_register_commands(hass: HomeAssistant) -> None:
    for handler in (
        ws_hello,
        ws_subscribe,
        ws_declare,
        ws_states,
        ws_availability,
        ws_action_result,
        ws_heartbeat,
        ws_repairs,
        ws_fire_event,
        ws_query,
    ):
        async_register_command(hass, handler)


def _bridge(hass: HomeAssistant, connection: ActiveConnection, msg_id: int) -> SpsBridge | None:
    """The loaded bridge, or an error reply when the config entry is not set up."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        connection.send_error(msg_id, ERR_NOT_LOADED, "The Smart Power Station integration is not set up")
        return None
    bridge: SpsBridge = entries[0].runtime_data
    session = bridge.session_for(connection)
    if session is not None:
        session.touch()
    return bridge


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/hello",
        vol.Required("protocol"): int,
        vol.Optional("addon_version"): str,
    }
)
@callback
def ws_hello(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Version handshake. A mismatch is refused, logged and raised as a repair issue.

    Not `@require_admin` like the other commands: a token that lost its admin rights must still reach
    the bridge once, so the user sees a repair in HA instead of an add-on that silently stays offline.
    It is refused all the same (`unauthorized`, what HA's decorator answers) and learns nothing.
    """
    addon_version = msg.get("addon_version", "unknown")
    if not connection.user.is_admin:
        # The add-on says hello again at every retry (up to every 30 s): log it once per episode.
        if ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_TOKEN_NOT_ADMIN) is None:
            _LOGGER.error(
                "The Smart Power Station add-on %s connected as %s, who is not an administrator; "
                "its commands are refused until the token belongs to an administrator",
                addon_version,
                connection.user.name,
            )
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_TOKEN_NOT_ADMIN,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_TOKEN_NOT_ADMIN,
            translation_placeholders={"user": connection.user.name or connection.user.id},
        )
        connection.send_error(msg["id"], ERR_UNAUTHORIZED, "Unauthorized")
        return
    ir.async_delete_issue(hass, DOMAIN, ISSUE_TOKEN_NOT_ADMIN)
    if msg["protocol"] != PROTOCOL_VERSION:
        _LOGGER.error(
            "Smart Power Station add-on %s speaks bridge protocol %s but this bridge (%s) speaks %s; "
            "update the add-on and the integration to matching versions",
            addon_version,
            msg["protocol"],
            bridge_version(hass),
            PROTOCOL_VERSION,
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_PROTOCOL_MISMATCH,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_PROTOCOL_MISMATCH,
            translation_placeholders={
                "addon_protocol": str(msg["protocol"]),
                "bridge_protocol": str(PROTOCOL_VERSION),
                "addon_version": addon_version,
                "bridge_version": bridge_version(hass),
            },
        )
        hass.async_create_task(_async_raise_restart_if_replaced(hass), eager_start=False)
        connection.send_error(
            msg["id"],
            ERR_PROTOCOL_MISMATCH,
            f"bridge speaks protocol {PROTOCOL_VERSION}, add-on sent {msg['protocol']}",
        )
        return
    ir.async_delete_issue(hass, DOMAIN, ISSUE_PROTOCOL_MISMATCH)
    loaded = bool(hass.config_entries.async_loaded_entries(DOMAIN))
    connection.send_result(
        msg["id"],
        {
            "protocol": PROTOCOL_VERSION,
            "bridge_version": bridge_version(hass),
            "ha_version": HA_VERSION,
            "loaded": loaded,
            "features": list(BRIDGE_FEATURES),
        },
    )


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/subscribe",
        vol.Optional("addon_version"): str,
    }
)
@require_admin
@callback
def ws_subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Open the add-on session: HA-side actions arrive as events on this subscription."""
    bridge = _bridge(hass, connection, msg["id"])
    if bridge is None:
        return
    session = bridge.open_session(connection, msg["id"], msg.get("addon_version"))

    @callback
    def _closed() -> None:
        bridge.end_session(session, "subscription closed")

    connection.subscriptions[msg["id"]] = _closed
    connection.send_result(msg["id"])


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/declare",
        vol.Optional("hub"): dict,
        vol.Required("devices"): list,
    }
)
@require_admin
@async_response
async def ws_declare(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Replace the declared devices and entities."""
    bridge = _bridge(hass, connection, msg["id"])
    if bridge is None:
        return
    try:
        declaration = validate_declaration({"hub": msg.get("hub", {}), "devices": msg["devices"]})
    except vol.Invalid as err:
        connection.send_error(msg["id"], ERR_INVALID, f"declaration: {humanize(err)}")
        return
    result = await bridge.async_declare(declaration["hub"], declaration["devices"])
    connection.send_result(msg["id"], result)


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/states",
        vol.Required("states"): [STATE_UPDATE_SCHEMA],
    }
)
@require_admin
@callback
def ws_states(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """A batch of entity states."""
    bridge = _bridge(hass, connection, msg["id"])
    if bridge is None:
        return
    unknown = bridge.apply_states(msg["states"])
    connection.send_result(msg["id"], {"applied": len(msg["states"]) - len(unknown), "unknown": unknown})


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/availability",
        vol.Required("devices"): [AVAILABILITY_SCHEMA],
    }
)
@require_admin
@callback
def ws_availability(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Per-device availability with a reason."""
    bridge = _bridge(hass, connection, msg["id"])
    if bridge is None:
        return
    unknown = [
        item["device_id"]
        for item in msg["devices"]
        if not bridge.set_availability(item["device_id"], item["available"], item.get("reason"))
    ]
    connection.send_result(msg["id"], {"unknown": unknown})


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/action_result",
        vol.Required("request_id"): str,
        vol.Required("success"): bool,
        vol.Optional("error"): vol.Any(None, vol.All(str, vol.Length(max=1024))),
        vol.Optional("result"): dict,
    }
)
@require_admin
@callback
def ws_action_result(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The add-on's verdict on an action; completes (or fails) the waiting HA call."""
    bridge = _bridge(hass, connection, msg["id"])
    if bridge is None:
        return
    session = bridge.session_for(connection)
    if session is None:
        connection.send_error(msg["id"], ERR_NO_SESSION, "this connection has no open subscription")
        return
    matched = session.resolve(msg["request_id"], msg["success"], msg.get("error"), msg.get("result", {}))
    connection.send_result(msg["id"], {"matched": matched})


@websocket_command({vol.Required("type"): f"{DOMAIN}/heartbeat"})
@require_admin
@callback
def ws_heartbeat(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Keeps the session alive; any command does, this one exists for quiet periods."""
    bridge = _bridge(hass, connection, msg["id"])
    if bridge is None:
        return
    session = bridge.session_for(connection)
    connection.send_result(msg["id"], {"subscribed": session is not None})


async def _async_raise_restart_if_replaced(hass: HomeAssistant) -> None:
    """After a mismatch: if another release of this integration is on disk, a restart is the fix.

    The add-on copies its bundled integration into custom_components when it starts; until HA restarts,
    the old one runs and may not speak the add-on's protocol.
    """
    from . import read_installed_version  # pylint: disable=import-outside-toplevel

    installed = await hass.async_add_executor_job(read_installed_version)
    running = bridge_version(hass)
    if installed == running:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_RESTART_REQUIRED,
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_RESTART_REQUIRED,
        translation_placeholders={"installed": installed, "running": running},
    )


def _repair_issue(value: Any) -> dict[str, Any]:
    """One repair issue: a known translation key with every placeholder its text needs."""
    issue: dict[str, Any] = REPAIR_ISSUE_SCHEMA(value)
    needed = ADDON_REPAIR_PLACEHOLDERS[issue["key"]]
    missing = [name for name in needed if name not in issue["placeholders"]]
    if missing:
        raise vol.Invalid(f"missing {', '.join(missing)}", path=["placeholders"])
    issue["placeholders"] = {name: issue["placeholders"][name] for name in needed}
    return issue


REPAIR_ISSUE_SCHEMA = vol.Schema(
    {
        vol.Required("id"): vol.All(str, vol.Match(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")),
        vol.Required("key"): vol.In(list(ADDON_REPAIR_PLACEHOLDERS)),
        vol.Required("severity"): vol.In(["warning", "error"]),
        vol.Required("placeholders"): {str: vol.All(str, vol.Length(max=1024))},
    }
)


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/repairs",
        vol.Required("issues"): list,
    }
)
@require_admin
@callback
def ws_repairs(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Replace the add-on's repair issues: raise every issue in the set, delete the add-on's others.

    Issues live in HA's issue registry (persisted by HA), so one raised before the add-on stopped stays
    visible while it is gone; the next set the add-on sends clears what no longer holds. Works without a
    config entry: a problem worth repairing must reach the user even before the integration is set up.
    """
    issues: list[dict[str, Any]] = []
    for index, raw in enumerate(msg["issues"]):
        try:
            issues.append(_repair_issue(raw))
        except vol.Invalid as err:
            err.prepend([index])
            connection.send_error(msg["id"], ERR_INVALID, f"issues{humanize(err)}")
            return
    wanted = {ADDON_ISSUE_PREFIX + issue["id"]: issue for issue in issues}
    registry = ir.async_get(hass)
    stale = [
        issue_id
        for (domain, issue_id) in list(registry.issues)
        if domain == DOMAIN and issue_id.startswith(ADDON_ISSUE_PREFIX) and issue_id not in wanted
    ]
    for issue_id in stale:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    for issue_id, issue in wanted.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR if issue["severity"] == "error" else ir.IssueSeverity.WARNING,
            translation_key=issue["key"],
            translation_placeholders=issue["placeholders"],
        )
    connection.send_result(msg["id"], {"raised": sorted(wanted), "cleared": sorted(stale)})


_TEXT = vol.All(str, vol.Length(max=256))
_OPTIONAL_TEXT = vol.Any(None, _TEXT)

# The data of smart_power_station_dr_event: the change and the event's fields (docs/bridge-protocol.md).
DR_EVENT_DATA_SCHEMA = vol.Schema(
    {
        vol.Required("kind"): vol.In(DR_CHANGE_KINDS),
        vol.Required("event_id"): vol.All(str, vol.Length(min=1, max=256)),
        vol.Required("program"): vol.In(["DLRP", "CSRP"]),
        vol.Required("type"): vol.In(["contingency", "immediate"]),
        vol.Required("start"): _TEXT,
        vol.Required("end"): _TEXT,
        vol.Required("goal_kw"): vol.Any(None, vol.All(vol.Coerce(float), vol.Range(min=0, max=100000))),
        vol.Optional("goal_pct"): vol.Any(None, vol.All(vol.Coerce(float), vol.Range(min=0, max=100))),
        vol.Required("status"): vol.In(["active", "cancelled"]),
        vol.Required("opted_out"): bool,
        vol.Required("simulated"): bool,
        vol.Optional("sent_at"): _OPTIONAL_TEXT,
        vol.Optional("at"): _OPTIONAL_TEXT,
    }
)


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/fire_event",
        vol.Required("event_type"): str,
        vol.Required("event_data"): dict,
    }
)
@require_admin
@callback
def ws_fire_event(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Fire the add-on's one bus event, smart_power_station_dr_event, for automations to react to.

    Only that event type is allowed (the add-on's token is admin, but this command must not become a way
    to fire arbitrary events), and its data is validated so automations can rely on the fields.
    """
    if msg["event_type"] != EVENT_DR:
        connection.send_error(msg["id"], ERR_INVALID, f"event_type: only {EVENT_DR} may be fired")
        return
    try:
        data = DR_EVENT_DATA_SCHEMA(msg["event_data"])
    except vol.Invalid as err:
        connection.send_error(msg["id"], ERR_INVALID, f"event_data.{humanize(err)}")
        return
    hass.bus.async_fire(EVENT_DR, data)
    connection.send_result(msg["id"], {"fired": EVENT_DR})


def humanize(err: vol.Invalid) -> str:
    """`devices[0].entities[2].key: must be snake_case` rather than voluptuous' default."""
    path = ""
    for part in err.path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{path}: {err.msg}" if path else str(err.msg)


def _query_path(value: Any) -> str:
    """An allow-listed GET path of the add-on's API, with an optional query string of plain characters."""
    if not isinstance(value, str) or len(value) > 512:
        raise vol.Invalid("expected a path of at most 512 characters")
    path, _, query = value.partition("?")
    if path not in QUERY_PATHS:
        raise vol.Invalid(f"not one of {', '.join(QUERY_PATHS)}")
    if query and not all(c.isalnum() or c in "-._~=&%:+" for c in query):
        raise vol.Invalid("the query string has characters a URL must encode")
    return value


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/query",
        vol.Required("path"): _query_path,
    }
)
@async_response
async def ws_query(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The cards' read-only view of the add-on: a GET of an allow-listed API path, answered with its JSON body.

    Not admin-only: the cards sit on dashboards every user sees, and what they read here (the plan,
    devices, readings, their history) is what the integration's entities already show every user.
    It travels over the add-on's own session (an `action` of kind `query`), so it needs no network
    path from HA to the add-on and no token of its own; writes stay with the services.
    """
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        connection.send_error(msg["id"], ERR_NOT_LOADED, "The Smart Power Station integration is not set up")
        return
    bridge: SpsBridge = entries[0].runtime_data
    session = bridge.session
    if session is None:
        connection.send_error(msg["id"], ERR_NOT_CONNECTED, "The Smart Power Station add-on is not connected")
        return
    try:
        result = await session.async_request({"kind": "query", "path": msg["path"]}, QUERY_TIMEOUT_S)
    except HomeAssistantError as err:
        connection.send_error(msg["id"], ERR_QUERY_FAILED, str(err))
        return
    body = result.get("body")
    if not isinstance(body, dict):
        connection.send_error(msg["id"], ERR_QUERY_FAILED, "the add-on answered without a body")
        return
    connection.send_result(msg["id"], body)
