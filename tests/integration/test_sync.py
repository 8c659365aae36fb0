"""The mobile sync stream, played as the v3 phone does: request every type, apply, ack the last line of
each run of one type, and ask again; the next stream must hold exactly what changed in between."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from datetime import timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from albumen.immich import dto
from albumen.kit.ids import uuid7, uuid7_at
from tests.support.assets import fake_jpeg, upload_id
from tests.support.jobs import settle
from tests.support.server import serving_on
from tests.support.users import LoggedIn, create_api_key, create_user, login, sign_up_admin

JSON_LINES = "application/jsonlines+json"
# What the v3 mobile app requests (server >= 3.0.0), in the app's own order.
PHONE_TYPES = [
    "AuthUsersV1",
    "UsersV1",
    "AssetsV2",
    "AssetExifsV1",
    "AssetEditsV1",
    "AssetMetadataV1",
    "PartnersV1",
    "PartnerAssetsV2",
    "PartnerAssetExifsV1",
    "AlbumsV2",
    "AlbumUsersV1",
    "AlbumAssetsV2",
    "AlbumAssetExifsV1",
    "AlbumToAssetsV1",
    "MemoriesV1",
    "MemoryToAssetsV1",
    "StacksV1",
    "PartnerStacksV1",
    "UserMetadataV1",
    "PeopleV1",
    "AssetFacesV2",
    "AssetOcrV1",
]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
ID_KEYS = ("albumId", "assetId", "userId", "id", "stackId", "sharedById", "sharedWithId")
# Line types whose data schema is not simply Sync<type> in the spec.
SCHEMA_OF = {
    "PartnerAssetV2": "SyncAssetV2",
    "PartnerAssetBackfillV2": "SyncAssetV2",
    "PartnerAssetDeleteV1": "SyncAssetDeleteV1",
    "PartnerAssetExifV1": "SyncAssetExifV1",
    "PartnerAssetExifBackfillV1": "SyncAssetExifV1",
    "PartnerStackV1": "SyncStackV1",
    "PartnerStackBackfillV1": "SyncStackV1",
    "PartnerStackDeleteV1": "SyncStackDeleteV1",
    "AlbumAssetCreateV2": "SyncAssetV2",
    "AlbumAssetUpdateV2": "SyncAssetV2",
    "AlbumAssetBackfillV2": "SyncAssetV2",
    "AlbumAssetExifCreateV1": "SyncAssetExifV1",
    "AlbumAssetExifUpdateV1": "SyncAssetExifV1",
    "AlbumAssetExifBackfillV1": "SyncAssetExifV1",
    "AlbumUserBackfillV1": "SyncAlbumUserV1",
    "AlbumToAssetBackfillV1": "SyncAlbumToAssetV1",
    "MemoryToAssetV1": "SyncMemoryAssetV1",
    "MemoryToAssetDeleteV1": "SyncMemoryAssetDeleteV1",
    "SyncAckV1": "SyncAckV1",
    "SyncResetV1": "SyncResetV1",
    "SyncCompleteV1": "SyncCompleteV1",
}


def _conforms(line: dict[str, Any]) -> None:
    """Each line's data has exactly the fields of its schema in the spec, with valid values."""
    model = getattr(dto, SCHEMA_OF.get(line["type"], f"Sync{line['type']}"))
    assert set(line["data"]) == set(model.model_fields), (
        line["type"],
        set(line["data"]) ^ set(model.model_fields),
    )
    model.model_validate(line["data"])


async def _sql(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def _stream(client: httpx.AsyncClient, who: LoggedIn, **body: Any) -> list[dict[str, Any]]:
    response = await client.post(
        "/sync/stream",
        headers={**who.headers, "Accept": JSON_LINES},
        json={"types": PHONE_TYPES, **body},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSON_LINES)
    assert response.text.endswith("\n")
    lines = [json.loads(line) for line in response.text.splitlines()]
    for line in lines:
        _conforms(line)
    return lines


async def _ack_like_the_phone(client: httpx.AsyncClient, who: LoggedIn, lines: list[dict[str, Any]]) -> None:
    """The app applies each run of same-type lines, then acks the run's last line."""
    acks = [list(run)[-1]["ack"] for _, run in groupby(lines, key=lambda line: line["type"])]
    response = await client.post("/sync/ack", headers=who.headers, json={"acks": acks})
    assert response.status_code == 204, response.text


def _summary(lines: list[dict[str, Any]], names: dict[str, str]) -> list[tuple[str, str]]:
    """(type, the names of the ids the line is about); SyncAckV1 lines show their ack with ids named."""
    found = []
    for line in lines:
        if line["type"] == "SyncAckV1":
            kind, *ids = line["ack"].split("|")
            found.append(("SyncAckV1", "|".join([kind, *(names.get(i, i) for i in ids)])))
            continue
        data = line["data"]
        found.append((line["type"], "/".join(names.get(str(data[k]), "?") for k in ID_KEYS if data.get(k))))
    return found


def _check_acks(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        if line["type"] in ("SyncAckV1", "SyncResetV1"):
            continue
        assert re.fullmatch(rf"{line['type']}\|{UUID}(\|{UUID})?", line["ack"]), line


async def test_a_phone_follows_changes_deletes_and_new_shares(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com", name="Alice")
    bob = await create_user(client, admin, "bob@example.com", name="Bob")
    a1, a2 = [await upload_id(client, alice, name) for name in ("a1.jpg", "a2.jpg")]
    b1, b2, b3 = [await upload_id(client, bob, name) for name in ("b1.jpg", "b2.jpg", "b3.jpg")]

    async def album(who: LoggedIn, name: str, assets: list[str], members: list[LoggedIn] = ()) -> str:  # type: ignore[assignment]
        body = {"albumName": name, "assetIds": assets}
        body["albumUsers"] = [{"userId": m.user_id, "role": "viewer"} for m in members]  # type: ignore[misc]
        response = await client.post("/albums", headers=who.headers, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    # Old comes first: its rows are older than what alice's phone acknowledges, so when she joins it
    # later they can only reach her as a backfill.
    old = await album(bob, "Old", [b2])
    mine = await album(alice, "Mine", [a1])
    temp = await album(alice, "Temp", [])
    shared = await album(bob, "Shared", [b1], [alice])
    gone = await album(bob, "Gone", [], [alice])
    # No partner API yet: bob shares his library with alice directly.
    await _sql(
        database_url,
        "INSERT INTO partner (shared_by_id, shared_with_id, create_id, update_id) VALUES ($1, $2, $3, $4)",
        uuid.UUID(bob.user_id),
        uuid.UUID(alice.user_id),
        uuid7(),
        uuid7(),
    )
    # Memories have their own API elsewhere: one showing a1 is written directly.
    memory = uuid.uuid4()
    await _sql(
        database_url,
        "INSERT INTO memory (id, owner_id, type, data, memory_at, update_id) "
        "VALUES ($1, $2, 'on_this_day', '{\"year\": 2024}', now(), $3)",
        memory, uuid.UUID(alice.user_id), uuid7(),
    )  # fmt: skip
    insert_memory_asset = "INSERT INTO memory_asset (memory_id, asset_id, update_id) VALUES ($1, $2, $3)"
    await _sql(database_url, insert_memory_asset, memory, uuid.UUID(a1), uuid7())
    await settle(app)
    names = {
        str(memory): "memory",
        admin.user_id: "admin", alice.user_id: "alice", bob.user_id: "bob",
        a1: "a1", a2: "a2", b1: "b1", b2: "b2", b3: "b3",
        mine: "Mine", temp: "Temp", shared: "Shared", gone: "Gone", old: "Old",
    }  # fmt: skip

    first = await _stream(client, alice)
    _check_acks(first)
    runs = [kind for kind, _ in groupby(line["type"] for line in first)]
    assert runs == [
        "AuthUserV1",
        "UserV1",
        "PartnerV1",
        "AssetV2",
        "PartnerAssetV2",
        "SyncAckV1",
        "AlbumAssetCreateV2",
        "AlbumV2",
        "AlbumUserV1",
        "AlbumToAssetV1",
        "AssetExifV1",
        "SyncAckV1",
        "AlbumAssetExifCreateV1",
        "PartnerAssetExifV1",
        "MemoryV1",
        "MemoryToAssetV1",
        "SyncCompleteV1",
    ]
    summary = _summary(first, names)
    assert sorted(s for t, s in summary if t == "AssetV2") == ["a1", "a2"]
    assert sorted(s for t, s in summary if t == "PartnerAssetV2") == ["b1", "b2", "b3"]
    assert sorted(s for t, s in summary if t == "AlbumAssetCreateV2") == ["a1", "b1"]
    assert sorted(s for t, s in summary if t == "AlbumV2") == ["Gone", "Mine", "Shared", "Temp"]
    assert sorted(s for t, s in summary if t == "AlbumUserV1") == [
        "Gone/alice", "Gone/bob", "Mine/alice", "Shared/alice", "Shared/bob", "Temp/alice",
    ]  # fmt: skip
    assert sorted(s for t, s in summary if t == "UserV1") == ["admin", "alice", "bob"]
    assert summary[0] == ("AuthUserV1", "alice")
    asset = next(line["data"] for line in first if line["type"] == "AssetV2" and line["data"]["id"] == a1)
    assert asset["checksum"] == base64.b64encode(hashlib.sha1(fake_jpeg("a1.jpg")).digest()).decode()
    assert asset["ownerId"] == alice.user_id
    assert asset["isFavorite"] is False
    assert asset["visibility"] == "timeline"
    assert asset["type"] == "IMAGE"
    assert asset["originalFileName"] == "a1.jpg"
    assert asset["fileCreatedAt"].startswith("2024-05-01T12:00:00")
    partner = next(line for line in first if line["type"] == "PartnerV1")
    assert partner["data"] == {"sharedById": bob.user_id, "sharedWithId": alice.user_id, "inTimeline": False}
    complete = first[-1]
    assert complete["data"] == {}
    assert re.fullmatch(rf"SyncCompleteV1\|{UUID}", complete["ack"])
    update_ack = next(line["ack"] for line in first if line["type"] == "SyncAckV1")
    assert update_ack == f"AlbumAssetUpdateV2|{complete['ack'].split('|')[1]}"

    await _ack_like_the_phone(client, alice, first)
    stored = {
        item["type"]: item["ack"] for item in (await client.get("/sync/ack", headers=alice.headers)).json()
    }
    assert stored["SyncCompleteV1"] == complete["ack"]
    assert stored["AlbumAssetUpdateV2"] == update_ack
    # Nothing to backfill on a first sync: the plain upserts carried everything, so it is marked done.
    memberships = "SELECT album_id, create_id FROM album_user WHERE user_id = $1"
    rows = await _sql(database_url, memberships, uuid.UUID(alice.user_id))
    membership = {str(row["album_id"]): str(row["create_id"]) for row in rows}
    assert stored["AlbumUserBackfillV1"] == f"AlbumUserBackfillV1|{max(membership.values())}|complete"
    time.sleep(0.005)  # the stream's bound is one millisecond in the past
    assert [line["type"] for line in await _stream(client, alice)] == ["SyncCompleteV1"]

    # -- what happens while the phone is away ---------------------------------------------------------
    put = await client.put(f"/assets/{a2}", headers=alice.headers, json={"isFavorite": True})
    assert put.status_code == 200, put.text
    gone_asset = await client.request(
        "DELETE", "/assets", headers=alice.headers, json={"ids": [a1], "force": True}
    )
    assert gone_asset.status_code == 204, gone_asset.text
    a3 = await upload_id(client, alice, "a3.jpg")
    names[a3] = "a3"
    assert (
        await client.put(f"/albums/{shared}/assets", headers=bob.headers, json={"ids": [b3]})
    ).status_code == 200
    assert (
        await client.patch(f"/albums/{shared}", headers=bob.headers, json={"albumName": "Shared!"})
    ).status_code == 200
    removed = await client.request(
        "DELETE", f"/albums/{shared}/assets", headers=bob.headers, json={"ids": [b1]}
    )
    assert removed.status_code == 200, removed.text
    assert (await client.delete(f"/albums/{temp}", headers=alice.headers)).status_code == 204
    assert (
        await client.delete(f"/albums/{gone}/user/{alice.user_id}", headers=bob.headers)
    ).status_code == 204
    joined = await client.put(
        f"/albums/{old}/users",
        headers=bob.headers,
        json={"albumUsers": [{"userId": alice.user_id, "role": "viewer"}]},
    )
    assert joined.status_code == 200, joined.text
    await settle(app)
    # Stacks have their own API elsewhere: a stack of a2 and a3 is written directly.
    stack = uuid.uuid4()
    names[str(stack)] = "stack"
    await _sql(
        database_url,
        "INSERT INTO stack (id, owner_id, primary_asset_id, update_id) VALUES ($1, $2, $3, $4)",
        stack, uuid.UUID(alice.user_id), uuid.UUID(a2), uuid7(),
    )  # fmt: skip
    for asset_id in (a2, a3):
        stacked = "UPDATE asset SET stack_id = $1, update_id = $2 WHERE id = $3"
        await _sql(database_url, stacked, stack, uuid7(), uuid.UUID(asset_id))
    time.sleep(0.005)

    second = await _stream(client, alice)
    _check_acks(second)
    now = second[-1]["ack"].split("|")[1]
    names[now] = "now"
    joined_old = "SELECT create_id FROM album_user WHERE album_id = $1 AND user_id = $2"
    membership_of_old = str(
        (await _sql(database_url, joined_old, uuid.UUID(old), uuid.UUID(alice.user_id)))[0][0]
    )
    names[membership_of_old] = "joinedOld"
    assert _summary(second, names) == [
        ("AuthUserV1", "alice"),
        ("UserV1", "alice"),
        ("AssetDeleteV1", "a1"),
        ("AssetV2", "a2/stack"),
        ("AssetV2", "a3/stack"),
        ("StackV1", "stack"),
        ("AlbumAssetBackfillV2", "b2"),
        ("SyncAckV1", "AlbumAssetBackfillV2|joinedOld|complete"),
        ("SyncAckV1", "AlbumAssetUpdateV2|now"),
        ("AlbumAssetCreateV2", "b3"),
        ("AlbumDeleteV1", "Temp"),
        ("AlbumDeleteV1", "Gone"),
        ("AlbumV2", "Mine"),
        ("AlbumV2", "Shared"),
        ("AlbumV2", "Old"),
        ("AlbumUserBackfillV1", "Old/bob"),
        ("SyncAckV1", "AlbumUserBackfillV1|joinedOld|complete"),
        ("AlbumUserV1", "Old/alice"),
        ("AlbumToAssetDeleteV1", "Mine/a1"),
        ("AlbumToAssetDeleteV1", "Shared/b1"),
        ("AlbumToAssetBackfillV1", "Old/b2"),
        ("SyncAckV1", "AlbumToAssetBackfillV1|joinedOld|complete"),
        ("AlbumToAssetV1", "Shared/b3"),
        ("AssetExifV1", "a3"),
        ("AlbumAssetExifBackfillV1", "b2"),
        ("SyncAckV1", "AlbumAssetExifBackfillV1|joinedOld|complete"),
        ("SyncAckV1", "AlbumAssetExifUpdateV1|now"),
        ("AlbumAssetExifCreateV1", "b3"),
        ("MemoryToAssetDeleteV1", "a1"),
        ("SyncCompleteV1", ""),
    ]
    backfill = next(line for line in second if line["type"] == "AlbumUserBackfillV1")
    assert re.fullmatch(rf"AlbumUserBackfillV1\|{membership_of_old}\|{UUID}", backfill["ack"])
    assert next(line for line in second if line["type"] == "AssetV2")["data"]["isFavorite"] is True
    renamed = next(
        line["data"] for line in second if line["type"] == "AlbumV2" and line["data"]["id"] == shared
    )
    assert renamed["name"] == "Shared!"

    await _ack_like_the_phone(client, alice, second)
    time.sleep(0.005)
    # Two backfill-complete acks sat in a run with another SyncAckV1, so the phone acked only the run's
    # last: those backfills resume after their last row, find nothing more, and say complete again.
    third = await _stream(client, alice)
    assert _summary(third, names)[:-1] == [
        ("SyncAckV1", "AlbumAssetBackfillV2|joinedOld|complete"),
        ("SyncAckV1", "AlbumAssetExifBackfillV1|joinedOld|complete"),
    ]
    for line in third[:-1]:
        await _ack_like_the_phone(client, alice, [line])
    await _ack_like_the_phone(client, alice, third[-1:])
    time.sleep(0.005)
    assert [line["type"] for line in await _stream(client, alice)] == ["SyncCompleteV1"]


async def _share_library(database_url: str, owner: LoggedIn, viewer: LoggedIn) -> uuid.UUID:
    """No partner API yet: the partnership is written directly; returns its create id."""
    create_id = uuid7()
    await _sql(
        database_url,
        "INSERT INTO partner (shared_by_id, shared_with_id, create_id, update_id) VALUES ($1, $2, $3, $4)",
        uuid.UUID(owner.user_id), uuid.UUID(viewer.user_id), create_id, uuid7(),
    )  # fmt: skip
    return create_id


async def test_partner_added_later_is_backfilled(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com")
    bob = await create_user(client, admin, "bob@example.com")
    carol = await create_user(client, admin, "carol@example.com")
    types = ["PartnersV1", "PartnerAssetsV2", "PartnerAssetExifsV1"]
    older = await upload_id(client, bob, "older.jpg")
    await settle(app)
    carols = await upload_id(client, carol, "carol.jpg")
    await settle(app)
    carol_partner = await _share_library(database_url, carol, alice)
    time.sleep(0.005)
    first = await _stream(client, alice, types=types)
    names = {
        older: "older",
        carols: "carols",
        bob.user_id: "bob",
        alice.user_id: "alice",
        carol.user_id: "carol",
    }
    names[str(carol_partner)] = "carolPartner"
    assert _summary(first, names) == [
        ("PartnerV1", "carol/alice"),
        ("PartnerAssetV2", "carols"),
        ("PartnerAssetExifV1", "carols"),
        ("SyncCompleteV1", ""),
    ]
    await _ack_like_the_phone(client, alice, first)

    # Bob's photo is older than what the phone acknowledged: only a backfill can bring it.
    bob_partner = await _share_library(database_url, bob, alice)
    names[str(bob_partner)] = "bobPartner"
    newer = await upload_id(client, bob, "newer.jpg")
    names[newer] = "newer"
    await settle(app)
    time.sleep(0.005)
    second = await _stream(client, alice, types=types)
    assert _summary(second, names) == [
        ("PartnerV1", "bob/alice"),
        ("PartnerAssetBackfillV2", "older"),
        ("SyncAckV1", "PartnerAssetBackfillV2|bobPartner|complete"),
        ("PartnerAssetV2", "newer"),
        ("PartnerAssetExifBackfillV1", "older"),
        ("SyncAckV1", "PartnerAssetExifBackfillV1|bobPartner|complete"),
        ("PartnerAssetExifV1", "newer"),
        ("SyncCompleteV1", ""),
    ]
    assert second[1]["data"]["isFavorite"] is False
    assert second[1]["data"]["ownerId"] == bob.user_id
    assert re.fullmatch(rf"PartnerAssetBackfillV2\|{bob_partner}\|{UUID}", second[1]["ack"])
    # A stream cut short after the backfilled row: the next one resumes after it.
    await _ack_like_the_phone(client, alice, second[:2])
    again = await _stream(client, alice, types=["PartnerAssetsV2"])
    assert _summary(again, names) == [
        ("SyncAckV1", "PartnerAssetBackfillV2|bobPartner|complete"),
        ("PartnerAssetV2", "newer"),
        ("SyncCompleteV1", ""),
    ]


async def test_resets(client: httpx.AsyncClient, app: Any, database_url: str) -> None:
    admin = await sign_up_admin(client)
    await upload_id(client, admin, "one.jpg")
    await settle(app)
    first = await _stream(client, admin, types=["AssetsV2"])
    await _ack_like_the_phone(client, admin, first)
    time.sleep(0.005)
    assert [line["type"] for line in await _stream(client, admin, types=["AssetsV2"])] == ["SyncCompleteV1"]

    # reset: true starts over with everything (no SyncResetV1 line: the client asked for it).
    assert [line["type"] for line in await _stream(client, admin, types=["AssetsV2"], reset=True)] == [
        "AssetV2",
        "SyncCompleteV1",
    ]
    assert (await client.get("/sync/ack", headers=admin.headers)).json() == []
    await _ack_like_the_phone(client, admin, first)

    # A reset the server asks for: one line, until the phone acks it; then everything again.
    await _sql(
        database_url,
        "UPDATE session SET is_pending_sync_reset = true WHERE user_id = $1",
        uuid.UUID(admin.user_id),
    )
    pending = await _stream(client, admin, types=["AssetsV2"])
    assert pending == [{"type": "SyncResetV1", "data": {}, "ack": "SyncResetV1|reset"}]
    assert await _stream(client, admin, types=["AssetsV2"]) == pending
    await _ack_like_the_phone(client, admin, pending)
    assert (await client.get("/sync/ack", headers=admin.headers)).json() == []
    assert [line["type"] for line in await _stream(client, admin, types=["AssetsV2"])] == [
        "AssetV2",
        "SyncCompleteV1",
    ]

    # A checkpoint older than 30 days: the audit rows it would need may be gone, so start over.
    stale = uuid7_at(int((time.time() - 31 * 86400) * 1000))
    fresh = uuid7_at(int((time.time() - 29 * 86400) * 1000))
    await client.post("/sync/ack", headers=admin.headers, json={"acks": [f"SyncCompleteV1|{fresh}"]})
    assert (await _stream(client, admin, types=["AssetsV2"]))[-1]["type"] == "SyncCompleteV1"
    await client.post("/sync/ack", headers=admin.headers, json={"acks": [f"SyncCompleteV1|{stale}"]})
    assert await _stream(client, admin, types=["AssetsV2"]) == pending

    # Checkpoints are per session: another login of the same user starts from nothing.
    other = await login(client, admin.email, "admin-password")
    assert (await client.get("/sync/ack", headers=other.headers)).json() == []
    deleted = await client.request(
        "DELETE", "/sync/ack", headers=admin.headers, json={"types": ["SyncCompleteV1"]}
    )
    assert deleted.status_code == 204
    assert (await client.get("/sync/ack", headers=admin.headers)).json() == []


async def test_refusals(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    key = await create_api_key(client, admin, ["all"])
    with_key = {"x-api-key": key}
    calls = [
        client.post("/sync/stream", headers=with_key, json={"types": ["AssetsV2"]}),
        client.get("/sync/ack", headers=with_key),
        client.post("/sync/ack", headers=with_key, json={"acks": []}),
        client.request("DELETE", "/sync/ack", headers=with_key, json={}),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 403, response.text
        assert response.json()["message"] == "Sync endpoints cannot be used with API keys"

    h = admin.headers
    deprecated = await client.post("/sync/stream", headers=h, json={"types": ["AssetsV2", "AssetsV1"]})
    assert deprecated.status_code == 400
    assert deprecated.json()["message"] == (
        "SyncRequestType.AssetsV1 is deprecated, use SyncRequestType.AssetsV2 instead"
    )
    for body in ({"types": ["NoSuchV1"]}, {"types": "AssetsV2"}, {}, {"types": ["AssetsV2"], "reset": "x"}):
        assert (await client.post("/sync/stream", headers=h, json=body)).status_code == 400, body
    ack = f"AssetV2|{uuid7()}"
    too_many = await client.post("/sync/ack", headers=h, json={"acks": [ack] * 1001})
    assert too_many.status_code == 400
    assert (await client.post("/sync/ack", headers=h, json={"acks": [ack] * 1000})).status_code == 204
    for bad in ("NoSuchV1|" + str(uuid7()), "AssetV2|not-an-id", "AssetV2", f"AssetV2|{uuid7()}|x"):
        response = await client.post("/sync/ack", headers=h, json={"acks": [bad]})
        assert response.status_code == 400, (bad, response.text)
    assert (
        await client.request("DELETE", "/sync/ack", headers=h, json={"types": ["Nope"]})
    ).status_code == 400
    # Refused acks stored nothing; the accepted one is there.
    assert (await client.get("/sync/ack", headers=h)).json() == [{"type": "AssetV2", "ack": ack}]


def test_a_raw_http_client_reads_the_stream_line_by_line(postgres_url: str, tmp_path: Path) -> None:
    # No job workers: a pipeline job touching an asset after the stream's cut-off would (rightly) move
    # it to the next stream, and this test counts the assets of one.
    no_workers = {"ALBUMEN_JOB_WORKERS": "false"}
    with (
        serving_on(postgres_url, tmp_path / "data", no_workers) as server,
        httpx.Client(base_url=server.api) as http,
    ):
        signed_up = http.post(
            "/auth/admin-sign-up", json={"email": "a@example.com", "password": "pw", "name": "A"}
        )
        assert signed_up.status_code == 201
        token = http.post("/auth/login", json={"email": "a@example.com", "password": "pw"}).json()[
            "accessToken"
        ]
        headers = {"Authorization": f"Bearer {token}", "Accept": JSON_LINES}
        for index in range(3):
            files = {"assetData": (f"{index}.jpg", fake_jpeg(index), "application/octet-stream")}
            data = {"fileCreatedAt": "2024-05-01T12:00:00.000Z", "fileModifiedAt": "2024-05-01T12:00:00.000Z"}
            assert http.post("/assets", headers=headers, files=files, data=data).status_code == 201
        time.sleep(0.005)
        types = []
        with http.stream("POST", "/sync/stream", headers=headers, json={"types": PHONE_TYPES}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith(JSON_LINES)
            for raw in response.iter_lines():
                types.append(json.loads(raw)["type"])
        assert types.count("AssetV2") == 3
        assert types[0] == "AuthUserV1"
        assert types[-1] == "SyncCompleteV1"


async def test_audit_rows_are_pruned_after_31_days(app: Any, database_url: str) -> None:
    from albumen.jobs.schemas import JobName
    from albumen.sync.tasks import prune_audit_tables

    container = app.state.container
    assert container.jobs.has_handler(JobName.AuditTableCleanup)
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    insert = "INSERT INTO asset_audit (id, asset_id, owner_id, deleted_at) "
    insert += "VALUES ($1, $2, $3, now() - $4::interval)"
    await _sql(database_url, insert, uuid7(), kept, uuid.uuid4(), timedelta(days=30))
    await _sql(database_url, insert, uuid7(), dropped, uuid.uuid4(), timedelta(days=32))
    old_user = "INSERT INTO user_audit (id, user_id, deleted_at) VALUES ($1, $2, now() - interval '40 days')"
    await _sql(database_url, old_user, uuid7(), uuid.uuid4())
    assert await prune_audit_tables(container.database) == 2
    assert [row["asset_id"] for row in await _sql(database_url, "SELECT asset_id FROM asset_audit")] == [kept]
    assert await _sql(database_url, "SELECT id FROM user_audit") == []


async def test_rows_of_other_features_stream_as_their_schemas(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    """People, faces, OCR, memories, edits, metadata: built elsewhere; whatever rows exist stream."""
    admin = await sign_up_admin(client)
    photo = await upload_id(client, admin, "photo.jpg")
    await settle(app)
    owner, asset = uuid.UUID(admin.user_id), uuid.UUID(photo)
    person, face, memory = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    statements = [
        ("INSERT INTO person (id, owner_id, name, birth_date, update_id) "
         "VALUES ($1, $2, 'Ann', '1990-02-03', $3)", person, owner, uuid7()),
        ("INSERT INTO asset_face (id, asset_id, person_id, bounding_box_x2, update_id) "
         "VALUES ($1, $2, $3, 10, $4)", face, asset, person, uuid7()),
        ("INSERT INTO asset_ocr (asset_id, x1, y1, x2, y2, x3, y3, x4, y4, box_score, text_score, text, "
         "update_id) VALUES ($1, 0, 0, 1, 0, 1, 1, 0, 1, 0.9, 0.8, 'EXIT', $2)", asset, uuid7()),
        ("INSERT INTO asset_edit (asset_id, action, parameters, sequence, update_id) "
         "VALUES ($1, 'rotate', '{\"angle\": 90}', 0, $2)", asset, uuid7()),
        ("INSERT INTO memory (id, owner_id, type, data, memory_at, update_id) "
         "VALUES ($1, $2, 'on_this_day', '{\"year\": 2020}', now(), $3)", memory, owner, uuid7()),
        ("INSERT INTO memory_asset (memory_id, asset_id, update_id) VALUES ($1, $2, $3)",
         memory, asset, uuid7()),
    ]  # fmt: skip
    for statement, *args in statements:
        await _sql(database_url, statement, *args)
    put = await client.put(
        f"/assets/{photo}/metadata",
        headers=admin.headers,
        json={"items": [{"key": "mobile-app", "value": {"a": 1}}]},
    )
    assert put.status_code == 200, put.text
    time.sleep(0.005)
    lines = await _stream(client, admin, types=PHONE_TYPES)
    by_type = {line["type"]: line["data"] for line in lines}
    assert by_type["PersonV1"]["name"] == "Ann"
    assert by_type["PersonV1"]["birthDate"] == "1990-02-03T00:00:00+00:00"
    assert by_type["AssetFaceV2"]["personId"] == str(person)
    assert by_type["AssetFaceV2"]["boundingBoxX2"] == 10
    assert by_type["AssetOcrV1"]["text"] == "EXIT"
    assert by_type["AssetEditV1"]["parameters"] == {"angle": 90}
    assert by_type["MemoryV1"]["data"] == {"year": 2020}
    assert by_type["MemoryToAssetV1"] == {"memoryId": str(memory), "assetId": photo}
    assert by_type["AssetMetadataV1"] == {"assetId": photo, "key": "mobile-app", "value": {"a": 1}}
    await _ack_like_the_phone(client, admin, lines)

    # Changing a metadata value is an upsert again; deleting it is reported from its audit row.
    changed = await client.put(
        f"/assets/{photo}/metadata",
        headers=admin.headers,
        json={"items": [{"key": "mobile-app", "value": {"a": 2}}]},
    )
    assert changed.status_code == 200, changed.text
    time.sleep(0.005)
    again = await _stream(client, admin, types=["AssetMetadataV1"])
    assert [(line["type"], line["data"].get("value")) for line in again] == [
        ("AssetMetadataV1", {"a": 2}),
        ("SyncCompleteV1", None),
    ]
    await _ack_like_the_phone(client, admin, again)
    removed = await client.delete(f"/assets/{photo}/metadata/mobile-app", headers=admin.headers)
    assert removed.status_code == 204, removed.text
    time.sleep(0.005)
    gone = await _stream(client, admin, types=["AssetMetadataV1"])
    assert [(line["type"], line["data"]) for line in gone[:-1]] == [
        ("AssetMetadataDeleteV1", {"assetId": photo, "key": "mobile-app"})
    ]


async def test_albums_v1_still_carries_the_owner(client: httpx.AsyncClient) -> None:
    """AlbumsV1 is not what the v3 app asks for, but Immich 3.1 still answers it; so does Albumen."""
    admin = await sign_up_admin(client)
    album = await client.post("/albums", headers=admin.headers, json={"albumName": "Old style"})
    assert album.status_code == 201, album.text
    lines = await _stream(client, admin, types=["AlbumsV1"])
    assert [line["type"] for line in lines] == ["AlbumV1", "SyncCompleteV1"]
    assert lines[0]["data"]["ownerId"] == admin.user_id
    assert lines[0]["data"]["name"] == "Old style"


async def test_a_purged_user_leaves_deletes_for_the_others(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com")
    bob = await create_user(client, admin, "bob@example.com")
    bobs = await upload_id(client, bob, "bob.jpg")
    mine = await client.post("/albums", headers=alice.headers, json={"albumName": "Mine"})
    shared = await client.post(
        "/albums",
        headers=bob.headers,
        json={
            "albumName": "Bob's",
            "assetIds": [bobs],
            "albumUsers": [{"userId": alice.user_id, "role": "viewer"}],
        },
    )
    assert shared.status_code == 201, shared.text
    joined = await client.put(
        f"/albums/{mine.json()['id']}/users",
        headers=alice.headers,
        json={"albumUsers": [{"userId": bob.user_id, "role": "editor"}]},
    )
    assert joined.status_code == 200, joined.text
    await _share_library(database_url, bob, alice)
    await settle(app)
    types = ["UsersV1", "PartnersV1", "PartnerAssetsV2", "AlbumsV2", "AlbumUsersV1", "AlbumToAssetsV1"]
    first = await _stream(client, alice, types=types)
    await _ack_like_the_phone(client, alice, first)

    purged = await client.request(
        "DELETE", f"/admin/users/{bob.user_id}", headers=admin.headers, json={"force": True}
    )
    assert purged.status_code == 200, purged.text
    await settle(app)
    time.sleep(0.005)
    names = {bob.user_id: "bob", alice.user_id: "alice", bobs: "bobs", shared.json()["id"]: "Bob's"}
    names[mine.json()["id"]] = "Mine"
    after = await _stream(client, alice, types=types)
    summary = _summary(after, names)
    # Bob, his partnership, his album and his place in alice's album are gone for her phone (his
    # photo too, but the partnership went with him: it is no longer hers to hear about).
    assert summary == [
        ("UserDeleteV1", "bob"),
        ("PartnerDeleteV1", "bob/alice"),
        ("AlbumDeleteV1", "Bob's"),
        ("AlbumUserDeleteV1", "Mine/bob"),
        ("SyncCompleteV1", ""),
    ]
