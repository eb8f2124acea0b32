"""The add-on's live session: its subscription, its heartbeat and the HA calls waiting on it.

One add-on at a time. The subscription (``smart_power_station/subscribe``) is both the
channel HA-side actions travel on and the liveness signal: when the websocket closes,
HA calls the subscription's unsubscribe callback and the session ends at once. A socket
that stays open but goes silent is caught by the heartbeat timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import itertools
import logging
import time
from typing import Any

from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later

from . import const
from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)


class ActionFailed(HomeAssistantError):
    """The add-on or its device refused or could not carry out an action."""


class AddonSession:
    """A subscription opened by the add-on on one websocket connection."""

    _request_ids = itertools.count(1)

    def __init__(
        self,
        hass: HomeAssistant,
        connection: ActiveConnection,
        msg_id: int,
        addon_version: str | None,
        on_liveness_change: Callable[[], None],
        heartbeat_timeout: float | None = None,
    ) -> None:
        self.hass = hass
        self.connection = connection
        self.msg_id = msg_id
        self.addon_version = addon_version
        self.started_at = time.time()
        self.last_seen = time.monotonic()
        self.closed = False
        self.alive = True
        self._on_liveness_change = on_liveness_change
        self._heartbeat_timeout = const.HEARTBEAT_TIMEOUT_S if heartbeat_timeout is None else heartbeat_timeout
        self._cancel_timer: CALLBACK_TYPE | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._arm_timer()

    @callback
    def touch(self) -> None:
        """Any message from the add-on's connection proves it is alive."""
        self.last_seen = time.monotonic()
        if self.closed:
            return
        self._arm_timer()
        if not self.alive:
            self.alive = True
            _LOGGER.info("Smart Power Station add-on is responsive again")
            self._on_liveness_change()

    @callback
    def close(self, reason: str) -> None:
        """End the session: fail every waiting call and stop the timer."""
        if self.closed:
            return
        self.closed = True
        self.alive = False
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(
                    ActionFailed(
                        f"The Smart Power Station add-on disconnected ({reason})",
                        translation_domain=DOMAIN,
                        translation_key="addon_disconnected",
                        translation_placeholders={"reason": reason},
                    )
                )
        self._pending.clear()
        _LOGGER.info("Smart Power Station add-on session ended: %s", reason)
        self._on_liveness_change()

    async def async_request(self, payload: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send an action to the add-on and wait for its action_result."""
        timeout = const.ACTION_TIMEOUT_S if timeout is None else timeout
        if self.closed or not self.alive:
            raise ActionFailed(
                "The Smart Power Station add-on is not connected",
                translation_domain=DOMAIN,
                translation_key="addon_not_connected",
            )
        request_id = f"r{next(self._request_ids)}"
        future: asyncio.Future[dict[str, Any]] = self.hass.loop.create_future()
        self._pending[request_id] = future
        self.connection.send_message(
            event_message(self.msg_id, {"type": "action", "request_id": request_id, **payload})
        )
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as err:
            raise ActionFailed(
                f"The Smart Power Station add-on did not answer within {timeout:g} s",
                translation_domain=DOMAIN,
                translation_key="action_timeout",
                translation_placeholders={"seconds": f"{timeout:g}"},
            ) from err
        finally:
            self._pending.pop(request_id, None)

    @callback
    def resolve(self, request_id: str, success: bool, error: str | None, result: dict[str, Any]) -> bool:
        """Complete a waiting call; False when nothing waits under that id (late or unknown)."""
        future = self._pending.get(request_id)
        if future is None or future.done():
            return False
        if success:
            future.set_result(result)
        else:
            reason = error or "the device refused the command"
            future.set_exception(
                ActionFailed(
                    f"Smart Power Station: {reason}",
                    translation_domain=DOMAIN,
                    translation_key="action_failed",
                    translation_placeholders={"reason": reason},
                )
            )
        return True

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    @callback
    def _arm_timer(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
        self._cancel_timer = async_call_later(self.hass, self._heartbeat_timeout, self._heartbeat_expired)

    @callback
    def _heartbeat_expired(self, _now: Any) -> None:
        self._cancel_timer = None
        if self.closed or not self.alive:
            return
        self.alive = False
        _LOGGER.warning(
            "Smart Power Station add-on sent nothing for %.1f s; its entities are unavailable until it answers again",
            self._heartbeat_timeout,
        )
        self._on_liveness_change()
