"""The storage template moves originals (and sidecars) into `library/<user>/…`, safely and repeatably."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from albumen.assets.tasks import TemplateSettings, finish_pending_moves, migrate_storage_template
from albumen.models import Asset, MoveHistory
from tests.support.assets import chunks_of, fake_jpeg, upload_asset, upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, sign_up_admin

TEMPLATE = "{{y}}/{{MM}}/{{filename}}"


async def enable_template(client: httpx.AsyncClient, admin: LoggedIn, enabled: bool = True) -> None:
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["storageTemplate"] = {"enabled": enabled, "hashVerificationEnabled": True, "template": TEMPLATE}
    assert (await client.put("/system-config", headers=admin.headers, json=config)).status_code == 200


async def original_path(client: httpx.AsyncClient, admin: LoggedIn, asset_id: str) -> str:
    path: str = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()["originalPath"]
    return path


async def test_uploads_land_where_the_template_says(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    await enable_template(client, admin)
    content = fake_jpeg("templated", 3000)
    first = (await upload_asset(client, admin, "IMG_0001.jpeg", content, sidecar=b"<xmp/>")).json()["id"]
    second = await upload_id(client, admin, "IMG_0001.jpeg", fake_jpeg("other", 3000))
    await settle(app)  # the template is applied by the job chain after each upload

    library = "library/admin/2024/05"  # the admin's storage label
    assert await original_path(client, admin, first) == f"{library}/IMG_0001.jpg"
    assert await original_path(client, admin, second) == f"{library}/IMG_0001+1.jpg"
    downloaded = await client.get(f"/assets/{first}/original", headers=admin.headers)
    assert downloaded.content == content
    media = app.state.container.settings.media_dir
    assert (media / library / "IMG_0001.jpg.xmp").read_bytes() == b"<xmp/>"
    assert not list((media / "upload").rglob("*.jp*g"))
    async with app.state.container.database.unit_of_work() as db:
        assert (await db.scalars(select(MoveHistory))).all() == []


async def test_bulk_migration_moves_earlier_uploads_once(client: httpx.AsyncClient, app: Any) -> None:
    container = app.state.container
    admin = await sign_up_admin(client)
    ids = [await upload_id(client, admin, f"{n}.png", fake_jpeg(n)) for n in range(3)]
    assert all([(await original_path(client, admin, i)).startswith("upload/") for i in ids])
    await enable_template(client, admin)
    settings = TemplateSettings(enabled=True, template=TEMPLATE, verify_hash=True)
    ticks: list[int] = []

    assert await migrate_storage_template(container.database, container.storage, settings, ticks.append) == 3
    assert sum(ticks) == 3
    assert sorted([await original_path(client, admin, i) for i in ids]) == [
        f"library/admin/2024/05/{n}.png" for n in range(3)
    ]
    assert await migrate_storage_template(container.database, container.storage, settings) == 0


async def test_a_move_cut_short_by_a_crash_is_finished(client: httpx.AsyncClient, app: Any) -> None:
    container = app.state.container
    originals = container.storage["originals"]
    admin = await sign_up_admin(client)
    content = fake_jpeg("crash", 2000)
    copied, untouched = (
        await upload_id(client, admin, "a.jpg", content),
        await upload_id(client, admin, "b.jpg"),
    )
    old_copied = await original_path(client, admin, copied)
    old_untouched = await original_path(client, admin, untouched)
    async with container.database.unit_of_work() as db:
        # One crash after the bytes reached the new key (and the old were removed), one before any moved.
        db.add(
            MoveHistory(
                entity_id=copied, path_type="original", old_path=old_copied, new_path="library/x/a.jpg"
            )
        )
        db.add(
            MoveHistory(
                entity_id=untouched, path_type="original", old_path=old_untouched, new_path="library/x/b.jpg"
            )
        )
    await originals.write("library/x/a.jpg", chunks_of(content))
    await originals.delete(old_copied)

    assert await finish_pending_moves(container.database, container.storage) == 2

    assert await original_path(client, admin, copied) == "library/x/a.jpg"
    assert await original_path(client, admin, untouched) == "library/x/b.jpg"
    assert not await originals.exists(old_untouched)
    assert (await client.get(f"/assets/{copied}/original", headers=admin.headers)).content == content
    async with container.database.unit_of_work() as db:
        assert (await db.scalars(select(MoveHistory))).all() == []
        assert len((await db.scalars(select(Asset))).all()) == 2
