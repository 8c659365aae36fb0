"""Deleted accounts removed for good by Immich's jobs (UserDelete, UserDeleteCheck) with their rows and
files, and SessionCleanup, against real PostgreSQL, real files and the running job workers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from albumen.jobs.schemas import JobName
from albumen.kit.time import utcnow
from albumen.models import Album, AlbumUser, ApiKey, Asset, AssetFile, Session, User
from albumen.storage.layout import ASSET_FILE_KIND
from tests.integration.test_users import JPEG, PNG, upload
from tests.support.assets import upload_asset
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_api_key, create_user, login, sign_up_admin


async def delete_user(client: httpx.AsyncClient, admin: LoggedIn, user_id: str, **body: Any) -> None:
    response = await client.request("DELETE", f"/admin/users/{user_id}", headers=admin.headers, json=body)
    assert response.status_code == 200, response.text


async def listed_ids(client: httpx.AsyncClient, admin: LoggedIn) -> set[str]:
    response = await client.get("/admin/users", headers=admin.headers, params={"withDeleted": "true"})
    assert response.status_code == 200
    return {user["id"] for user in response.json()}


async def stored_keys(app: Any, owner_id: str) -> list[tuple[str, str]]:
    """(storage kind, key) of every original and derived file of an owner's assets."""
    async with app.state.container.database.unit_of_work() as db:
        owner = uuid.UUID(owner_id)
        originals = (await db.scalars(select(Asset.original_path).where(Asset.owner_id == owner))).all()
        derived = (
            await db.execute(
                select(AssetFile.type, AssetFile.path)
                .join(Asset, Asset.id == AssetFile.asset_id)
                .where(Asset.owner_id == owner)
            )
        ).all()
    return [("originals", key) for key in originals] + [(ASSET_FILE_KIND[kind], key) for kind, key in derived]


async def exists(app: Any, kind: str, key: str) -> bool:
    found: bool = await app.state.container.storage[kind].exists(key)
    return found


async def rows_of(app: Any, user_id: str) -> dict[str, int]:
    owner = uuid.UUID(user_id)
    async with app.state.container.database.unit_of_work() as db:

        async def count(model: Any, *where: Any) -> int:
            return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return {
            "user": await count(User, User.id == owner),
            "assets": await count(Asset, Asset.owner_id == owner),
            "albums": await count(AlbumUser, AlbumUser.user_id == owner),
            "api_keys": await count(ApiKey, ApiKey.user_id == owner),
            "sessions": await count(Session, Session.user_id == owner),
        }


async def backdate_deletion(app: Any, user_id: str, days: float) -> None:
    async with app.state.container.database.unit_of_work() as db:
        deleted_at = utcnow() - timedelta(days=days)
        await db.execute(update(User).where(User.id == uuid.UUID(user_id)).values(deleted_at=deleted_at))


async def run_job(app: Any, name: JobName, data: dict[str, Any] | None = None) -> None:
    assert await app.state.container.jobs.enqueue(name, data or {}) is not None
    await settle(app)


async def test_a_forced_delete_purges_rows_and_files_at_once(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "leaving@example.com")
    await create_api_key(client, user, ["all"])
    asset = (await upload_asset(client, user, "rocks.jpg", JPEG.read_bytes())).json()
    album = await client.post(
        "/albums", headers=user.headers, json={"albumName": "mine", "assetIds": [asset["id"]]}
    )
    assert album.status_code == 201, album.text
    profile = await upload(client, user, "me.png", PNG.read_bytes())
    assert profile.status_code == 201, profile.text
    profile_folder = app.state.container.settings.data_dir / "library" / "profile" / user.user_id
    await settle(app)  # thumbnails made
    files = await stored_keys(app, user.user_id)
    assert {kind for kind, _ in files} >= {"originals", "thumbnails"}
    assert all([await exists(app, kind, key) for kind, key in files])
    assert any(profile_folder.iterdir())
    # What the admin owns stays.
    kept = (await upload_asset(client, admin, "kept.jpg", JPEG.read_bytes())).json()
    await settle(app)
    kept_files = await stored_keys(app, admin.user_id)

    await delete_user(client, admin, user.user_id, force=True)
    await settle(app)

    assert user.user_id not in await listed_ids(client, admin)
    assert await rows_of(app, user.user_id) == dict.fromkeys(
        ("user", "assets", "albums", "api_keys", "sessions"), 0
    )
    async with app.state.container.database.unit_of_work() as db:
        assert await db.get(Album, uuid.UUID(album.json()["id"])) is None
    assert not any([await exists(app, kind, key) for kind, key in files])
    assert not [path for path in profile_folder.rglob("*") if path.is_file()]
    assert (await client.get(f"/assets/{kept['id']}", headers=admin.headers)).status_code == 200
    assert all([await exists(app, kind, key) for kind, key in kept_files])
    # The address is free again.
    await create_user(client, admin, "leaving@example.com")


async def test_user_cleanup_purges_only_accounts_past_the_delete_delay(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    old = await create_user(client, admin, "old@example.com")
    recent = await create_user(client, admin, "recent@example.com")
    active = await create_user(client, admin, "active@example.com")
    for gone in (old, recent):
        await delete_user(client, admin, gone.user_id)
    await backdate_deletion(app, old.user_id, days=7.5)  # deleteDelay is 7 days by default
    await backdate_deletion(app, recent.user_id, days=6.5)

    response = await client.post("/jobs", headers=admin.headers, json={"name": "user-cleanup"})
    assert response.status_code == 204, response.text
    await settle(app)

    assert await listed_ids(client, admin) == {admin.user_id, recent.user_id, active.user_id}
    assert (await rows_of(app, old.user_id))["user"] == 0
    # A shorter delay in the system config lets the recent one go on the next run.
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["user"]["deleteDelay"] = 6
    assert (await client.put("/system-config", headers=admin.headers, json=config)).status_code == 200
    await run_job(app, JobName.UserDeleteCheck)
    assert await listed_ids(client, admin) == {admin.user_id, active.user_id}


async def test_a_restored_account_is_not_purged(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "back@example.com")
    await delete_user(client, admin, user.user_id)
    await backdate_deletion(app, user.user_id, days=30)
    restored = await client.post(f"/admin/users/{user.user_id}/restore", headers=admin.headers)
    assert restored.status_code == 200

    await run_job(app, JobName.UserDeleteCheck)
    # Even a UserDelete queued before the restore leaves it alone (only a forced one would not).
    await run_job(app, JobName.UserDelete, {"id": user.user_id})

    assert (await rows_of(app, user.user_id))["user"] == 1
    await login(client, "back@example.com", "user-password")


async def test_a_soft_deleted_account_within_its_delay_survives_a_direct_user_delete(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "waiting@example.com")
    await delete_user(client, admin, user.user_id)
    await run_job(app, JobName.UserDelete, {"id": user.user_id})
    assert user.user_id in await listed_ids(client, admin)
    restored = await client.post(f"/admin/users/{user.user_id}/restore", headers=admin.headers)
    assert restored.status_code == 200


async def test_session_cleanup_removes_expired_and_long_unused_sessions_only(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    unused, expired, used_lately, no_expiry = [
        await login(client, "admin@immich.cloud", "admin-password") for _ in range(4)
    ]
    now = utcnow()
    changes = [
        (unused, {"updated_at": now - timedelta(days=91)}),
        (expired, {"expires_at": now - timedelta(minutes=1)}),
        (used_lately, {"updated_at": now - timedelta(days=89), "expires_at": now + timedelta(days=1)}),
    ]
    for who, values in changes:
        listed = (await client.get("/sessions", headers=who.headers)).json()
        current = uuid.UUID(next(s["id"] for s in listed if s["current"]))
        async with app.state.container.database.unit_of_work() as db:
            await db.execute(update(Session).where(Session.id == current).values(**values))

    await run_job(app, JobName.SessionCleanup)

    for gone in (unused, expired):
        assert (await client.get("/users/me", headers=gone.headers)).status_code == 401
    for kept in (used_lately, no_expiry, admin):
        assert (await client.get("/users/me", headers=kept.headers)).status_code == 200
