"""/activities: comments and likes on shared albums, who may add, read and delete them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.assets import upload_id
from tests.support.users import LoggedIn, create_user, sign_up_admin


async def _setting(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn, LoggedIn, str, str]:
    """Alice owns an album with one asset; Bob is a viewer in it; Carol is not a member."""
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com", name="Alice")
    bob = await create_user(client, admin, "bob@example.com", name="Bob")
    carol = await create_user(client, admin, "carol@example.com", name="Carol")
    asset = await upload_id(client, alice)
    response = await client.post(
        "/albums",
        headers=alice.headers,
        json={
            "albumName": "Trip",
            "assetIds": [asset],
            "albumUsers": [{"userId": bob.user_id, "role": "viewer"}],
        },
    )
    assert response.status_code == 201, response.text
    return alice, bob, carol, response.json()["id"], asset


async def _post(client: httpx.AsyncClient, who: LoggedIn, status: int = 201, **body: Any) -> dict[str, Any]:
    response = await client.post("/activities", headers=who.headers, json=body)
    assert response.status_code == status, response.text
    created: dict[str, Any] = response.json()
    return created


async def _list(client: httpx.AsyncClient, who: LoggedIn, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/activities", headers=who.headers, params=params)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def _refused(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"message": f"Not found or no {permission} access"}


async def test_comments_and_likes_on_album_and_asset(client: httpx.AsyncClient) -> None:
    alice, bob, _, album_id, asset = await _setting(client)
    comment = await _post(client, bob, albumId=album_id, type="comment", comment="Nice trip")
    assert set(comment) == {"id", "createdAt", "user", "assetId", "type", "comment"}
    assert (comment["assetId"], comment["type"], comment["comment"]) == (None, "comment", "Nice trip")
    assert comment["user"]["email"] == "bob@example.com"

    like = await _post(client, alice, albumId=album_id, type="like")
    assert (like["comment"], like["type"]) == (None, "like")
    again = await _post(client, alice, 200, albumId=album_id, type="like")  # a repeated like: the first
    assert again == like
    asset_like = await _post(client, alice, albumId=album_id, assetId=asset, type="like")
    assert asset_like["id"] != like["id"]
    assert asset_like["assetId"] == asset

    everything = await _list(client, bob, albumId=album_id)
    assert [a["id"] for a in everything] == [comment["id"], like["id"], asset_like["id"]]  # oldest first
    assert [a["id"] for a in await _list(client, bob, albumId=album_id, type="comment")] == [comment["id"]]
    likes = await _list(client, bob, albumId=album_id, type="like")
    assert [a["id"] for a in likes] == [like["id"], asset_like["id"]]
    album_level = await _list(client, bob, albumId=album_id, level="album")
    assert [a["id"] for a in album_level] == [comment["id"], like["id"]]
    on_asset = await _list(client, bob, albumId=album_id, assetId=asset)
    assert [a["id"] for a in on_asset] == [asset_like["id"]]
    by_alice = await _list(client, bob, albumId=album_id, userId=alice.user_id)
    assert [a["id"] for a in by_alice] == [like["id"], asset_like["id"]]

    stats = await client.get("/activities/statistics", headers=bob.headers, params={"albumId": album_id})
    assert stats.json() == {"comments": 1, "likes": 2}
    asset_stats = await client.get(
        "/activities/statistics", headers=bob.headers, params={"albumId": album_id, "assetId": asset}
    )
    assert asset_stats.json() == {"comments": 0, "likes": 1}

    # Taking the asset out of the album takes its activity with it.
    removed = await client.request(
        "DELETE", f"/albums/{album_id}/assets", headers=alice.headers, json={"ids": [asset]}
    )
    assert removed.json()[0]["success"] is True
    assert [a["id"] for a in await _list(client, alice, albumId=album_id)] == [comment["id"], like["id"]]


async def test_who_may_add_read_and_delete(client: httpx.AsyncClient) -> None:
    alice, bob, carol, album_id, _ = await _setting(client)
    _refused(
        await client.post("/activities", headers=carol.headers, json={"albumId": album_id, "type": "like"}),
        "activity.create",
    )
    _refused(
        await client.get("/activities", headers=carol.headers, params={"albumId": album_id}), "album.read"
    )
    _refused(
        await client.get("/activities/statistics", headers=carol.headers, params={"albumId": album_id}),
        "album.read",
    )

    bobs = await _post(client, bob, albumId=album_id, type="comment", comment="mine")
    alices = await _post(client, alice, albumId=album_id, type="comment", comment="owner's")
    # A member cannot remove someone else's comment; the owner can remove anyone's.
    _refused(await client.delete(f"/activities/{alices['id']}", headers=bob.headers), "activity.delete")
    _refused(await client.delete(f"/activities/{bobs['id']}", headers=carol.headers), "activity.delete")
    assert (await client.delete(f"/activities/{bobs['id']}", headers=alice.headers)).status_code == 204
    own = await _post(client, bob, albumId=album_id, type="like")
    assert (await client.delete(f"/activities/{own['id']}", headers=bob.headers)).status_code == 204
    assert [a["id"] for a in await _list(client, alice, albumId=album_id)] == [alices["id"]]

    # With activity turned off nobody adds any, the owner included; reading still works.
    disabled = await client.patch(
        f"/albums/{album_id}", headers=alice.headers, json={"isActivityEnabled": False}
    )
    assert disabled.json()["isActivityEnabled"] is False
    for who in (alice, bob):
        _refused(
            await client.post("/activities", headers=who.headers, json={"albumId": album_id, "type": "like"}),
            "activity.create",
        )
    assert len(await _list(client, bob, albumId=album_id)) == 1

    # A member who leaves loses access.
    assert (await client.delete(f"/albums/{album_id}/user/me", headers=bob.headers)).status_code == 204
    _refused(await client.get("/activities", headers=bob.headers, params={"albumId": album_id}), "album.read")


async def test_validation(client: httpx.AsyncClient) -> None:
    alice, _, carol, album_id, asset = await _setting(client)
    blank = await client.post(
        "/activities", headers=alice.headers, json={"albumId": album_id, "type": "comment", "comment": "  "}
    )
    assert blank.status_code == 400
    assert blank.json()["errors"] == [
        {
            "code": "custom",
            "path": ["comment"],
            "message": "comment: Comment is required when type is COMMENT",
        }
    ]
    like_with_text = await client.post(
        "/activities", headers=alice.headers, json={"albumId": album_id, "type": "like", "comment": "x"}
    )
    assert like_with_text.status_code == 400
    assert like_with_text.json()["message"] == "Validation failed"
    bad_type = await client.post(
        "/activities", headers=alice.headers, json={"albumId": album_id, "type": "x"}
    )
    assert bad_type.status_code == 400
    missing_album = await client.get("/activities", headers=alice.headers)
    assert missing_album.status_code == 400
    # An asset that is not in the album gets a clear refusal, not a database error.
    elsewhere = await upload_id(client, carol, "carol.jpg")
    outside = await client.post(
        "/activities", headers=alice.headers, json={"albumId": album_id, "assetId": elsewhere, "type": "like"}
    )
    assert outside.status_code == 400
    assert outside.json() == {"message": "Asset not found in album"}
    assert (await client.delete(f"/activities/{asset}", headers=alice.headers)).status_code == 400
