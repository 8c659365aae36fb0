"""Sessions: list, child sessions, delete, lock — and nobody touches another user's sessions."""

from __future__ import annotations

import httpx

from tests.support.users import ADMIN_EMAIL, ADMIN_PASSWORD, create_api_key, create_user, login, sign_up_admin


async def test_list_marks_the_current_session(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    sessions = (await client.get("/sessions", headers=admin.headers)).json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1


async def test_device_details_come_from_the_user_agent(client: httpx.AsyncClient) -> None:
    await sign_up_admin(client)
    response = await client.post(
        "/auth/login",
        json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"User-Agent": "immich-android/1.140.0", "deviceModel": "Pixel 8", "deviceType": "Android"},
    )
    token = response.json()["accessToken"]
    # The session takes the device of its latest request, so list with the same client.
    mobile = {"User-Agent": "immich-android/1.140.0", "deviceModel": "Pixel 8", "deviceType": "Android"}
    mine = [
        s
        for s in (
            await client.get("/sessions", headers={"Authorization": f"Bearer {token}", **mobile})
        ).json()
        if s["current"]
    ]
    assert mine[0]["appVersion"] == "1.140.0"
    assert mine[0]["deviceType"] == "Pixel 8"
    assert mine[0]["deviceOS"] == "Android"
    browser = await client.post(
        "/auth/login",
        json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
    )
    bearer = {"Authorization": f"Bearer {browser.json()['accessToken']}"}
    listed = await client.get("/sessions", headers=bearer)
    current = next(s for s in listed.json() if s["current"])
    assert current["appVersion"] is None  # not the app: no version, rather than an empty one
    assert "expiresAt" not in current  # a session that never expires has no expiry, not a null one


async def test_child_session_needs_a_session_and_can_expire(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    key = await create_api_key(client, admin, ["all"])
    refused = await client.post("/sessions", headers={"x-api-key": key}, json={})
    assert refused.status_code == 400
    assert refused.json() == {"message": "This endpoint can only be used with a session token"}
    child = await client.post(
        "/sessions", headers=admin.headers, json={"duration": 3600, "deviceType": "Cast", "deviceOS": "TV"}
    )
    assert child.status_code == 201
    body = child.json()
    assert body["token"]
    assert body["expiresAt"] is not None
    assert body["deviceType"] == "Cast"
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200


async def test_delete_all_keeps_the_current_one(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    other = await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert (await client.delete("/sessions", headers=admin.headers)).status_code == 204
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 200
    assert (await client.get("/users/me", headers=other.headers)).status_code == 401


async def test_user_cannot_read_delete_or_lock_another_users_session(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    sessions = (await client.get("/sessions", headers=admin.headers)).json()
    admin_session = next(s for s in sessions if s["current"])
    bob_sessions = (await client.get("/sessions", headers=bob.headers)).json()
    assert admin_session["id"] not in {s["id"] for s in bob_sessions}
    for method, path, body in (
        ("DELETE", f"/sessions/{admin_session['id']}", None),
        ("POST", f"/sessions/{admin_session['id']}/lock", None),
        ("PUT", f"/sessions/{admin_session['id']}", {"isPendingSyncReset": True}),
    ):
        response = await client.request(method, path, headers=bob.headers, json=body)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["message"].startswith("Not found or no ")
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 200


async def test_delete_one_session(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    other = await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    sessions = (await client.get("/sessions", headers=admin.headers)).json()
    other_id = next(s["id"] for s in sessions if not s["current"])
    assert (await client.delete(f"/sessions/{other_id}", headers=admin.headers)).status_code == 204
    assert (await client.get("/users/me", headers=other.headers)).status_code == 401
