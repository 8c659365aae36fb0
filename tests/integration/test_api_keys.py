"""API keys and the permission model of CONTRACT.md §1.5, including isolation between users."""

from __future__ import annotations

import uuid

import httpx

from tests.support.users import create_api_key, create_user, sign_up_admin


async def test_server_about_key_is_refused_users_me_and_all_key_is_not(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    narrow = await create_api_key(client, admin, ["server.about"])
    refused = await client.get("/users/me", headers={"x-api-key": narrow})
    assert refused.status_code == 403
    assert refused.json() == {"message": "Missing required permission: user.read"}
    wide = await create_api_key(client, admin, ["all"])
    allowed = await client.get("/users/me", headers={"x-api-key": wide})
    assert allowed.status_code == 200
    assert allowed.json()["id"] == admin.user_id


async def test_routes_without_explicit_permission_need_all(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    narrow = await create_api_key(client, admin, ["user.read"])
    response = await client.get("/auth/status", headers={"x-api-key": narrow})
    assert response.status_code == 403
    assert response.json() == {"message": "Missing required permission: all"}


async def test_my_api_key_needs_no_permission(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    narrow = await create_api_key(client, admin, ["server.about"])
    response = await client.get("/api-keys/me", headers={"x-api-key": narrow})
    assert response.status_code == 200
    assert response.json()["permissions"] == ["server.about"]
    with_session = await client.get("/api-keys/me", headers=admin.headers)
    assert with_session.status_code == 403
    assert with_session.json() == {"message": "Not authenticated with an API Key"}


async def test_key_cannot_grant_what_it_lacks(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    creator = await create_api_key(client, admin, ["apiKey.create", "apiKey.update", "apiKey.read"])
    escalate = await client.post(
        "/api-keys", headers={"x-api-key": creator}, json={"name": "x", "permissions": ["all"]}
    )
    assert escalate.status_code == 400
    assert escalate.json() == {"message": "Cannot grant permissions you do not have"}
    subset = await client.post(
        "/api-keys", headers={"x-api-key": creator}, json={"name": "x", "permissions": ["apiKey.read"]}
    )
    assert subset.status_code == 201


async def test_crud_and_secret_is_stored_hashed(client: httpx.AsyncClient, app: object) -> None:
    admin = await sign_up_admin(client)
    created = await client.post("/api-keys", headers=admin.headers, json={"permissions": ["all"]})
    assert created.status_code == 201
    body = created.json()
    assert body["apiKey"]["name"] == "API Key"
    key_id = body["apiKey"]["id"]
    listed = (await client.get("/api-keys", headers=admin.headers)).json()
    assert [k["id"] for k in listed] == [key_id]
    assert "secret" not in listed[0]
    renamed = await client.put(f"/api-keys/{key_id}", headers=admin.headers, json={"name": "renamed"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "renamed"
    assert (await client.get(f"/api-keys/{key_id}", headers=admin.headers)).json()["name"] == "renamed"
    from sqlalchemy import select

    from albumen.models import ApiKey

    async with app.state.container.database.unit_of_work() as session:  # type: ignore[attr-defined]
        stored = await session.scalar(select(ApiKey.key).where(ApiKey.id == uuid.UUID(key_id)))
    assert stored is not None
    assert len(stored) == 32
    assert body["secret"].encode() not in stored
    assert (await client.delete(f"/api-keys/{key_id}", headers=admin.headers)).status_code == 204
    assert (await client.get("/users/me", headers={"x-api-key": body["secret"]})).status_code == 401


async def test_users_cannot_see_or_change_each_others_keys(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    created = await client.post(
        "/api-keys", headers=admin.headers, json={"name": "a", "permissions": ["all"]}
    )
    key_id = created.json()["apiKey"]["id"]
    assert (await client.get("/api-keys", headers=bob.headers)).json() == []
    for method, body in (("GET", None), ("PUT", {"name": "stolen"}), ("DELETE", None)):
        response = await client.request(method, f"/api-keys/{key_id}", headers=bob.headers, json=body)
        assert response.status_code == 400, (method, response.text)
        assert response.json() == {"message": "API Key not found"}
    assert (await client.get(f"/api-keys/{key_id}", headers=admin.headers)).json()["name"] == "a"
