"""Repair flows: the one issue a click can fix is a newer copy of this integration waiting for a restart."""

from __future__ import annotations

from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

from .const import ISSUE_RESTART_REQUIRED


class RestartRepairFlow(ConfirmRepairFlow):
    """Confirm, then restart Home Assistant so it loads the integration the add-on copied."""

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        if user_input is not None:
            # Not blocking: the restart stops this flow's own event loop task on the way.
            await self.hass.services.async_call("homeassistant", "restart", blocking=False)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Only restart_required is fixable (issues of the add-on and the others are informational)."""
    if issue_id == ISSUE_RESTART_REQUIRED:
        return RestartRepairFlow()
    return ConfirmRepairFlow()
