"""Client-side helpers to set up accounts through the public API, as a real client would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

ADMIN_EMAIL = "admin@immich.cloud"
ADMIN_PASSWORD = "admin-password"


@dataclass
class LoggedIn:
    user_id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up_admin(client: httpx.AsyncClient, email: str = ADMIN_EMAIL) -> LoggedIn:
    response = await client.post(
        "/auth/admin-sign-up", json={"email": email, "password": ADMIN_PASSWORD, "name": "Admin"}
    )
    assert response.status_code == 201, response.text
    return await login(client, email, ADMIN_PASSWORD)


async def login(client: httpx.AsyncClient, email: str, password: str) -> LoggedIn:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body = response.json()
    return LoggedIn(user_id=body["userId"], email=email, token=body["accessToken"])


async def create_user(
    client: httpx.AsyncClient, admin: LoggedIn, email: str, password: str = "user-password", **extra: Any
) -> LoggedIn:
    response = await client.post(
        "/admin/users",
        headers=admin.headers,
        json={"email": email, "password": password, "name": email.split("@")[0], **extra},
    )
    assert response.status_code == 201, response.text
    return await login(client, email, password)


async def create_api_key(client: httpx.AsyncClient, who: LoggedIn, permissions: list[str]) -> str:
    response = await client.post(
        "/api-keys", headers=who.headers, json={"name": "test", "permissions": permissions}
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret
