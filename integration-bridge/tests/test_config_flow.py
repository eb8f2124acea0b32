"""Config flow: single instance, no input; YAML import; Supervisor discovery."""

from __future__ import annotations

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_power_station.const import DOMAIN


async def test_user_flow_creates_one_entry_without_input(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["data_schema"] is None or not result["data_schema"].schema

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Smart Power Station"
    assert result["data"] == {}
    await hass.async_block_till_done()

    again = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "single_instance_allowed"


async def test_yaml_key_imports_an_entry(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: {}})
    await hass.async_block_till_done()
    entries = hass.config_entries.async_entries(DOMAIN)
    assert len(entries) == 1
    assert entries[0].state is config_entries.ConfigEntryState.LOADED


async def test_supervisor_discovery_asks_for_confirmation(hass: HomeAssistant) -> None:
    info = HassioServiceInfo(config={"addon": "Smart Power Station"}, name="Smart Power Station", slug="sps", uuid="x")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY

    again = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info)
    assert again["type"] is FlowResultType.ABORT


# ---- aborts --------------------------------------------------------------------------------------

_INFO = HassioServiceInfo(config={"addon": "Smart Power Station"}, name="Smart Power Station", slug="sps", uuid="x")


async def _set_up_by_hand(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_discovery_of_an_addon_already_set_up_aborts(hass: HomeAssistant) -> None:
    """The add-on announces itself at every start: once set up, that must not ask again."""
    await _set_up_by_hand(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=_INFO)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_yaml_import_when_already_set_up_aborts(hass: HomeAssistant) -> None:
    await _set_up_by_hand(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_IMPORT}, data={})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def test_a_second_flow_while_one_is_open_aborts_already_in_progress(hass: HomeAssistant) -> None:
    first = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert first["type"] is FlowResultType.FORM
    discovered = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=_INFO
    )
    assert discovered["type"] is FlowResultType.ABORT
    assert discovered["reason"] == "already_in_progress"


async def test_yaml_import_while_discovery_waits_leaves_one_entry(hass: HomeAssistant) -> None:
    """Discovery waits on the user's confirmation; the YAML key's import meanwhile steps aside."""
    discovered = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=_INFO
    )
    assert discovered["step_id"] == "hassio_confirm"
    imported = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_IMPORT}, data={}
    )
    assert imported["type"] is FlowResultType.ABORT
    assert imported["reason"] == "already_in_progress"
    result = await hass.config_entries.flow.async_configure(discovered["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_discovery_confirmed_after_an_entry_appeared_aborts_already_configured(hass: HomeAssistant) -> None:
    """An entry restored (e.g. from a backup) while the confirmation is open: no second entry."""
    discovered = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=_INFO
    )
    MockConfigEntry(domain=DOMAIN, unique_id=DOMAIN, title="Smart Power Station", data={}).add_to_hass(hass)
    result = await hass.config_entries.flow.async_configure(discovered["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
