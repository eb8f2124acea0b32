"""Config flow: one instance, no input — the add-on connects in over HA's websocket API."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .const import DOMAIN

TITLE = "Smart Power Station"


class SmartPowerStationConfigFlow(ConfigFlow, domain=DOMAIN):
    """Single-instance flow; also started by Supervisor discovery and by YAML import.

    `single_config_entry` in manifest.json makes HA abort every new flow with
    `single_instance_allowed` once the entry exists, before any step runs. The fixed unique id
    covers the flows already open: a second one aborts with `already_in_progress`, and a
    discovery that finishes after the user's flow with `already_configured`.
    """

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured()
        if user_input is not None:
            return self.async_create_entry(title=TITLE, data={})
        return self.async_show_form(step_id="user")

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """The add-on announced itself through the Supervisor; ask the user to confirm."""
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured()
        self.context["title_placeholders"] = {"name": discovery_info.name or TITLE}
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if user_input is not None:
            self._abort_if_unique_id_configured()
            return self.async_create_entry(title=TITLE, data={})
        return self.async_show_form(step_id="hassio_confirm")

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """`smart_power_station:` in configuration.yaml creates the entry without a click."""
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=TITLE, data={})
