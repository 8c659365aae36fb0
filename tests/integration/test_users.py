"""/users: the caller's own account, preferences, license, onboarding, avatar; other users' public
profiles, and that no user can change another's through any of them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from albumen.models import UserMetadata
from albumen.system.repository import SystemMetadataRepository
from tests.conftest import ASSETS_DIR
from tests.support.licenses import LicenseServer
from tests.support.users import ADMIN_EMAIL, LoggedIn, create_api_key, create_user, login, sign_up_admin

JPEG = ASSETS_DIR / "formats" / "jpg" / "el_torcal_rocks.jpg"
PNG = ASSETS_DIR / "formats" / "png" / "density_plot.png"
LICENSE_KEY = "IMCL-7KQ2-M4ZP-X8RT-C3VW-N6HB-J9DL-5FGA-QE2S"
LICENSE = {"licenseKey": LICENSE_KEY, "activationKey": "not-a-signature"}
PUBLIC_FIELDS = {"id", "email", "name", "avatarColor", "profileImagePath", "profileChangedAt"}
DEFAULT_PREFERENCES = {
    "albums": {"defaultAssetOrder": "desc"},
    "folders": {"enabled": False, "sidebarWeb": False},
    "memories": {"enabled": True, "duration": 5},
    "people": {"enabled": True, "sidebarWeb": False, "minimumFaces": 3},
    "sharedLinks": {"enabled": True, "sidebarWeb": False},
    "ratings": {"enabled": False},
    "tags": {"enabled": False, "sidebarWeb": False},
    "emailNotifications": {"enabled": True, "albumInvite": True, "albumUpdate": True},
    "download": {"archiveSize": 4 * 2**30, "includeEmbeddedVideos": False},
    "purchase": {"showSupportBadge": True, "hideBuyButtonUntil": "2022-02-12T00:00:00.000Z"},
    "cast": {"gCastEnabled": False},
    "recentlyAdded": {"sidebarWeb": False},
}


async def two_users(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn, LoggedIn]:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com")
    bob = await create_user(client, admin, "bob@example.com")
    return admin, alice, bob


async def stored_preferences(app: Any, user_id: str) -> dict[str, Any] | None:
    async with app.state.container.database.unit_of_work() as session:
        row = await session.scalar(
            select(UserMetadata).where(
                UserMetadata.user_id == uuid.UUID(user_id), UserMetadata.key == "preferences"
            )
        )
        return row.value if row else None


async def upload(client: httpx.AsyncClient, who: LoggedIn, name: str, content: bytes) -> httpx.Response:
    return await client.post(
        "/users/profile-image", headers=who.headers, files={"file": (name, content, "image/png")}
    )


# -- /users/me ---------------------------------------------------------------------------------------


async def test_get_my_user_is_the_full_admin_dto(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    response = await client.get("/users/me", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == admin.user_id
    assert body["email"] == ADMIN_EMAIL
    assert body["name"] == "Admin"
    assert body["isAdmin"] is True
    assert body["storageLabel"] == "admin"
    assert body["quotaSizeInBytes"] is None
    assert body["quotaUsageInBytes"] == 0
    assert body["status"] == "active"
    assert body["deletedAt"] is None
    assert body["license"] is None
    assert body["profileImagePath"] == ""
    assert body["oauthId"] == ""
    assert body["avatarColor"] in {
        "primary", "pink", "red", "yellow", "blue", "green", "purple", "orange", "gray", "amber",
    }  # fmt: skip


async def test_update_my_name_and_avatar_color(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    before = (await client.get("/users/me", headers=admin.headers)).json()
    response = await client.put(
        "/users/me", headers=admin.headers, json={"name": "Name", "avatarColor": "blue"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {**before, "name": "Name", "avatarColor": "blue", "updatedAt": body["updatedAt"]}
    assert body["updatedAt"] != before["updatedAt"]
    after = (await client.get("/users/me", headers=admin.headers)).json()
    assert after["name"] == "Name"
    assert after["avatarColor"] == "blue"
    # null hands the colour back to the one derived from the email
    reset = await client.put("/users/me", headers=admin.headers, json={"avatarColor": None})
    assert reset.status_code == 200
    assert reset.json()["avatarColor"] == before["avatarColor"]


async def test_update_my_email_must_be_free(client: httpx.AsyncClient) -> None:
    _admin, alice, _bob = await two_users(client)
    taken = await client.put("/users/me", headers=alice.headers, json={"email": "BOB@example.com"})
    assert taken.status_code == 400
    assert taken.json() == {"message": "Email is not available"}
    changed = await client.put("/users/me", headers=alice.headers, json={"email": "Alice2@Example.com"})
    assert changed.status_code == 200
    assert changed.json()["email"] == "alice2@example.com"
    # keeping one's own address is not a conflict
    same = await client.put("/users/me", headers=alice.headers, json={"email": "alice2@example.com"})
    assert same.status_code == 200
    await login(client, "alice2@example.com", "user-password")


async def test_update_my_password_is_hashed_and_clears_should_change(
    client: httpx.AsyncClient, app: Any
) -> None:
    _admin, alice, _bob = await two_users(client)
    assert (await client.get("/users/me", headers=alice.headers)).json()["shouldChangePassword"] is True
    response = await client.put("/users/me", headers=alice.headers, json={"password": "super-secret"})
    assert response.status_code == 200
    assert response.json()["shouldChangePassword"] is False
    await login(client, alice.email, "super-secret")
    old = await client.post("/auth/login", json={"email": alice.email, "password": "user-password"})
    assert old.status_code == 401
    async with app.state.container.database.unit_of_work() as session:
        from albumen.models import User

        stored = await session.scalar(select(User.password).where(User.id == uuid.UUID(alice.user_id)))
    assert stored is not None
    assert "super-secret" not in stored
    assert stored.startswith("$argon2")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email"},
        {"avatarColor": "chartreuse"},
        {"name": None},
        {"email": None},
        {"name": 5},
    ],
)
async def test_update_my_user_validation(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    admin = await sign_up_admin(client)
    response = await client.put("/users/me", headers=admin.headers, json=body)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"
    assert (await client.get("/users/me", headers=admin.headers)).json()["name"] == "Admin"


async def test_api_key_with_user_read_cannot_update(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    key = await create_api_key(client, admin, ["user.read"])
    read = await client.get("/users/me", headers={"x-api-key": key})
    assert read.status_code == 200
    assert read.json()["id"] == admin.user_id
    write = await client.put("/users/me", headers={"x-api-key": key}, json={"name": "Mallory"})
    assert write.status_code == 403
    assert write.json() == {"message": "Missing required permission: user.update"}
    assert (await client.get("/users/me", headers=admin.headers)).json()["name"] == "Admin"


async def test_requires_authentication(client: httpx.AsyncClient) -> None:
    await sign_up_admin(client)
    for method, path in [
        ("GET", "/users"),
        ("GET", "/users/me"),
        ("PUT", "/users/me"),
        ("GET", "/users/me/preferences"),
        ("PUT", "/users/me/license"),
        ("DELETE", "/users/profile-image"),
        ("GET", f"/users/{uuid.uuid4()}/profile-image"),
    ]:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path)


# -- preferences -------------------------------------------------------------------------------------


async def test_preferences_default_to_immich_defaults(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    response = await client.get("/users/me/preferences", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == DEFAULT_PREFERENCES


async def test_preferences_update_stores_only_differences(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    response = await client.put(
        "/users/me/preferences",
        headers=admin.headers,
        json={
            "memories": {"enabled": False},
            "download": {"archiveSize": 1_234_567},
            "people": {"minimumFaces": 2, "enabled": True},
            "avatar": {"color": "red"},
        },
    )
    assert response.status_code == 200
    expected = {
        **DEFAULT_PREFERENCES,
        "memories": {"enabled": False, "duration": 5},
        "download": {"archiveSize": 1_234_567, "includeEmbeddedVideos": False},
        "people": {"enabled": True, "sidebarWeb": False, "minimumFaces": 2},
    }
    assert response.json() == expected
    assert (await client.get("/users/me/preferences", headers=admin.headers)).json() == expected
    assert await stored_preferences(app, admin.user_id) == {
        "memories": {"enabled": False},
        "download": {"archiveSize": 1_234_567},
        "people": {"minimumFaces": 2},
    }
    # going back to a default drops the key again
    back = await client.put(
        "/users/me/preferences", headers=admin.headers, json={"memories": {"enabled": True}}
    )
    assert back.json()["memories"] == {"enabled": True, "duration": 5}
    assert await stored_preferences(app, admin.user_id) == {
        "download": {"archiveSize": 1_234_567},
        "people": {"minimumFaces": 2},
    }


@pytest.mark.parametrize(
    "body",
    [
        {"download": {"archiveSize": 1_234_567.89}},
        {"download": {"includeEmbeddedVideos": 1_234_567.89}},
        {"people": {"minimumFaces": 0}},
        {"albums": {"defaultAssetOrder": "sideways"}},
    ],
)
async def test_preferences_validation(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    admin = await sign_up_admin(client)
    response = await client.put("/users/me/preferences", headers=admin.headers, json=body)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"


# -- license and onboarding --------------------------------------------------------------------------


async def test_license_lifecycle(client: httpx.AsyncClient, license_server: LicenseServer) -> None:
    admin = await sign_up_admin(client)
    missing = await client.get("/users/me/license", headers=admin.headers)
    assert missing.status_code == 404
    signed = {"licenseKey": LICENSE_KEY, "activationKey": license_server.sign(LICENSE_KEY)}
    saved = await client.put("/users/me/license", headers=admin.headers, json=signed)
    assert saved.status_code == 200
    body = saved.json()
    assert {key: body[key] for key in signed} == signed
    assert set(body) == {"licenseKey", "activationKey", "activatedAt"}
    read = await client.get("/users/me/license", headers=admin.headers)
    assert read.status_code == 200
    assert read.json() == body
    me = (await client.get("/users/me", headers=admin.headers)).json()
    assert me["license"] == body
    deleted = await client.delete("/users/me/license", headers=admin.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get("/users/me/license", headers=admin.headers)).status_code == 404
    assert (await client.get("/users/me", headers=admin.headers)).json()["license"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"licenseKey": "IMXX-FF69-TUK1-RWZU-V9Q8-QGQS-S5GC-X4R2-UFK4", "activationKey": "k"},
        {"licenseKey": "IMCL-FF69-TUK1", "activationKey": "k"},
        {"licenseKey": LICENSE["licenseKey"]},
    ],
)
async def test_license_key_must_be_well_formed(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    admin = await sign_up_admin(client)
    response = await client.put("/users/me/license", headers=admin.headers, json=body)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"
    assert (await client.get("/users/me/license", headers=admin.headers)).status_code == 404


@pytest.mark.parametrize("activation", [" ", "not-a-signature", "wrong-key", "other-license"])
async def test_an_activation_key_that_is_not_the_license_servers_signature_is_refused(
    client: httpx.AsyncClient, license_server: LicenseServer, activation: str
) -> None:
    admin = await sign_up_admin(client)
    impostor = LicenseServer(*(rsa.generate_private_key(public_exponent=65537, key_size=2048),) * 2)
    activation_key = {
        "wrong-key": impostor.sign(LICENSE_KEY),
        "other-license": license_server.sign(LICENSE_KEY.replace("7KQ2", "7KQ3")),
    }.get(activation, activation)
    response = await client.put(
        "/users/me/license", headers=admin.headers, json={**LICENSE, "activationKey": activation_key}
    )
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid license key"}
    assert (await client.get("/users/me/license", headers=admin.headers)).status_code == 404


async def test_a_user_may_hold_a_server_license(
    client: httpx.AsyncClient, license_server: LicenseServer
) -> None:
    admin = await sign_up_admin(client)
    key = "IMSV-7KQ2-M4ZP-X8RT-C3VW-N6HB-J9DL-5FGA-QE2S"
    license = {"licenseKey": key, "activationKey": license_server.sign(key)}
    saved = await client.put("/users/me/license", headers=admin.headers, json=license)
    assert saved.status_code == 200


async def test_onboarding_lifecycle_and_login_flag(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    initial = await client.get("/users/me/onboarding", headers=admin.headers)
    assert initial.status_code == 200
    assert initial.json() == {"isOnboarded": False}
    saved = await client.put("/users/me/onboarding", headers=admin.headers, json={"isOnboarded": True})
    assert saved.status_code == 200
    assert saved.json() == {"isOnboarded": True}
    assert (await client.get("/users/me/onboarding", headers=admin.headers)).json() == {"isOnboarded": True}
    relog = await client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": "admin-password"})
    assert relog.json()["isOnboarded"] is True
    deleted = await client.delete("/users/me/onboarding", headers=admin.headers)
    assert deleted.status_code == 204
    assert (await client.get("/users/me/onboarding", headers=admin.headers)).json() == {"isOnboarded": False}
    bad = await client.put("/users/me/onboarding", headers=admin.headers, json={})
    assert bad.status_code == 400


# -- other users -------------------------------------------------------------------------------------


async def test_get_user_is_the_public_profile_only(client: httpx.AsyncClient) -> None:
    admin, alice, _bob = await two_users(client)
    await client.put(
        f"/admin/users/{alice.user_id}",
        headers=admin.headers,
        json={"quotaSizeInBytes": 1000, "storageLabel": "al"},
    )
    response = await client.get(f"/users/{alice.user_id}", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PUBLIC_FIELDS
    assert body["id"] == alice.user_id
    assert body["email"] == alice.email
    by_peer = await client.get(f"/users/{admin.user_id}", headers=alice.headers)
    assert set(by_peer.json()) == PUBLIC_FIELDS
    unknown = await client.get(f"/users/{uuid.uuid4()}", headers=admin.headers)
    assert unknown.status_code == 400
    assert unknown.json() == {"message": "User not found"}
    bad = await client.get("/users/1234", headers=admin.headers)
    assert bad.status_code == 400
    assert bad.json()["message"] == "Validation failed"
    not_v4 = await client.get(f"/users/{uuid.uuid1()}", headers=admin.headers)
    assert not_v4.status_code == 400


async def test_search_users_public_and_private(client: httpx.AsyncClient, app: Any) -> None:
    admin, alice, bob = await two_users(client)
    everyone = await client.get("/users", headers=alice.headers)
    assert everyone.status_code == 200
    assert {user["id"] for user in everyone.json()} == {admin.user_id, alice.user_id, bob.user_id}
    assert all(set(user) == PUBLIC_FIELDS for user in everyone.json())

    async with app.state.container.database.unit_of_work() as session:
        await SystemMetadataRepository(session).set("system-config", {"server": {"publicUsers": False}})
    only_me = await client.get("/users", headers=alice.headers)
    assert [user["id"] for user in only_me.json()] == [alice.user_id]
    as_admin = await client.get("/users", headers=admin.headers)
    assert len(as_admin.json()) == 3


async def test_search_users_hides_deleted(client: httpx.AsyncClient) -> None:
    admin, alice, bob = await two_users(client)
    await client.request("DELETE", f"/admin/users/{bob.user_id}", headers=admin.headers, json={})
    listed = await client.get("/users", headers=alice.headers)
    assert {user["id"] for user in listed.json()} == {admin.user_id, alice.user_id}


async def test_users_cannot_change_each_other(client: httpx.AsyncClient) -> None:
    """Every write under /users acts on the caller; nothing takes another user's id."""
    _admin, alice, bob = await two_users(client)
    alice_before = (await client.get("/users/me", headers=alice.headers)).json()
    alice_prefs = (await client.get("/users/me/preferences", headers=alice.headers)).json()

    await client.put("/users/me", headers=bob.headers, json={"name": "Bobby", "avatarColor": "red"})
    await client.put("/users/me/preferences", headers=bob.headers, json={"memories": {"enabled": False}})
    await client.put("/users/me/license", headers=bob.headers, json=LICENSE)
    await client.put("/users/me/onboarding", headers=bob.headers, json={"isOnboarded": True})
    await upload(client, bob, "b.png", PNG.read_bytes())
    # id-bearing variants do not exist for these writes
    for method, path in [
        ("PUT", f"/users/{alice.user_id}"),
        ("PUT", f"/users/{alice.user_id}/preferences"),
        ("POST", f"/users/{alice.user_id}/profile-image"),
        ("DELETE", f"/users/{alice.user_id}/profile-image"),
    ]:
        response = await client.request(method, path, headers=bob.headers, json={"name": "x"})
        assert response.status_code in (404, 405), (method, path, response.status_code)
    # the admin routes that do take an id refuse him
    for method, path, body in [
        ("PUT", f"/admin/users/{alice.user_id}", {"name": "x"}),
        ("PUT", f"/admin/users/{alice.user_id}/preferences", {"memories": {"enabled": False}}),
        ("DELETE", f"/admin/users/{alice.user_id}", {}),
    ]:
        response = await client.request(method, path, headers=bob.headers, json=body)
        assert response.status_code == 403, (method, path)

    assert (await client.get("/users/me", headers=alice.headers)).json() == alice_before
    assert (await client.get("/users/me/preferences", headers=alice.headers)).json() == alice_prefs
    assert (await client.get("/users/me/license", headers=alice.headers)).status_code == 404
    assert (await client.get("/users/me/onboarding", headers=alice.headers)).json() == {"isOnboarded": False}
    assert (await client.get(f"/users/{alice.user_id}/profile-image", headers=bob.headers)).status_code == 404
    bob_now = (await client.get("/users/me", headers=bob.headers)).json()
    assert bob_now["name"] == "Bobby"
    assert bob_now["profileImagePath"] != ""


# -- calendar heatmap --------------------------------------------------------------------------------


async def test_calendar_heatmap(client: httpx.AsyncClient, app: Any) -> None:
    from datetime import UTC, datetime

    from tests.integration.test_users_admin import add_assets

    admin, alice, bob = await two_users(client)
    jan = [datetime(2024, 1, day, 12, tzinfo=UTC) for day in (1, 2, 3)]
    await add_assets(
        app,
        alice.user_id,
        {"type": "IMAGE", "created_at": jan[0], "local_date_time": jan[2]},
        {"type": "IMAGE", "created_at": jan[0], "local_date_time": jan[2]},
        {"type": "VIDEO", "created_at": jan[2], "local_date_time": jan[0]},
        {"type": "IMAGE", "created_at": jan[1], "local_date_time": jan[1], "deleted_at": jan[2]},
    )
    await add_assets(app, bob.user_id, {"type": "IMAGE", "created_at": jan[1], "local_date_time": jan[1]})
    window = {"from": "2024-01-01", "to": "2024-01-03"}
    uploads = await client.get("/users/me/calendar-heatmap", headers=alice.headers, params=window)
    assert uploads.status_code == 200
    assert uploads.json() == {
        "from": "2024-01-01",
        "to": "2024-01-03",
        "series": [
            {"date": "2024-01-01", "count": 2},
            {"date": "2024-01-02", "count": 0},
            {"date": "2024-01-03", "count": 1},
        ],
        "totalCount": 3,
    }
    taken = await client.get(
        "/users/me/calendar-heatmap", headers=alice.headers, params={**window, "type": "Taken"}
    )
    assert [item["count"] for item in taken.json()["series"]] == [1, 0, 2]
    default = (await client.get("/users/me/calendar-heatmap", headers=alice.headers)).json()
    assert len(default["series"]) == 364
    assert default["to"] == datetime.now(UTC).date().isoformat()
    assert default["totalCount"] == 0
    backwards = await client.get(
        "/users/me/calendar-heatmap", headers=alice.headers, params={"from": "2024-02-01", "to": "2024-01-01"}
    )
    assert backwards.status_code == 400
    assert backwards.json()["message"] == "Validation failed"

    # the admin variant: an admin or the user himself, nobody else
    path = f"/admin/users/{alice.user_id}/calendar-heatmap"
    by_admin = await client.get(path, headers=admin.headers, params=window)
    assert by_admin.json() == uploads.json()
    by_self = await client.get(path, headers=alice.headers, params=window)
    assert by_self.json() == uploads.json()
    by_peer = await client.get(path, headers=bob.headers, params=window)
    assert by_peer.status_code == 403
