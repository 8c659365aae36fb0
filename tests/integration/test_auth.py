"""Authentication as CONTRACT.md §1 describes it: credential sources, cookies, sign-up, password, PIN."""

from __future__ import annotations

import httpx
import pytest

from tests.support.users import ADMIN_EMAIL, ADMIN_PASSWORD, create_api_key, login, sign_up_admin


async def test_first_admin_sign_up_then_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/admin-sign-up", json={"email": "Root@Example.com", "password": "pw", "name": "Root"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["isAdmin"] is True
    assert body["storageLabel"] == "admin"
    assert body["email"] == "root@example.com"
    again = await client.post(
        "/auth/admin-sign-up", json={"email": "b@example.com", "password": "pw", "name": "B"}
    )
    assert again.status_code == 400
    assert again.json() == {"message": "The server already has an admin"}


@pytest.mark.parametrize("domain", ["Immich.TEST", "nas.local", "box.lan", "photos.home", "host.localhost"])
async def test_sign_up_accepts_home_and_test_domains(client: httpx.AsyncClient, domain: str) -> None:
    admin = await client.post(
        "/auth/admin-sign-up", json={"email": f"Admin@{domain}", "password": "pw", "name": "Admin"}
    )
    assert admin.status_code == 201, admin.text
    assert admin.json()["email"] == f"admin@{domain.lower()}"
    token = (await client.post("/auth/login", json={"email": f"admin@{domain}", "password": "pw"})).json()
    user = await client.post(
        "/admin/users",
        json={"email": f"user1@{domain}", "password": "pw", "name": "User"},
        headers={"Authorization": f"Bearer {token['accessToken']}"},
    )
    assert user.status_code == 201, user.text
    assert user.json()["email"] == f"user1@{domain.lower()}"


async def test_sign_up_refuses_what_is_not_an_address(client: httpx.AsyncClient) -> None:
    for email in ("admin", "admin@", "@immich.test", "a b@immich.test"):
        response = await client.post(
            "/auth/admin-sign-up", json={"email": email, "password": "pw", "name": "Admin"}
        )
        assert response.status_code == 400, email


async def test_login_sets_immich_cookies(client: httpx.AsyncClient) -> None:
    await sign_up_admin(client)
    response = await client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "accessToken",
        "userId",
        "userEmail",
        "name",
        "isAdmin",
        "profileImagePath",
        "shouldChangePassword",
        "isOnboarded",
    }
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    assert "HttpOnly" in cookies["immich_access_token"]
    assert "HttpOnly" in cookies["immich_auth_type"]
    assert "immich_auth_type=password" in cookies["immich_auth_type"]
    assert "HttpOnly" not in cookies["immich_is_authenticated"]
    assert "immich_is_authenticated=true" in cookies["immich_is_authenticated"]
    assert body["accessToken"] in cookies["immich_access_token"]


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient) -> None:
    await sign_up_admin(client)
    wrong = await client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": "nope"})
    unknown = await client.post("/auth/login", json={"email": "ghost@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"message": "Incorrect email or password"}


@pytest.mark.parametrize(
    "carrier",
    ["bearer", "cookie", "x-immich-user-token", "x-immich-session-token", "sessionKey"],
)
async def test_every_session_token_source_is_accepted(client: httpx.AsyncClient, carrier: str) -> None:
    admin = await sign_up_admin(client)
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if carrier == "bearer":
        headers["Authorization"] = f"Bearer {admin.token}"
    elif carrier == "cookie":
        headers["Cookie"] = f"immich_access_token={admin.token}"
    elif carrier == "sessionKey":
        params["sessionKey"] = admin.token
    else:
        headers[carrier] = admin.token
    response = await client.get("/users/me", headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.json()["email"] == ADMIN_EMAIL


async def test_missing_and_bad_credentials_are_401(client: httpx.AsyncClient) -> None:
    await sign_up_admin(client)
    assert (await client.get("/users/me")).json() == {"message": "Authentication required"}
    bad_token = await client.get("/users/me", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    assert bad_token.json() == {"message": "Invalid user token"}
    bad_key = await client.get("/users/me", headers={"x-api-key": "nope"})
    assert bad_key.status_code == 401
    assert bad_key.json() == {"message": "Invalid API key"}


async def test_a_present_but_invalid_session_does_not_fall_through_to_a_valid_key(
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_up_admin(client)
    key = await create_api_key(client, admin, ["all"])
    response = await client.get("/users/me", headers={"Authorization": "Bearer nope", "x-api-key": key})
    assert response.status_code == 401


async def test_logout_ends_the_session_and_clears_cookies(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    response = await client.post("/auth/logout", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == {"successful": True, "redirectUri": "/auth/login?autoLaunch=0"}
    cleared = response.headers.get_list("set-cookie")
    assert any(c.startswith("immich_access_token=") and "Max-Age=0" in c for c in cleared)
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 401


async def test_validate_token(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    response = await client.post("/auth/validateToken", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == {"authStatus": True}
    # permission check disabled: even a narrow API key may validate itself
    key = await create_api_key(client, admin, ["server.about"])
    assert (await client.post("/auth/validateToken", headers={"x-api-key": key})).status_code == 200


async def test_change_password_ends_other_sessions(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    other = await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    wrong = await client.post(
        "/auth/change-password",
        headers=admin.headers,
        json={"password": "bad", "newPassword": "new-password"},
    )
    assert wrong.status_code == 400
    assert wrong.json() == {"message": "Wrong password"}
    response = await client.post(
        "/auth/change-password",
        headers=admin.headers,
        json={"password": ADMIN_PASSWORD, "newPassword": "new-password"},
    )
    assert response.status_code == 200
    assert response.json()["email"] == ADMIN_EMAIL
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 200
    assert (await client.get("/users/me", headers=other.headers)).status_code == 401
    assert (
        await client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    ).status_code == 401
    await login(client, ADMIN_EMAIL, "new-password")


async def test_pin_code_unlocks_and_locks_the_session(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    status = (await client.get("/auth/status", headers=admin.headers)).json()
    assert status == {
        "pinCode": False,
        "password": True,
        "isElevated": False,
        "expiresAt": None,
        "pinExpiresAt": None,
    }
    assert (
        await client.post("/auth/pin-code", headers=admin.headers, json={"pinCode": "123456"})
    ).status_code == 204
    again = await client.post("/auth/pin-code", headers=admin.headers, json={"pinCode": "654321"})
    assert again.json() == {"message": "User already has a PIN code"}
    wrong = await client.post("/auth/session/unlock", headers=admin.headers, json={"pinCode": "000000"})
    assert wrong.status_code == 400
    assert wrong.json() == {"message": "Wrong PIN code"}
    unlocked = await client.post("/auth/session/unlock", headers=admin.headers, json={"pinCode": "123456"})
    assert unlocked.status_code == 204
    status = (await client.get("/auth/status", headers=admin.headers)).json()
    assert status["isElevated"] is True
    assert status["pinExpiresAt"] is not None
    assert (await client.post("/auth/session/lock", headers=admin.headers)).status_code == 204
    assert (await client.get("/auth/status", headers=admin.headers)).json()["isElevated"] is False
    changed = await client.put(
        "/auth/pin-code", headers=admin.headers, json={"pinCode": "123456", "newPinCode": "222222"}
    )
    assert changed.status_code == 204
    reset = await client.request(
        "DELETE", "/auth/pin-code", headers=admin.headers, json={"password": ADMIN_PASSWORD}
    )
    assert reset.status_code == 204
    assert (await client.get("/auth/status", headers=admin.headers)).json()["pinCode"] is False


async def test_login_rate_limit_per_account(client: httpx.AsyncClient) -> None:
    await sign_up_admin(client)
    limit = 10  # Settings.rate_limit.login_per_account default
    for _ in range(limit):
        failed = await client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": "wrong"})
        assert failed.status_code == 401
    blocked = await client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["message"].startswith("Too many failed login attempts")
    assert int(blocked.headers["Retry-After"]) > 0


async def test_validation_errors_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login", json={"email": "not-an-email", "password": "x"})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation failed"
    assert any(issue["path"] == ["email"] for issue in body["errors"])
    assert "X-Correlation-ID" in response.headers


async def test_unknown_body_keys_are_stripped(client: httpx.AsyncClient) -> None:
    await sign_up_admin(client)
    response = await client.post(
        "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "deviceId": "x", "extra": 1}
    )
    assert response.status_code == 201
