"""/admin/users: creating, changing, soft-deleting and restoring accounts; their preferences,
statistics and sessions; and that only an admin reaches any of it."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from albumen.models import Asset
from tests.support.users import LoggedIn, create_api_key, create_user, login, sign_up_admin


async def new_user(client: httpx.AsyncClient, admin: LoggedIn, **body: Any) -> dict[str, Any]:
    payload = {"email": "new@example.com", "password": "pw", "name": "New", **body}
    response = await client.post("/admin/users", headers=admin.headers, json=payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def delete_user(
    client: httpx.AsyncClient, admin: LoggedIn, user_id: str, **body: Any
) -> httpx.Response:
    return await client.request("DELETE", f"/admin/users/{user_id}", headers=admin.headers, json=body)


async def add_assets(app: Any, owner_id: str, *rows: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    async with app.state.container.database.unit_of_work() as session:
        for row in rows:
            values = {
                "owner_id": uuid.UUID(owner_id),
                "original_path": f"/upload/{uuid.uuid4()}",
                "original_file_name": "x",
                "file_created_at": now,
                "file_modified_at": now,
                "local_date_time": now,
                "checksum": os.urandom(20),
                **row,
            }
            session.add(Asset(**values))


# -- who may call ------------------------------------------------------------------------------------


async def test_non_admins_are_refused_everywhere(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "user@example.com")
    target = admin.user_id
    for method, path, body in [
        ("GET", "/admin/users", None),
        ("POST", "/admin/users", {"email": "x@example.com", "password": "pw", "name": "x"}),
        ("GET", f"/admin/users/{target}", None),
        ("PUT", f"/admin/users/{target}", {"name": "x"}),
        ("DELETE", f"/admin/users/{target}", {}),
        ("POST", f"/admin/users/{target}/restore", None),
        ("GET", f"/admin/users/{target}/preferences", None),
        ("PUT", f"/admin/users/{target}/preferences", {"memories": {"enabled": False}}),
        ("GET", f"/admin/users/{target}/statistics", None),
        ("GET", f"/admin/users/{target}/sessions", None),
    ]:
        response = await client.request(method, path, headers=user.headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json() == {"message": "Forbidden"}
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
    # nothing changed
    me = (await client.get(f"/admin/users/{target}", headers=admin.headers)).json()
    assert me["name"] == "Admin"
    assert me["deletedAt"] is None


async def test_admin_api_key_needs_the_admin_permission(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    narrow = await create_api_key(client, admin, ["user.read"])
    refused = await client.get("/admin/users", headers={"x-api-key": narrow})
    assert refused.status_code == 403
    assert refused.json() == {"message": "Missing required permission: adminUser.read"}
    allowed_key = await create_api_key(client, admin, ["adminUser.read"])
    allowed = await client.get("/admin/users", headers={"x-api-key": allowed_key})
    assert allowed.status_code == 200


# -- create ------------------------------------------------------------------------------------------


async def test_create_user_defaults(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    body = await new_user(client, admin, email="New.User@Example.com")
    assert body["email"] == "new.user@example.com"
    assert body["name"] == "New"
    assert body["isAdmin"] is False
    assert body["shouldChangePassword"] is True
    assert body["storageLabel"] is None
    assert body["quotaSizeInBytes"] is None
    assert body["quotaUsageInBytes"] == 0
    assert body["status"] == "active"
    assert body["deletedAt"] is None
    assert body["license"] is None
    assert body["profileImagePath"] == ""
    uuid.UUID(body["id"], version=4)
    logged_in = await login(client, "new.user@example.com", "pw")
    assert logged_in.user_id == body["id"]


async def test_create_user_with_every_option(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    body = await new_user(
        client,
        admin,
        isAdmin=True,
        shouldChangePassword=False,
        storageLabel="my.label/x",
        quotaSizeInBytes=5_000_000,
        avatarColor="green",
        pinCode="123456",
        notify=True,
    )
    assert body["isAdmin"] is True
    assert body["shouldChangePassword"] is False
    assert body["storageLabel"] == "mylabelx"
    assert body["quotaSizeInBytes"] == 5_000_000
    assert body["avatarColor"] == "green"
    user = await login(client, "new@example.com", "pw")
    status = (await client.get("/auth/status", headers=user.headers)).json()
    assert status["pinCode"] is True
    # the quota travels in every user DTO
    me = (await client.get("/users/me", headers=user.headers)).json()
    assert (me["quotaSizeInBytes"], me["quotaUsageInBytes"]) == (5_000_000, 0)
    one = (await client.get(f"/admin/users/{body['id']}", headers=admin.headers)).json()
    assert one["quotaSizeInBytes"] == 5_000_000
    listed = (await client.get("/admin/users", headers=admin.headers)).json()
    assert next(u for u in listed if u["id"] == body["id"])["quotaSizeInBytes"] == 5_000_000


async def test_create_user_conflicts(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    await new_user(client, admin, storageLabel="taken")
    same_email = await client.post(
        "/admin/users",
        headers=admin.headers,
        json={"email": "NEW@example.com", "password": "pw", "name": "x"},
    )
    assert same_email.status_code == 400
    assert same_email.json() == {"message": "Email is not available"}
    same_label = await client.post(
        "/admin/users",
        headers=admin.headers,
        json={"email": "other@example.com", "password": "pw", "name": "x", "storageLabel": "taken"},
    )
    assert same_label.status_code == 400
    assert same_label.json() == {"message": "Storage label already in use by another account"}
    no_password = await client.post(
        "/admin/users", headers=admin.headers, json={"email": "p@example.com", "password": "", "name": "x"}
    )
    assert no_password.status_code == 400
    assert no_password.json() == {"message": "password is required"}
    assert len((await client.get("/admin/users", headers=admin.headers)).json()) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-email"},
        {"email": None},
        {"password": None},
        {"name": None},
        {"shouldChangePassword": None},
        {"notify": None},
        {"quotaSizeInBytes": -1},
        {"avatarColor": "chartreuse"},
        {"pinCode": "12ab"},
    ],
)
async def test_create_user_validation(client: httpx.AsyncClient, change: dict[str, Any]) -> None:
    admin = await sign_up_admin(client)
    payload = {"email": "v@example.com", "password": "pw", "name": "V", **change}
    response = await client.post("/admin/users", headers=admin.headers, json=payload)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"
    assert len((await client.get("/admin/users", headers=admin.headers)).json()) == 1


# -- read --------------------------------------------------------------------------------------------


async def test_search_and_get(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    first = await new_user(client, admin, email="first@example.com")
    second = await new_user(client, admin, email="second@example.com")
    assert (await delete_user(client, admin, first["id"])).status_code == 200

    active = await client.get("/admin/users", headers=admin.headers)
    assert active.status_code == 200
    assert [u["id"] for u in active.json()] == [second["id"], admin.user_id]  # newest first
    everyone = await client.get("/admin/users", headers=admin.headers, params={"withDeleted": "true"})
    assert [u["id"] for u in everyone.json()] == [second["id"], first["id"], admin.user_id]
    only = await client.get("/admin/users", headers=admin.headers, params={"id": second["id"]})
    assert [u["id"] for u in only.json()] == [second["id"]]
    bad = await client.get("/admin/users", headers=admin.headers, params={"id": "nope"})
    assert bad.status_code == 400

    deleted = await client.get(f"/admin/users/{first['id']}", headers=admin.headers)
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "deleted"
    assert deleted.json()["deletedAt"] is not None
    unknown = await client.get(f"/admin/users/{uuid.uuid4()}", headers=admin.headers)
    assert unknown.status_code == 400
    assert unknown.json() == {"message": "User not found"}


# -- update ------------------------------------------------------------------------------------------


async def test_update_user(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await new_user(client, admin)
    response = await client.put(
        f"/admin/users/{user['id']}",
        headers=admin.headers,
        json={
            "name": "Renamed",
            "email": "Renamed@Example.com",
            "avatarColor": "orange",
            "storageLabel": "renamed",
            "quotaSizeInBytes": 10_000,
            "shouldChangePassword": False,
            "password": "new-secret",
            "profileImagePath": "ignored.jpg",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {
        **user,
        "name": "Renamed",
        "email": "renamed@example.com",
        "avatarColor": "orange",
        "storageLabel": "renamed",
        "quotaSizeInBytes": 10_000,
        "shouldChangePassword": False,
        "updatedAt": body["updatedAt"],
    }
    assert body["updatedAt"] != user["updatedAt"]
    await login(client, "renamed@example.com", "new-secret")

    cleared = await client.put(
        f"/admin/users/{user['id']}",
        headers=admin.headers,
        json={"storageLabel": "", "quotaSizeInBytes": None, "avatarColor": None},
    )
    assert cleared.status_code == 200
    assert cleared.json()["storageLabel"] is None
    assert cleared.json()["quotaSizeInBytes"] is None
    # no colour of its own: derived from the (new) email as Immich derives it
    colors = ["primary", "pink", "red", "yellow", "blue", "green", "purple", "orange", "gray", "amber"]
    assert cleared.json()["avatarColor"] == colors[sum(map(ord, "renamed@example.com")) % len(colors)]

    promoted = await client.put(f"/admin/users/{user['id']}", headers=admin.headers, json={"isAdmin": True})
    assert promoted.json()["isAdmin"] is True


async def test_update_user_conflicts_and_self_demotion(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await new_user(client, admin)
    email = await client.put(
        f"/admin/users/{user['id']}", headers=admin.headers, json={"email": "admin@immich.cloud"}
    )
    assert email.status_code == 400
    assert email.json() == {"message": "Email is not available"}
    label = await client.put(
        f"/admin/users/{user['id']}", headers=admin.headers, json={"storageLabel": "admin"}
    )
    assert label.status_code == 400
    assert label.json() == {"message": "Storage label already in use by another account"}
    own_label = await client.put(
        f"/admin/users/{admin.user_id}", headers=admin.headers, json={"storageLabel": "admin"}
    )
    assert own_label.status_code == 200
    demote = await client.put(f"/admin/users/{admin.user_id}", headers=admin.headers, json={"isAdmin": False})
    assert demote.status_code == 400
    assert demote.json() == {"message": "Admin status can only be changed by another admin"}
    assert (await client.get("/users/me", headers=admin.headers)).json()["isAdmin"] is True
    unknown = await client.put(f"/admin/users/{uuid.uuid4()}", headers=admin.headers, json={"name": "x"})
    assert unknown.status_code == 400
    assert unknown.json() == {"message": "User not found"}
    for nulled in ("email", "password", "name", "shouldChangePassword"):
        refused = await client.put(f"/admin/users/{user['id']}", headers=admin.headers, json={nulled: None})
        assert refused.status_code == 400, nulled
        assert refused.json()["message"] == "Validation failed"


async def test_update_user_pin_code(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await new_user(client, admin)
    session = await login(client, "new@example.com", "pw")
    await client.put(f"/admin/users/{user['id']}", headers=admin.headers, json={"pinCode": "654321"})
    assert (await client.get("/auth/status", headers=session.headers)).json()["pinCode"] is True
    await client.put(f"/admin/users/{user['id']}", headers=admin.headers, json={"pinCode": None})
    assert (await client.get("/auth/status", headers=session.headers)).json()["pinCode"] is False


# -- delete and restore ------------------------------------------------------------------------------


async def test_delete_locks_the_user_out_and_restore_lets_them_back(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "gone@example.com")
    key = await create_api_key(client, user, ["all"])

    response = await delete_user(client, admin, user.user_id)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.user_id
    assert body["status"] == "deleted"
    assert body["deletedAt"] is not None

    assert (await client.get("/users/me", headers=user.headers)).status_code == 401
    assert (await client.get("/users/me", headers={"x-api-key": key})).status_code == 401
    relog = await client.post("/auth/login", json={"email": "gone@example.com", "password": "user-password"})
    assert relog.status_code == 401
    assert (await client.get(f"/users/{user.user_id}", headers=admin.headers)).status_code == 400
    again = await delete_user(client, admin, user.user_id)
    assert again.status_code == 400
    assert again.json() == {"message": "User not found"}

    restored = await client.post(f"/admin/users/{user.user_id}/restore", headers=admin.headers)
    assert restored.status_code == 200
    assert restored.json()["status"] == "active"
    assert restored.json()["deletedAt"] is None
    assert (await client.get("/users/me", headers=user.headers)).status_code == 200
    assert (await client.get("/users/me", headers={"x-api-key": key})).status_code == 200
    await login(client, "gone@example.com", "user-password")


async def test_admin_cannot_delete_himself(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    response = await delete_user(client, admin, admin.user_id)
    assert response.status_code == 403
    assert response.json() == {"message": "Cannot delete your own account"}
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 200


async def test_forced_delete_marks_for_removal(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await new_user(client, admin)
    response = await delete_user(client, admin, user["id"], force=True)
    assert response.status_code == 200
    assert response.json()["status"] == "removing"
    assert response.json()["deletedAt"] is not None
    restore = await client.post(f"/admin/users/{user['id']}/restore", headers=admin.headers)
    assert restore.status_code == 400


async def test_delete_without_a_body_is_a_plain_delete(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await new_user(client, admin)
    response = await client.delete(f"/admin/users/{user['id']}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "deleted"


# -- what belongs to a user --------------------------------------------------------------------------


async def test_preferences_of_another_user(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "u@example.com")
    before = await client.get(f"/admin/users/{user.user_id}/preferences", headers=admin.headers)
    assert before.status_code == 200
    assert before.json()["memories"] == {"enabled": True, "duration": 5}
    changed = await client.put(
        f"/admin/users/{user.user_id}/preferences",
        headers=admin.headers,
        json={"memories": {"enabled": False}, "download": {"archiveSize": 1_234_567}},
    )
    assert changed.status_code == 200
    assert changed.json()["memories"] == {"enabled": False, "duration": 5}
    own = (await client.get("/users/me/preferences", headers=user.headers)).json()
    assert own["memories"]["enabled"] is False
    assert own["download"]["archiveSize"] == 1_234_567
    admins_own = (await client.get("/users/me/preferences", headers=admin.headers)).json()
    assert admins_own["memories"]["enabled"] is True
    unknown = await client.get(f"/admin/users/{uuid.uuid4()}/preferences", headers=admin.headers)
    assert unknown.status_code == 400


async def test_statistics_count_a_users_assets(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "u@example.com")
    empty = await client.get(f"/admin/users/{user.user_id}/statistics", headers=admin.headers)
    assert empty.status_code == 200
    assert empty.json() == {"images": 0, "videos": 0, "total": 0}
    now = datetime.now(UTC)
    await add_assets(
        app,
        user.user_id,
        {"type": "IMAGE"},
        {"type": "IMAGE", "is_favorite": True},
        {"type": "IMAGE", "visibility": "archive"},
        {"type": "VIDEO"},
        {"type": "OTHER"},
        {"type": "VIDEO", "visibility": "hidden"},
        {"type": "IMAGE", "deleted_at": now, "status": "trashed"},
    )
    await add_assets(app, admin.user_id, {"type": "IMAGE"})
    stats = await client.get(f"/admin/users/{user.user_id}/statistics", headers=admin.headers)
    assert stats.json() == {"images": 3, "videos": 1, "total": 5}
    favorites = await client.get(
        f"/admin/users/{user.user_id}/statistics", headers=admin.headers, params={"isFavorite": "true"}
    )
    assert favorites.json() == {"images": 1, "videos": 0, "total": 1}
    trashed = await client.get(
        f"/admin/users/{user.user_id}/statistics", headers=admin.headers, params={"isTrashed": "true"}
    )
    assert trashed.json() == {"images": 1, "videos": 0, "total": 1}
    hidden = await client.get(
        f"/admin/users/{user.user_id}/statistics", headers=admin.headers, params={"visibility": "hidden"}
    )
    assert hidden.json() == {"images": 0, "videos": 1, "total": 1}


async def test_quota_change_recomputes_usage(client: httpx.AsyncClient, app: Any) -> None:
    from albumen.models import AssetExif

    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "u@example.com")
    await add_assets(app, user.user_id, {"type": "IMAGE"})
    async with app.state.container.database.unit_of_work() as session:
        from sqlalchemy import select

        asset_id = await session.scalar(select(Asset.id).where(Asset.owner_id == uuid.UUID(user.user_id)))
        session.add(AssetExif(asset_id=asset_id, file_size_in_byte=4321))
    response = await client.put(
        f"/admin/users/{user.user_id}", headers=admin.headers, json={"quotaSizeInBytes": 1_000_000}
    )
    assert response.status_code == 200
    assert response.json()["quotaSizeInBytes"] == 1_000_000
    assert response.json()["quotaUsageInBytes"] == 4321


async def test_sessions_of_a_user(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "u@example.com")
    await login(client, "u@example.com", "user-password")
    response = await client.get(f"/admin/users/{user.user_id}/sessions", headers=admin.headers)
    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    assert all(session["current"] is False for session in sessions)
    assert set(sessions[0]) >= {"id", "createdAt", "updatedAt", "deviceOS", "deviceType", "current"}
    own = (await client.get("/sessions", headers=user.headers)).json()
    assert {s["id"] for s in own} == {s["id"] for s in sessions}
    nobody = await client.get(f"/admin/users/{uuid.uuid4()}/sessions", headers=admin.headers)
    assert nobody.json() == []
