"""Extra state attributes (a price or solar forecast) and keeping them out of HA's recorder."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .conftest import DEVICE, AddonClient, declaration

OPTIMISER: dict[str, Any] = {
    "id": "sps:optimiser",
    "name": "Smart Power Station prices and forecasts",
    "manufacturer": "Smart Power Station",
    "model": "Prices and forecasts",
    "serial": "sps_optimiser",
    "entities": [
        {"key": "import_price", "platform": "sensor", "name": "Import price", "state_class": "measurement",
         "unit": "AUD/kWh"},
        {"key": "import_price_forecast", "platform": "sensor", "name": "Import price forecast",
         "unit": "AUD/kWh", "unrecorded_attributes": ["forecast"]},
    ],
}

FORECAST = [{"start": "2026-06-01T12:00:00.000Z", "value": 0.31}, {"start": "2026-06-01T12:30:00.000Z", "value": 0.5}]


async def test_attributes_are_set_and_forecast_is_not_recorded(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("declare", **declaration(DEVICE, OPTIMISER))
    await hass.async_block_till_done()
    await addon.ok(
        "states",
        states=[
            {"device_id": "sps:optimiser", "key": "import_price", "state": 0.31,
             "attributes": {"kind": "actual", "reason": None}},
            {"device_id": "sps:optimiser", "key": "import_price_forecast", "state": 0.31,
             "attributes": {"forecast": FORECAST, "horizon_end": "2026-06-01T13:00:00.000Z"}},
        ],
    )
    entity_id = "sensor.smart_power_station_prices_and_forecasts_import_price_forecast"
    state = hass.states.get(entity_id)
    assert state is not None and state.state == "0.31"
    assert state.attributes["forecast"] == FORECAST
    assert state.attributes["horizon_end"] == "2026-06-01T13:00:00.000Z"

    entity = hass.data["entity_components"]["sensor"].get_entity(entity_id)
    assert "forecast" in entity._unrecorded_attributes  # noqa: SLF001
    # What the recorder reads when it stores the state: the forecast is excluded there.
    assert "forecast" in entity._state_info["unrecorded_attributes"]  # noqa: SLF001

    plain = hass.data["entity_components"]["sensor"].get_entity(
        "sensor.smart_power_station_prices_and_forecasts_import_price"
    )
    assert "forecast" not in plain._state_info["unrecorded_attributes"]  # noqa: SLF001
    assert hass.states.get(plain.entity_id).attributes["kind"] == "actual"


async def test_a_state_without_attributes_keeps_the_previous_ones(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("declare", **declaration(DEVICE, OPTIMISER))
    await hass.async_block_till_done()
    key = {"device_id": "sps:optimiser", "key": "import_price_forecast"}
    await addon.ok("states", states=[{**key, "state": 0.2, "attributes": {"forecast": FORECAST}}])
    await addon.ok("states", states=[{**key, "state": 0.25}])
    state = hass.states.get("sensor.smart_power_station_prices_and_forecasts_import_price_forecast")
    assert state.state == "0.25"
    assert state.attributes["forecast"] == FORECAST


async def test_changing_unrecorded_attributes_recreates_the_entity(hass: HomeAssistant, addon: AddonClient) -> None:
    await addon.ok("declare", **declaration(DEVICE, OPTIMISER))
    await hass.async_block_till_done()
    changed = {**OPTIMISER, "entities": [{**OPTIMISER["entities"][0], "unrecorded_attributes": ["forecast"]}]}
    await addon.ok("declare", **declaration(DEVICE, changed))
    await hass.async_block_till_done()
    entity = hass.data["entity_components"]["sensor"].get_entity(
        "sensor.smart_power_station_prices_and_forecasts_import_price"
    )
    assert "forecast" in entity._unrecorded_attributes  # noqa: SLF001


async def test_a_bad_unrecorded_list_names_the_field(hass: HomeAssistant, addon: AddonClient) -> None:
    bad = {**OPTIMISER, "entities": [{**OPTIMISER["entities"][0], "unrecorded_attributes": "forecast"}]}
    reply = await addon.command("declare", **declaration(DEVICE, bad))
    assert not reply["success"]
    assert "unrecorded_attributes" in reply["error"]["message"]
