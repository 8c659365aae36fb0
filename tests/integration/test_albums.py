"""Albums: create, list, read, update, delete, assets, members and roles — and isolation between users."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from tests.support.assets import upload_id
from tests.support.users import LoggedIn, create_user, sign_up_admin

NO_SUCH_ID = "4a4c7f0e-93b1-4c31-9d34-2f1b1f4b8a55"


async def _people(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn, LoggedIn]:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com", name="Alice")
    bob = await create_user(client, admin, "bob@example.com", name="Bob")
    return admin, alice, bob


async def _album(client: httpx.AsyncClient, who: LoggedIn, **body: Any) -> dict[str, Any]:
    response = await client.post("/albums", headers=who.headers, json={"albumName": "Trip", **body})
    assert response.status_code == 201, response.text
    album: dict[str, Any] = response.json()
    return album


async def _get(client: httpx.AsyncClient, who: LoggedIn, album_id: str) -> dict[str, Any]:
    response = await client.get(f"/albums/{album_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    album: dict[str, Any] = response.json()
    return album


def _refused(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"message": f"Not found or no {permission} access"}


def _later(stamp: str, than: str) -> bool:
    return datetime.fromisoformat(stamp) > datetime.fromisoformat(than)


async def _rows(database_url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(database_url)
    try:
        return [tuple(row) for row in await connection.fetch(query, *args)]
    finally:
        await connection.close()


async def test_create_with_assets_and_members(client: httpx.AsyncClient) -> None:
    _, alice, bob = await _people(client)
    first = await upload_id(client, alice, "first.jpg")
    second = await upload_id(client, alice, "second.jpg")
    bobs = await upload_id(client, bob, "bob.jpg")

    album = await _album(
        client,
        alice,
        description="Summer",
        assetIds=[first, second, bobs],
        albumUsers=[
            {"userId": bob.user_id, "role": "viewer"},
            {"userId": alice.user_id, "role": "editor"},  # the owner again: dropped
        ],
    )
    # Assets the caller may not share are left out; the first asset becomes the thumbnail.
    assert album["assetCount"] == 2
    assert album["albumThumbnailAssetId"] == first
    assert [(u["role"], u["user"]["id"]) for u in album["albumUsers"]] == [
        ("owner", alice.user_id),
        ("viewer", bob.user_id),
    ]
    assert album["albumUsers"][0]["user"]["email"] == "alice@example.com"
    assert album["description"] == "Summer"
    assert album["shared"] is True
    assert album["hasSharedLink"] is False
    assert album["isActivityEnabled"] is True
    assert album["order"] == "desc"
    assert album["startDate"].startswith("2024-05-01T00:00:00")
    assert album["endDate"].startswith("2024-05-01T00:00:00")
    assert "lastModifiedAssetTimestamp" in album


async def test_create_empty_album_and_refusals(client: httpx.AsyncClient) -> None:
    _, alice, _ = await _people(client)
    album = await _album(client, alice)
    assert set(album) == {
        "id",
        "albumName",
        "description",
        "createdAt",
        "updatedAt",
        "albumThumbnailAssetId",
        "albumUsers",
        "shared",
        "hasSharedLink",
        "assetCount",
        "isActivityEnabled",
        "order",
    }
    assert album["albumThumbnailAssetId"] is None
    assert album["assetCount"] == 0
    assert album["shared"] is False

    unknown = await client.post(
        "/albums",
        headers=alice.headers,
        json={"albumName": "x", "albumUsers": [{"userId": NO_SUCH_ID, "role": "editor"}]},
    )
    assert unknown.status_code == 400
    assert unknown.json() == {"message": "Invalid user"}
    missing_name = await client.post("/albums", headers=alice.headers, json={})
    assert missing_name.status_code == 400
    assert missing_name.json()["message"] == "Validation failed"


async def test_new_albums_follow_the_users_default_order(client: httpx.AsyncClient) -> None:
    _, alice, _ = await _people(client)
    changed = await client.put(
        "/users/me/preferences", headers=alice.headers, json={"albums": {"defaultAssetOrder": "asc"}}
    )
    assert changed.status_code == 200, changed.text
    assert (await _album(client, alice))["order"] == "asc"


async def test_list_with_filters_and_statistics(client: httpx.AsyncClient) -> None:
    _, alice, bob = await _people(client)
    asset = await upload_id(client, alice)
    private = await _album(client, alice, albumName="Private", assetIds=[asset])
    shared_out = await _album(
        client, alice, albumName="Shared out", albumUsers=[{"userId": bob.user_id, "role": "editor"}]
    )
    shared_in = await _album(
        client, bob, albumName="Shared in", albumUsers=[{"userId": alice.user_id, "role": "viewer"}]
    )
    await _album(client, bob, albumName="Bob only")

    async def names(**query: str) -> list[str]:
        response = await client.get("/albums", headers=alice.headers, params=query)
        assert response.status_code == 200, response.text
        return sorted(album["albumName"] for album in response.json())

    assert await names() == ["Private", "Shared in", "Shared out"]
    assert await names(isShared="true") == ["Shared in", "Shared out"]
    assert await names(isShared="false") == ["Private"]
    assert await names(isOwned="true") == ["Private", "Shared out"]
    assert await names(isOwned="false") == ["Shared in"]
    assert await names(isOwned="false", isShared="false") == []
    assert await names(name="Private") == ["Private"]
    assert await names(id=shared_in["id"]) == ["Shared in"]
    # An asset id overrides every other filter.
    assert await names(assetId=asset, isShared="true") == ["Private"]

    listed = (await client.get("/albums", headers=alice.headers)).json()
    assert [album["albumName"] for album in listed] == ["Shared in", "Shared out", "Private"]  # newest first
    by_name = {album["albumName"]: album for album in listed}
    assert by_name["Private"]["assetCount"] == 1
    assert by_name["Private"]["id"] == private["id"]
    # The caller comes second when not the owner.
    assert [u["user"]["id"] for u in by_name["Shared in"]["albumUsers"]] == [bob.user_id, alice.user_id]
    assert by_name["Shared out"]["id"] == shared_out["id"]

    stats = await client.get("/albums/statistics", headers=alice.headers)
    assert stats.status_code == 200
    assert stats.json() == {"owned": 2, "shared": 2, "notShared": 1}
    bobs = (await client.get("/albums/statistics", headers=bob.headers)).json()
    assert bobs == {"owned": 2, "shared": 2, "notShared": 1}

    bad = await client.get("/albums", headers=alice.headers, params={"assetId": "not-a-uuid"})
    assert bad.status_code == 400


async def test_get_album(client: httpx.AsyncClient) -> None:
    _, alice, bob = await _people(client)
    asset = await upload_id(client, alice)
    private = await _album(client, alice, assetIds=[asset])
    body = await _get(client, alice, private["id"])
    assert body["assetCount"] == 1
    assert body["albumThumbnailAssetId"] == asset
    assert "contributorCounts" not in body  # only on shared albums
    assert body["lastModifiedAssetTimestamp"]

    shared = await _album(
        client, alice, assetIds=[asset], albumUsers=[{"userId": bob.user_id, "role": "editor"}]
    )
    bobs = await upload_id(client, bob, "bob.jpg")
    added = await client.put(f"/albums/{shared['id']}/assets", headers=bob.headers, json={"ids": [bobs]})
    assert added.json() == [{"id": bobs, "success": True}]
    seen_by_bob = await _get(client, bob, shared["id"])
    assert seen_by_bob["assetCount"] == 2
    assert sorted(seen_by_bob["contributorCounts"], key=lambda c: c["userId"]) == sorted(
        [{"userId": alice.user_id, "assetCount": 1}, {"userId": bob.user_id, "assetCount": 1}],
        key=lambda c: c["userId"],
    )
    _refused(await client.get(f"/albums/{NO_SUCH_ID}", headers=alice.headers), "album.read")
    assert (await client.get("/albums/not-a-uuid", headers=alice.headers)).status_code == 400


async def test_trashed_assets_are_not_counted(client: httpx.AsyncClient) -> None:
    _, alice, _ = await _people(client)
    first = await upload_id(client, alice, "first.jpg")
    second = await upload_id(client, alice, "second.jpg")
    album = await _album(client, alice, assetIds=[first, second])
    assert album["albumThumbnailAssetId"] == first
    trashed = await client.request("DELETE", "/assets", headers=alice.headers, json={"ids": [first]})
    assert trashed.status_code == 204, trashed.text
    body = await _get(client, alice, album["id"])
    assert body["assetCount"] == 1
    assert body["albumThumbnailAssetId"] == second  # a trashed thumbnail is replaced on read
    listed = (await client.get("/albums", headers=alice.headers)).json()
    assert listed[0]["assetCount"] == 1


async def test_update_album(client: httpx.AsyncClient) -> None:
    _, alice, bob = await _people(client)
    first = await upload_id(client, alice, "first.jpg")
    second = await upload_id(client, alice, "second.jpg")
    outside = await upload_id(client, alice, "outside.jpg")
    album = await _album(client, alice, assetIds=[first, second])

    response = await client.patch(
        f"/albums/{album['id']}",
        headers=alice.headers,
        json={
            "albumName": "Renamed",
            "description": "An album description",
            "isActivityEnabled": False,
            "order": "asc",
            "albumThumbnailAssetId": second,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["albumName"] == "Renamed"
    assert body["description"] == "An album description"
    assert body["isActivityEnabled"] is False
    assert body["order"] == "asc"
    assert body["albumThumbnailAssetId"] == second
    assert body["assetCount"] == 2
    assert _later(body["updatedAt"], album["updatedAt"])
    assert (await _get(client, alice, album["id"]))["albumName"] == "Renamed"

    wrong_thumbnail = await client.patch(
        f"/albums/{album['id']}", headers=alice.headers, json={"albumThumbnailAssetId": outside}
    )
    assert wrong_thumbnail.status_code == 400
    assert wrong_thumbnail.json() == {"message": "Invalid album thumbnail"}
    null_name = await client.patch(f"/albums/{album['id']}", headers=alice.headers, json={"albumName": None})
    assert null_name.status_code == 400
    assert null_name.json()["message"] == "Validation failed"
    _refused(
        await client.patch(f"/albums/{album['id']}", headers=bob.headers, json={"albumName": "x"}),
        "album.update",
    )


async def test_add_assets_reports_each_id(client: httpx.AsyncClient) -> None:
    _, alice, bob = await _people(client)
    first = await upload_id(client, alice, "first.jpg")
    second = await upload_id(client, alice, "second.jpg")
    bobs = await upload_id(client, bob, "bob.jpg")
    album = await _album(client, alice)

    response = await client.put(
        f"/albums/{album['id']}/assets",
        headers=alice.headers,
        json={"ids": [first, first, bobs, NO_SUCH_ID]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": first, "success": True},
        {"id": first, "success": False, "error": "duplicate"},
        {"id": bobs, "success": False, "error": "no_permission"},
        {"id": NO_SUCH_ID, "success": False, "error": "no_permission"},
    ]
    body = await _get(client, alice, album["id"])
    assert body["albumThumbnailAssetId"] == first  # the first asset added to an album without one
    assert body["assetCount"] == 1
    assert _later(body["updatedAt"], album["updatedAt"])

    again = await client.put(
        f"/albums/{album['id']}/assets", headers=alice.headers, json={"ids": [first, second]}
    )
    assert again.json() == [
        {"id": first, "success": False, "error": "duplicate"},
        {"id": second, "success": True},
    ]
    assert (await _get(client, alice, album["id"]))["albumThumbnailAssetId"] == first

    missing = await client.put(f"/albums/{NO_SUCH_ID}/assets", headers=alice.headers, json={"ids": [first]})
    assert missing.status_code == 400
    assert missing.json() == {"message": "Album not found"}


async def test_add_assets_to_several_albums(client: httpx.AsyncClient) -> None:
    _, alice, bob = await _people(client)
    first = await upload_id(client, alice, "first.jpg")
    second = await upload_id(client, alice, "second.jpg")
    bobs = await upload_id(client, bob, "bob.jpg")
    one = await _album(client, alice, assetIds=[first])
    two = await _album(client, alice)
    bobs_album = await _album(client, bob)

    def body(albums: list[str], assets: list[str]) -> dict[str, list[str]]:
        return {"albumIds": albums, "assetIds": assets}

    response = await client.put(
        "/albums/assets", headers=alice.headers, json=body([one["id"], two["id"]], [first, second])
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    assert (await _get(client, alice, one["id"]))["assetCount"] == 2
    second_album = await _get(client, alice, two["id"])
    assert second_album["assetCount"] == 2
    assert second_album["albumThumbnailAssetId"] == first

    duplicate = await client.put(
        "/albums/assets", headers=alice.headers, json=body([one["id"], two["id"]], [first])
    )
    assert duplicate.json() == {"success": False, "error": "duplicate"}
    no_album = await client.put(
        "/albums/assets", headers=alice.headers, json=body([bobs_album["id"]], [first])
    )
    assert no_album.json() == {"success": False, "error": "no_permission"}
    no_asset = await client.put("/albums/assets", headers=alice.headers, json=body([one["id"]], [bobs]))
    assert no_asset.json() == {"success": False, "error": "no_permission"}
    assert (await _get(client, bob, bobs_album["id"]))["assetCount"] == 0


async def test_remove_assets_and_audit(client: httpx.AsyncClient, database_url: str) -> None:
    _, alice, bob = await _people(client)
    first = await upload_id(client, alice, "first.jpg")
    second = await upload_id(client, alice, "second.jpg")
    album = await _album(
        client, alice, assetIds=[first, second], albumUsers=[{"userId": bob.user_id, "role": "editor"}]
    )
    bobs = await upload_id(client, bob, "bob.jpg")
    await client.put(f"/albums/{album['id']}/assets", headers=bob.headers, json={"ids": [bobs]})

    # An editor removes only what they could share themselves.
    by_bob = await client.request(
        "DELETE", f"/albums/{album['id']}/assets", headers=bob.headers, json={"ids": [first, bobs]}
    )
    assert by_bob.status_code == 200, by_bob.text
    assert by_bob.json() == [
        {"id": first, "success": False, "error": "no_permission"},
        {"id": bobs, "success": True},
    ]
    # The owner removes anything; an id not in the album (or already removed) is not_found.
    by_alice = await client.request(
        "DELETE",
        f"/albums/{album['id']}/assets",
        headers=alice.headers,
        json={"ids": [first, first, bobs]},
    )
    assert by_alice.json() == [
        {"id": first, "success": True},
        {"id": first, "success": False, "error": "not_found"},
        {"id": bobs, "success": False, "error": "not_found"},
    ]
    body = await _get(client, alice, album["id"])
    assert body["assetCount"] == 1
    assert body["albumThumbnailAssetId"] == second  # the removed thumbnail was replaced

    audited = await _rows(
        database_url,
        "SELECT asset_id FROM album_asset_audit WHERE album_id = $1",
        uuid.UUID(album["id"]),
    )
    assert sorted(str(row[0]) for row in audited) == sorted([first, bobs])

    await client.request(
        "DELETE", f"/albums/{album['id']}/assets", headers=alice.headers, json={"ids": [second]}
    )
    emptied = await _get(client, alice, album["id"])
    assert emptied["albumThumbnailAssetId"] is None
    assert "startDate" not in emptied


async def test_delete_album_and_audit(client: httpx.AsyncClient, database_url: str) -> None:
    _, alice, bob = await _people(client)
    asset = await upload_id(client, alice)
    album = await _album(
        client, alice, assetIds=[asset], albumUsers=[{"userId": bob.user_id, "role": "editor"}]
    )
    _refused(await client.delete(f"/albums/{album['id']}", headers=bob.headers), "album.delete")
    deleted = await client.delete(f"/albums/{album['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    _refused(await client.get(f"/albums/{album['id']}", headers=alice.headers), "album.read")
    assert (await client.get("/albums", headers=bob.headers)).json() == []
    # Gone for each member; the asset itself stays.
    audited = await _rows(
        database_url, "SELECT user_id FROM album_audit WHERE album_id = $1", uuid.UUID(album["id"])
    )
    assert sorted(str(row[0]) for row in audited) == sorted([alice.user_id, bob.user_id])
    assert await _rows(database_url, "SELECT 1 FROM album_user_audit") == []
    assert await _rows(database_url, "SELECT 1 FROM asset WHERE id = $1", uuid.UUID(asset)) == [(1,)]


async def test_viewer_reads_editor_adds(client: httpx.AsyncClient) -> None:
    admin, alice, bob = await _people(client)
    asset = await upload_id(client, alice)
    bobs = await upload_id(client, bob, "bob.jpg")
    album = await _album(
        client,
        alice,
        assetIds=[asset],
        albumUsers=[{"userId": bob.user_id, "role": "viewer"}, {"userId": admin.user_id, "role": "viewer"}],
    )
    album_id = album["id"]

    assert (await _get(client, bob, album_id))["id"] == album_id
    _refused(
        await client.put(f"/albums/{album_id}/assets", headers=bob.headers, json={"ids": [bobs]}),
        "albumAsset.create",
    )
    _refused(
        await client.request(
            "DELETE", f"/albums/{album_id}/assets", headers=bob.headers, json={"ids": [asset]}
        ),
        "albumAsset.delete",
    )
    _refused(
        await client.patch(f"/albums/{album_id}", headers=bob.headers, json={"albumName": "x"}),
        "album.update",
    )
    _refused(
        await client.put(
            f"/albums/{album_id}/user/{admin.user_id}", headers=bob.headers, json={"role": "editor"}
        ),
        "album.share",
    )

    promoted = await client.put(
        f"/albums/{album_id}/user/{bob.user_id}", headers=alice.headers, json={"role": "editor"}
    )
    assert promoted.status_code == 204
    assert promoted.content == b""
    roles = {u["user"]["id"]: u["role"] for u in (await _get(client, alice, album_id))["albumUsers"]}
    assert roles == {alice.user_id: "owner", bob.user_id: "editor", admin.user_id: "viewer"}

    added = await client.put(f"/albums/{album_id}/assets", headers=bob.headers, json={"ids": [bobs]})
    assert added.json() == [{"id": bobs, "success": True}]
    renamed = await client.patch(f"/albums/{album_id}", headers=bob.headers, json={"albumName": "By Bob"})
    assert renamed.status_code == 200
    assert renamed.json()["albumName"] == "By Bob"
    # An editor manages other members, but not the owner, and may not delete the album.
    as_editor = await client.put(
        f"/albums/{album_id}/user/{admin.user_id}", headers=bob.headers, json={"role": "editor"}
    )
    assert as_editor.status_code == 204
    owner_role = await client.put(
        f"/albums/{album_id}/user/{alice.user_id}", headers=bob.headers, json={"role": "viewer"}
    )
    assert owner_role.status_code == 400
    assert owner_role.json() == {"message": "User is owner"}
    second_owner = await client.put(
        f"/albums/{album_id}/user/{admin.user_id}", headers=alice.headers, json={"role": "owner"}
    )
    assert second_owner.status_code == 400
    _refused(await client.delete(f"/albums/{album_id}", headers=bob.headers), "album.delete")


async def test_add_and_remove_members(client: httpx.AsyncClient, database_url: str) -> None:
    admin, alice, bob = await _people(client)
    album = await _album(client, alice)
    album_id = album["id"]

    added = await client.put(
        f"/albums/{album_id}/users",
        headers=alice.headers,
        json={"albumUsers": [{"userId": bob.user_id}, {"userId": alice.user_id, "role": "viewer"}]},
    )
    assert added.status_code == 200, added.text
    body = added.json()
    assert [(u["role"], u["user"]["id"]) for u in body["albumUsers"]] == [
        ("owner", alice.user_id),
        ("editor", bob.user_id),  # the default role
    ]
    assert body["shared"] is True
    assert _later(body["updatedAt"], album["updatedAt"])

    again = await client.put(
        f"/albums/{album_id}/users",
        headers=alice.headers,
        json={"albumUsers": [{"userId": bob.user_id, "role": "viewer"}]},
    )
    assert [u["role"] for u in again.json()["albumUsers"]] == ["owner", "editor"]  # existing: unchanged
    owner = await client.put(
        f"/albums/{album_id}/users",
        headers=alice.headers,
        json={"albumUsers": [{"userId": admin.user_id, "role": "owner"}]},
    )
    assert owner.status_code == 400
    assert owner.json() == {"message": "Cannot add another owner"}
    unknown = await client.put(
        f"/albums/{album_id}/users", headers=alice.headers, json={"albumUsers": [{"userId": NO_SUCH_ID}]}
    )
    assert unknown.json() == {"message": "Invalid user"}
    empty = await client.put(f"/albums/{album_id}/users", headers=alice.headers, json={"albumUsers": []})
    assert empty.status_code == 400

    last_owner = await client.delete(f"/albums/{album_id}/user/{alice.user_id}", headers=alice.headers)
    assert last_owner.status_code == 400
    assert last_owner.json() == {"message": "Cannot remove the last album owner"}
    not_member = await client.delete(f"/albums/{album_id}/user/{admin.user_id}", headers=alice.headers)
    assert not_member.json() == {"message": "Album not shared with user"}
    invalid = await client.delete(f"/albums/{album_id}/user/someone", headers=alice.headers)
    assert invalid.status_code == 400
    assert invalid.json()["message"] == "Validation failed"

    # Bob leaves with "me"; the album is gone from his list and both audits record it.
    left = await client.delete(f"/albums/{album_id}/user/me", headers=bob.headers)
    assert left.status_code == 204
    assert (await client.get("/albums", headers=bob.headers)).json() == []
    assert (await _get(client, alice, album_id))["shared"] is False
    key = uuid.UUID(album_id)
    for table in ("album_audit", "album_user_audit"):
        rows = await _rows(database_url, f"SELECT user_id FROM {table} WHERE album_id = $1", key)
        assert [str(row[0]) for row in rows] == [bob.user_id]

    # The owner removes a member by id.
    await client.put(
        f"/albums/{album_id}/users", headers=alice.headers, json={"albumUsers": [{"userId": admin.user_id}]}
    )
    removed = await client.delete(f"/albums/{album_id}/user/{admin.user_id}", headers=alice.headers)
    assert removed.status_code == 204
    assert [u["user"]["id"] for u in (await _get(client, alice, album_id))["albumUsers"]] == [alice.user_id]


async def test_another_user_cannot_touch_the_album(client: httpx.AsyncClient) -> None:
    admin, alice, bob = await _people(client)
    asset = await upload_id(client, alice)
    bobs = await upload_id(client, bob, "bob.jpg")
    album = await _album(
        client, alice, assetIds=[asset], albumUsers=[{"userId": admin.user_id, "role": "viewer"}]
    )
    album_id = album["id"]

    assert (await client.get("/albums", headers=bob.headers)).json() == []
    assert (await client.get("/albums", headers=bob.headers, params={"assetId": asset})).json() == []
    assert (await client.get("/albums/statistics", headers=bob.headers)).json() == {
        "owned": 0,
        "shared": 0,
        "notShared": 0,
    }
    for method, path, body, permission in (
        ("GET", f"/albums/{album_id}", None, "album.read"),
        ("PATCH", f"/albums/{album_id}", {"albumName": "Mine now"}, "album.update"),
        ("DELETE", f"/albums/{album_id}", None, "album.delete"),
        ("PUT", f"/albums/{album_id}/assets", {"ids": [bobs]}, "albumAsset.create"),
        ("DELETE", f"/albums/{album_id}/assets", {"ids": [asset]}, "albumAsset.delete"),
        ("PUT", f"/albums/{album_id}/users", {"albumUsers": [{"userId": bob.user_id}]}, "album.share"),
        ("PUT", f"/albums/{album_id}/user/{admin.user_id}", {"role": "editor"}, "album.share"),
        ("DELETE", f"/albums/{album_id}/user/{admin.user_id}", None, "album.share"),
    ):
        _refused(await client.request(method, path, headers=bob.headers, json=body), permission)
    # Immich checks membership before access when the target is the caller or the owner.
    me = await client.delete(f"/albums/{album_id}/user/me", headers=bob.headers)
    assert me.json() == {"message": "Album not shared with user"}
    owner = await client.delete(f"/albums/{album_id}/user/{alice.user_id}", headers=bob.headers)
    assert owner.status_code == 400
    bulk = await client.put(
        "/albums/assets", headers=bob.headers, json={"albumIds": [album_id], "assetIds": [bobs]}
    )
    assert bulk.json() == {"success": False, "error": "no_permission"}

    # Nothing changed.
    after = await _get(client, alice, album_id)
    assert after["albumName"] == album["albumName"]
    assert after["assetCount"] == 1
    assert [u["user"]["id"] for u in after["albumUsers"]] == [alice.user_id, admin.user_id]
