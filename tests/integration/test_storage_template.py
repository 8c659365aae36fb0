"""The storage template moves originals (and sidecars) into `library/<user>/…`, safely and repeatably."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from albumen.assets.tasks import (
    TemplateSettings,
    apply_storage_template,
    finish_pending_moves,
    migrate_storage_template,
)
from albumen.kit.db import Database
from albumen.models import Asset, MoveHistory
from albumen.storage.local import LocalStorage
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
    # The template is applied by each upload's job chain; two chains run side by side, so which of two
    # same-named uploads gets the plain name is first come, first served (as in Immich): settle first.
    await settle(app)
    second = await upload_id(client, admin, "IMG_0001.jpeg", fake_jpeg("other", 3000))
    await settle(app)

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
    await settle(app)  # the uploads' own chains (template still off) finish before it is switched on
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


class PausingStorage(LocalStorage):
    """Holds the first move (a rename) until released, so another mover runs while it is under way."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.paused = asyncio.Event()
        self.release = asyncio.Event()

    async def rename(self, key: str, new_key: str) -> None:
        if not self.paused.is_set():
            self.paused.set()
            await self.release.wait()
        await super().rename(key, new_key)


async def waiting_for_a_move_lock(database: Database) -> None:
    """Returns once some session waits for an advisory lock (the second mover, held back)."""
    while True:
        async with database.unit_of_work() as db:
            query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            if await db.scalar(text(query)):
                return
        await asyncio.sleep(0.02)


async def test_two_concurrent_moves_of_one_asset_end_at_the_plain_name(
    client: httpx.AsyncClient, app: Any
) -> None:
    container = app.state.container
    admin = await sign_up_admin(client)
    content = fake_jpeg("raced", 2000)
    asset_id = uuid.UUID(await upload_id(client, admin, "IMG_0001.jpeg", content))
    await settle(app)  # the template is off: the upload stays in upload/
    storage = {"originals": PausingStorage(container.settings.media_dir)}
    settings = TemplateSettings(enabled=True, template=TEMPLATE, verify_hash=True)

    first = asyncio.create_task(apply_storage_template(container.database, storage, asset_id, settings))
    await asyncio.wait_for(storage["originals"].paused.wait(), 30)  # claimed, recorded, mid-move
    second = asyncio.create_task(apply_storage_template(container.database, storage, asset_id, settings))
    blocked = asyncio.create_task(waiting_for_a_move_lock(container.database))
    # The second mover either waits for the first (right) or runs past it (the race).
    await asyncio.wait({second, blocked}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    assert not second.done(), "the second move of one asset did not wait for the first"
    blocked.cancel()
    storage["originals"].release.set()

    assert await asyncio.gather(first, second) == ["library/admin/2024/05/IMG_0001.jpg", None]
    assert await original_path(client, admin, str(asset_id)) == "library/admin/2024/05/IMG_0001.jpg"
    library = container.settings.media_dir / "library"
    assert [p.name for p in library.rglob("*.jpg")] == ["IMG_0001.jpg"]
    assert (await client.get(f"/assets/{asset_id}/original", headers=admin.headers)).content == content
    async with container.database.unit_of_work() as db:
        assert (await db.scalars(select(MoveHistory))).all() == []


async def test_a_target_claimed_by_a_move_under_way_is_not_given_to_another_asset(
    client: httpx.AsyncClient, app: Any
) -> None:
    container = app.state.container
    admin = await sign_up_admin(client)
    contents = [fake_jpeg("one", 2000), fake_jpeg("two", 2000)]
    ids = [uuid.UUID(await upload_id(client, admin, "IMG_0002.jpg", data)) for data in contents]
    await settle(app)
    storage = {"originals": PausingStorage(container.settings.media_dir)}
    settings = TemplateSettings(enabled=True, template=TEMPLATE, verify_hash=True)

    first = asyncio.create_task(apply_storage_template(container.database, storage, ids[0], settings))
    await asyncio.wait_for(storage["originals"].paused.wait(), 30)  # its file is not at the target yet
    second = await apply_storage_template(container.database, storage, ids[1], settings)
    storage["originals"].release.set()

    assert (await first, second) == (
        "library/admin/2024/05/IMG_0002.jpg",
        "library/admin/2024/05/IMG_0002+1.jpg",
    )
    for asset_id, data in zip(ids, contents, strict=True):
        assert (await client.get(f"/assets/{asset_id}/original", headers=admin.headers)).content == data
