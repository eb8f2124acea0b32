"""Prepare a fresh HA config dir: an admin user, a long-lived access token, onboarding done.

Runs with the project's .venv Python *before* hass starts, using HA's own auth API on the
config dir (the approach ludeeus/setup-homeassistant's create_token.py takes; see
shared/reference/ha-integration-anchors.md §5.2). Prints the token on stdout.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys
from datetime import timedelta

from homeassistant import core
from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.helpers import device_registry as dr, entity_registry as er


async def main(config_dir: str) -> None:
    hass = core.HomeAssistant(config_dir)
    # The auth store links users to registries' ids; load them as HA does at start.
    await dr.async_load(hass)
    await er.async_load(hass)
    manager = await auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
    provider = manager.auth_providers[0]
    await provider.async_initialize()  # type: ignore[attr-defined]
    provider.data.add_auth("e2e", "e2e-password")  # type: ignore[attr-defined]
    await provider.data.async_save()  # type: ignore[attr-defined]
    user = await manager.async_create_user("e2e", group_ids=["system-admin"])
    credentials = await provider.async_get_or_create_credentials({"username": "e2e"})
    await manager.async_link_user(user, credentials)
    refresh = await manager.async_create_refresh_token(
        user,
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        client_name="sps-e2e",
        access_token_expiration=timedelta(days=3650),
    )
    token = manager.async_create_access_token(refresh)
    # The auth store saves lazily; write it now.
    store = manager._store  # noqa: SLF001  (no public flush exists)
    await store._store.async_save(store._data_to_save())  # noqa: SLF001
    storage = Path(config_dir, ".storage")
    storage.mkdir(exist_ok=True)
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["user", "core_config", "analytics", "integration"]},
            }
        ),
        encoding="utf-8",
    )
    await hass.async_stop(force=True)
    print(token)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
