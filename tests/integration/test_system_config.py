"""System config (CONTRACT.md §8): Immich's defaults, admin updates that persist, config-file mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from albumen.config import Settings
from albumen.immich import dto
from albumen.main import create_app
from tests.support.users import create_user, sign_up_admin


async def test_defaults_are_immichs(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    defaults = (await client.get("/system-config/defaults", headers=admin.headers)).json()
    config = dto.SystemConfigDto.model_validate(defaults)
    assert config.ffmpeg.crf == 23
    assert config.image.thumbnail.size == 250
    assert config.image.preview.size == 1440
    assert config.trash.days == 30
    assert config.storageTemplate.template == "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}"
    assert defaults["notifications"]["smtp"]["from"] == ""  # aliased field names survive
    assert defaults["metadata"]["faces"]["import"] is False
    assert (await client.get("/system-config", headers=admin.headers)).json() == defaults


async def test_update_persists_across_restarts_and_defaults_stay(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["trash"]["days"] = 12
    config["server"]["loginPageMessage"] = "Welcome home"
    updated = await client.put("/system-config", headers=admin.headers, json=config)
    assert updated.status_code == 200
    assert updated.json()["trash"]["days"] == 12
    assert (await client.get("/server/config")).json()["loginPageMessage"] == "Welcome home"
    assert (await client.get("/system-config/defaults", headers=admin.headers)).json()["trash"]["days"] == 30
    restarted = create_app(settings)
    async with restarted.router.lifespan_context(restarted):
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api") as again:
            assert (await again.get("/system-config", headers=admin.headers)).json()["trash"]["days"] == 12


async def test_invalid_update_is_refused_and_nothing_changes(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["ffmpeg"]["transcode"] = "sometimes"
    response = await client.put("/system-config", headers=admin.headers, json=config)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"
    assert (await client.get("/system-config", headers=admin.headers)).json()["ffmpeg"][
        "transcode"
    ] == "required"


async def test_a_storage_template_that_cannot_render_is_refused(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    for template in ("{{y}}/{{nope}}/{{filename}}", "../../{{filename}}", "{{#each album}}{{/each}}"):
        config["storageTemplate"]["template"] = template
        response = await client.put("/system-config", headers=admin.headers, json=config)
        assert response.status_code == 400, template
        assert response.json()["message"].startswith("Invalid storage template"), response.text
    config["storageTemplate"] = {
        "enabled": True,
        "hashVerificationEnabled": True,
        "template": "{{album}}/{{filename}}",
    }
    assert (await client.put("/system-config", headers=admin.headers, json=config)).status_code == 200


async def test_an_invalid_backup_schedule_is_refused(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["backup"]["database"]["cronExpression"] = "every night"
    response = await client.put("/system-config", headers=admin.headers, json=config)
    assert response.status_code == 400
    assert response.json()["message"] == "backup.database.cronExpression must be a valid cron expression"
    config["backup"]["database"]["cronExpression"] = "30 4 * * 1"
    assert (await client.put("/system-config", headers=admin.headers, json=config)).status_code == 200


async def test_only_admins_read_or_change_it(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    assert (await client.get("/system-config", headers=bob.headers)).status_code == 403
    config = (await client.get("/system-config", headers=admin.headers)).json()
    assert (await client.put("/system-config", headers=bob.headers, json=config)).status_code == 403


async def test_storage_template_options(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    options = (await client.get("/system-config/storage-template-options", headers=admin.headers)).json()
    assert "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}" in options["presetOptions"]
    assert "MMMM" in options["monthOptions"]


async def test_config_file_mode_is_read_only(database_url: str, tmp_path: Path) -> None:
    config_file = tmp_path / "immich.json"
    config_file.write_text(json.dumps({"trash": {"days": 3}, "passwordLogin": {"enabled": True}}))
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data", config_file=config_file)  # type: ignore[call-arg]
    app: Any = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api") as client:
            admin = await sign_up_admin(client)
            assert (await client.get("/server/features")).json()["configFile"] is True
            config = (await client.get("/system-config", headers=admin.headers)).json()
            assert config["trash"]["days"] == 3
            refused = await client.put("/system-config", headers=admin.headers, json=config)
            assert refused.status_code == 400
