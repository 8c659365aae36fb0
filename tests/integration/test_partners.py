"""Partners: share a library with another user, list both directions, show in timeline, stop sharing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from albumen.models import PartnerAudit
from tests.support.users import create_user, sign_up_admin


async def test_partner_lifecycle(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    carol = await create_user(client, admin, "carol@example.com")

    response = await client.post("/partners", headers=admin.headers, json={"sharedWithId": bob.user_id})
    assert response.status_code == 201, response.text
    assert response.json()["id"] == bob.user_id
    assert response.json()["email"] == "bob@example.com"
    assert response.json()["inTimeline"] is False
    response = await client.post("/partners", headers=admin.headers, json={"sharedWithId": bob.user_id})
    assert (response.status_code, response.json()["message"]) == (400, "Partner already exists")
    response = await client.post(f"/partners/{carol.user_id}", headers=admin.headers)  # the deprecated form
    assert response.status_code == 201
    response = await client.post("/partners", headers=admin.headers, json={"sharedWithId": str(uuid.uuid4())})
    assert response.status_code == 400

    async def listed(who: Any, direction: str) -> list[str]:
        response = await client.get("/partners", headers=who.headers, params={"direction": direction})
        assert response.status_code == 200
        return [partner["id"] for partner in response.json()]

    assert await listed(admin, "shared-by") == [bob.user_id, carol.user_id]
    assert await listed(admin, "shared-with") == []
    assert await listed(bob, "shared-with") == [admin.user_id]
    assert await listed(bob, "shared-by") == []
    response = await client.get("/partners", headers=admin.headers, params={"direction": "sideways"})
    assert response.status_code == 400

    # only the user shared with decides whether the partner shows in its timeline
    response = await client.put(f"/partners/{admin.user_id}", headers=bob.headers, json={"inTimeline": True})
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["inTimeline"]) == (admin.user_id, True)
    response = await client.put(f"/partners/{bob.user_id}", headers=admin.headers, json={"inTimeline": True})
    assert (response.status_code, response.json()["message"]) == (
        400,
        "Not found or no partner.update access",
    )

    assert (await client.delete(f"/partners/{bob.user_id}", headers=admin.headers)).status_code == 204
    response = await client.delete(f"/partners/{bob.user_id}", headers=admin.headers)
    assert (response.status_code, response.json()["message"]) == (400, "Partner not found")
    assert await listed(bob, "shared-with") == []
    async with app.state.container.database.unit_of_work() as db:
        audits = (await db.scalars(select(PartnerAudit))).all()
    assert [(str(a.shared_by_id), str(a.shared_with_id)) for a in audits] == [(admin.user_id, bob.user_id)]
    assert (await client.get("/partners?direction=shared-by")).status_code == 401
