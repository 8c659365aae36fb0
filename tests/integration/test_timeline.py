"""The web timeline (CONTRACT.md §4) over a small hand-built library, every field checked by hand.

Alice owns most assets; Bob shares his library with Alice (partner, shown in her timeline); Carol
shares an album with Alice. Assets are inserted as rows (exact dates, sizes, thumbhashes) rather than
uploaded, so each expected value below can be worked out from the table in `library`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from albumen.kit.db import Database, create_engine
from albumen.models import AlbumAsset, Asset, AssetExif, AssetFace, Partner, Person, Stack, TagAsset
from albumen.tags.repository import TagRepository
from albumen.timeline.service import PARTNERS_REFUSED
from tests.support.assets import upload_id
from tests.support.users import LoggedIn, create_user, sign_up_admin

BUCKET_KEYS = {
    "id", "ownerId", "ratio", "isFavorite", "visibility", "isTrashed", "isImage", "thumbhash", "createdAt",
    "fileCreatedAt", "localOffsetHours", "duration", "projectionType", "livePhotoVideoId", "city",
    "country", "status",
}  # fmt: skip


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Library:
    alice: LoggedIn
    bob: LoggedIn
    carol: LoggedIn
    ids: dict[str, str]
    album_id: str
    stack_id: str
    tag_id: str
    parent_tag_id: str
    person_id: str


async def _asset(db: Any, owner: LoggedIn, name: str, **values: Any) -> Asset:
    local = utc(values.pop("local"))
    offset = values.pop("offset_hours", 0)
    exif = values.pop("exif", {})
    asset = Asset(
        owner_id=uuid.UUID(owner.user_id),
        type=values.pop("type", "IMAGE"),
        original_path=values.pop("path", f"/library/{owner.email}/{name}.jpg"),
        original_file_name=f"{name}.jpg",
        file_created_at=local - timedelta(hours=offset),
        file_modified_at=local,
        local_date_time=local,
        checksum=name.encode(),
        created_at=utc(values.pop("created", "2025-01-15T10:00:00")),
        **values,
    )
    db.add(asset)
    await db.flush()
    db.add(AssetExif(asset_id=asset.id, **exif))
    return asset


@pytest.fixture
async def library(client: httpx.AsyncClient, database_url: str) -> Library:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com")
    bob = await create_user(client, admin, "bob@example.com")
    carol = await create_user(client, admin, "carol@example.com")
    database = Database(create_engine(database_url, pool_size=1))
    ids: dict[str, str] = {}
    try:
        async with database.unit_of_work() as db:
            made = {
                # In May's bucket: local 10:00 on the 10th, taken at UTC+2.
                "a1": await _asset(
                    db,
                    alice,
                    "a1",
                    local="2024-05-10T10:00:00",
                    offset_hours=2,
                    width=4000,
                    height=3000,
                    is_favorite=True,
                    thumbhash=b"\x01\x02\x03",
                    path="/library/alice/2024/a1.jpg",
                    exif={"city": "Paris", "country": "France", "latitude": 48.8566, "longitude": 2.3522},
                ),
                # A video taken at UTC+5:30, no size known.
                "a2": await _asset(
                    db,
                    alice,
                    "a2",
                    type="VIDEO",
                    local="2024-05-21T05:00:00",
                    offset_hours=5.5,
                    duration=12345,
                    path="/library/alice/2024/b2.mp4",
                    exif={"projection_type": "EQUIRECTANGULAR"},
                ),
                "a3": await _asset(
                    db,
                    alice,
                    "a3",
                    local="2024-04-02T12:00:00",
                    width=3000,
                    height=4000,
                    visibility="archive",
                    created="2025-02-01T00:00:00",
                ),
                "a4": await _asset(db, alice, "a4", local="2024-05-15T12:00:00", visibility="hidden"),
                "a5": await _asset(
                    db,
                    alice,
                    "a5",
                    local="2024-05-12T12:00:00",
                    deleted_at=utc("2025-03-01T00:00:00"),
                    status="trashed",
                ),
                "a6": await _asset(db, alice, "a6", local="2024-03-01T12:00:00", visibility="locked"),
                # Same day as a1, an hour later; zero width: ratio 1.
                "a7": await _asset(
                    db,
                    alice,
                    "a7",
                    local="2024-05-10T11:00:00",
                    offset_hours=2,
                    width=0,
                    height=100,
                    path="/library/alice/2024/05/a7.jpg",
                ),
                # Taken on May 31st in UTC, but June 1st where it was taken: June's bucket.
                "a9": await _asset(db, alice, "a9", local="2024-06-01T07:00:00", offset_hours=9),
                "b1": await _asset(db, bob, "b1", local="2024-05-11T12:00:00", is_favorite=True),
                "b2": await _asset(db, bob, "b2", local="2024-05-01T12:00:00", visibility="archive"),
                "c1": await _asset(db, carol, "c1", local="2024-05-05T12:00:00", is_favorite=True),
                "c2": await _asset(db, carol, "c2", local="2024-06-01T12:00:00"),
            }
            ids = {name: str(asset.id) for name, asset in made.items()}
            stack = Stack(owner_id=made["a1"].owner_id, primary_asset_id=made["a1"].id)
            db.add(stack)
            await db.flush()
            made["a1"].stack_id = made["a7"].stack_id = stack.id
            db.add(Partner(shared_by_id=uuid.UUID(bob.user_id), shared_with_id=uuid.UUID(alice.user_id),
                           in_timeline=True))  # fmt: skip
            parent_tag_id = await TagRepository(db).upsert_path(uuid.UUID(alice.user_id), "Trips")
            tag_id = await TagRepository(db).upsert_path(uuid.UUID(alice.user_id), "Trips/Paris")
            db.add(TagAsset(asset_id=made["a1"].id, tag_id=tag_id))
            person = Person(owner_id=uuid.UUID(alice.user_id), name="Marie")
            db.add(person)
            await db.flush()
            db.add(AssetFace(asset_id=made["a2"].id, person_id=person.id))
            stack_id, person_id = str(stack.id), str(person.id)
    finally:
        await database.dispose()
    album = await client.post(
        "/albums",
        headers=carol.headers,
        json={"albumName": "Shared", "albumUsers": [{"userId": alice.user_id, "role": "viewer"}]},
    )
    assert album.status_code == 201, album.text
    album_id = album.json()["id"]
    database = Database(create_engine(database_url, pool_size=1))
    try:
        async with database.unit_of_work() as db:
            db.add(AlbumAsset(album_id=uuid.UUID(album_id), asset_id=uuid.UUID(ids["c1"])))
    finally:
        await database.dispose()
    return Library(alice, bob, carol, ids, album_id, stack_id, str(tag_id), str(parent_tag_id), person_id)


async def _buckets(client: httpx.AsyncClient, who: LoggedIn, **query: Any) -> httpx.Response:
    return await client.get("/timeline/buckets", headers=who.headers, params=_params(query))


async def _bucket(client: httpx.AsyncClient, who: LoggedIn, month: str, **query: Any) -> httpx.Response:
    return await client.get(
        "/timeline/bucket", headers=who.headers, params={"timeBucket": month, **_params(query)}
    )


def _params(query: dict[str, Any]) -> dict[str, str]:
    return {
        key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in query.items()
    }


async def _ok(response: Any) -> Any:
    result = await response
    assert result.status_code == 200, result.text
    assert result.headers["content-type"].startswith("application/json")
    return result.json()


def _names(lib: Library, body: dict[str, Any]) -> list[str]:
    by_id = {asset_id: name for name, asset_id in lib.ids.items()}
    return [by_id[asset_id] for asset_id in body["id"]]


async def test_buckets_group_by_local_month_with_default_visibility(
    client: httpx.AsyncClient, library: Library
) -> None:
    alice = library.alice
    # a1, a2, a7 in May; a9 in June (local date); the archived a3 in April. Hidden, trashed, locked
    # and other users' assets are not counted.
    expected = [
        {"timeBucket": "2024-06-01", "count": 1},
        {"timeBucket": "2024-05-01", "count": 3},
        {"timeBucket": "2024-04-01", "count": 1},
    ]
    assert await _ok(_buckets(client, alice)) == expected
    assert await _ok(_buckets(client, alice, order="asc")) == expected[::-1]
    assert await _ok(_buckets(client, alice, visibility="timeline")) == expected[:2]
    assert await _ok(_buckets(client, alice, visibility="archive")) == [
        {"timeBucket": "2024-04-01", "count": 1}
    ]
    assert await _ok(_buckets(client, alice, visibility="hidden")) == [
        {"timeBucket": "2024-05-01", "count": 1}
    ]
    assert await _ok(_buckets(client, alice, isTrashed=True)) == [{"timeBucket": "2024-05-01", "count": 1}]
    assert await _ok(_buckets(client, alice, isFavorite=True)) == [{"timeBucket": "2024-05-01", "count": 1}]
    assert await _ok(_buckets(client, alice, isFavorite=False, visibility="timeline")) == [
        {"timeBucket": "2024-06-01", "count": 1},
        {"timeBucket": "2024-05-01", "count": 2},
    ]
    # By upload time instead: a3 was added in February 2025, the rest in January.
    assert await _ok(_buckets(client, alice, orderBy="createdAt")) == [
        {"timeBucket": "2025-02-01", "count": 1},
        {"timeBucket": "2025-01-01", "count": 4},
    ]
    # Stacks: a7 is behind its primary a1.
    assert await _ok(_buckets(client, alice, visibility="timeline", withStacked=True)) == [
        {"timeBucket": "2024-06-01", "count": 1},
        {"timeBucket": "2024-05-01", "count": 2},
    ]
    assert await _ok(_buckets(client, alice, tagId=library.tag_id)) == [
        {"timeBucket": "2024-05-01", "count": 1}
    ]
    assert await _ok(_buckets(client, alice, personId=library.person_id)) == [
        {"timeBucket": "2024-05-01", "count": 1}
    ]
    assert await _ok(_buckets(client, alice, bbox="2,48,3,49")) == [{"timeBucket": "2024-05-01", "count": 1}]
    assert await _ok(_buckets(client, alice, bbox="170,48,3,49")) == [
        {"timeBucket": "2024-05-01", "count": 1}
    ]
    assert await _ok(_buckets(client, alice, bbox="3,48,4,49")) == []


async def test_bucket_fields_by_hand(client: httpx.AsyncClient, library: Library) -> None:
    alice, ids = library.alice, library.ids
    body = await _ok(_bucket(client, alice, "2024-05-01", visibility="timeline"))
    assert set(body) == BUCKET_KEYS
    # Newest day first, then newest file time: a2 (21st), a7 (10th 09:00 UTC), a1 (10th 08:00 UTC).
    assert body == {
        "id": [ids["a2"], ids["a7"], ids["a1"]],
        "ownerId": [alice.user_id] * 3,
        "ratio": [1, 1, 1.333],
        "isFavorite": [False, False, True],
        "visibility": ["timeline"] * 3,
        "isTrashed": [False] * 3,
        "isImage": [False, True, True],
        "thumbhash": [None, None, "AQID"],
        "createdAt": ["2025-01-15T10:00:00"] * 3,
        "fileCreatedAt": ["2024-05-20T23:30:00", "2024-05-10T09:00:00", "2024-05-10T08:00:00"],
        "localOffsetHours": [5.5, 2, 2],
        "duration": [12345, None, None],
        "projectionType": ["EQUIRECTANGULAR", None, None],
        "livePhotoVideoId": [None, None, None],
        "city": [None, None, "Paris"],
        "country": [None, None, "France"],
        "status": ["active"] * 3,
    }
    ascending = await _ok(_bucket(client, alice, "2024-05-01", visibility="timeline", order="asc"))
    assert _names(library, ascending) == ["a1", "a7", "a2"]
    # The leading sign Immich allows, and a full timestamp of the month's start, name the same month.
    assert (await _ok(_bucket(client, alice, "+2024-05-01T00:00:00.000Z", visibility="timeline")))[
        "id"
    ] == body["id"]
    # The default visibility adds nothing in May (a3 is April's); June holds a9 by its local date.
    assert _names(library, await _ok(_bucket(client, alice, "2024-06-01"))) == ["a9"]
    assert _names(library, await _ok(_bucket(client, alice, "2024-04-01"))) == ["a3"]


async def test_bucket_options(client: httpx.AsyncClient, library: Library) -> None:
    alice = library.alice
    stacked = await _ok(_bucket(client, alice, "2024-05-01", visibility="timeline", withStacked=True))
    assert _names(library, stacked) == ["a2", "a1"]
    assert stacked["stack"] == [None, [library.stack_id, "2"]]
    located = await _ok(_bucket(client, alice, "2024-05-01", visibility="timeline", withCoordinates=True))
    assert set(located) == BUCKET_KEYS | {"latitude", "longitude"}
    assert located["latitude"] == [None, None, 48.8566]
    assert located["longitude"] == [None, None, 2.3522]
    hidden = await _ok(_bucket(client, alice, "2024-05-01", visibility="hidden"))
    assert _names(library, hidden) == ["a4"]
    trashed = await _ok(_bucket(client, alice, "2024-05-01", isTrashed=True))
    assert _names(library, trashed) == ["a5"]
    assert trashed["isTrashed"] == [True]
    assert trashed["status"] == ["trashed"]
    by_upload = await _ok(_bucket(client, alice, "2025-02-01", orderBy="createdAt"))
    assert _names(library, by_upload) == ["a3"]
    assert by_upload["visibility"] == ["archive"]
    assert by_upload["ratio"] == [0.75]
    tagged = await _ok(_bucket(client, alice, "2024-05-01", tagId=library.tag_id))
    assert _names(library, tagged) == ["a1"]
    parent_tag = await _ok(_buckets(client, alice, tagId=library.parent_tag_id))
    assert parent_tag == [{"timeBucket": "2024-05-01", "count": 1}]  # a tag covers its children's assets
    person = await _ok(_bucket(client, alice, "2024-05-01", personId=library.person_id))
    assert _names(library, person) == ["a2"]
    boxed = await _ok(_bucket(client, alice, "2024-05-01", bbox="2,48,3,49"))
    assert _names(library, boxed) == ["a1"]


async def test_empty_bucket(client: httpx.AsyncClient, library: Library) -> None:
    empty = await _ok(_bucket(client, library.alice, "2000-01-01"))
    assert empty == {key: [] for key in BUCKET_KEYS}
    stacked = await _ok(_bucket(client, library.alice, "2000-01-01", withStacked=True, withCoordinates=True))
    assert stacked == {key: [] for key in BUCKET_KEYS | {"stack", "latitude", "longitude"}}
    # Not a month's start: no asset's month equals it, as in Immich.
    assert (await _ok(_bucket(client, library.alice, "2024-05-10")))["id"] == []


async def test_partner_and_album_timelines(client: httpx.AsyncClient, library: Library) -> None:
    alice, bob, carol, ids = library.alice, library.bob, library.carol, library.ids
    merged = await _ok(_bucket(client, alice, "2024-05-01", visibility="timeline", withPartners=True))
    assert _names(library, merged) == ["a2", "b1", "a7", "a1"]
    # Bob's favourite is his: false for Alice.
    assert merged["isFavorite"] == [False, False, False, True]
    assert merged["ownerId"] == [alice.user_id, bob.user_id, alice.user_id, alice.user_id]
    # A partner's timeline by user id (Immich's default visibility includes the archive here).
    assert await _ok(_buckets(client, alice, userId=bob.user_id, visibility="timeline")) == [
        {"timeBucket": "2024-05-01", "count": 1}
    ]
    assert _names(library, await _ok(_bucket(client, alice, "2024-05-01", userId=bob.user_id))) == [
        "b1",
        "b2",
    ]
    # Carol does not share with Alice; Alice does not share with Bob.
    refused = await _buckets(client, alice, userId=carol.user_id)
    assert (refused.status_code, refused.json()) == (400, {"message": "Not found or no timeline.read access"})
    refused = await _buckets(client, bob, userId=alice.user_id)
    assert (refused.status_code, refused.json()) == (400, {"message": "Not found or no timeline.read access"})
    archive = await _buckets(client, alice, userId=bob.user_id, visibility="archive")
    assert (archive.status_code, archive.json()) == (400, {"message": "Not found or no archive.read access"})

    album = await _ok(_bucket(client, alice, "2024-05-01", albumId=library.album_id))
    assert album["id"] == [ids["c1"]]
    assert album["isFavorite"] == [False]
    assert (await _ok(_bucket(client, carol, "2024-05-01", albumId=library.album_id)))["isFavorite"] == [True]
    assert await _ok(_buckets(client, alice, albumId=library.album_id)) == [
        {"timeBucket": "2024-05-01", "count": 1}
    ]
    outsider = await _bucket(client, bob, "2024-05-01", albumId=library.album_id)
    assert (outsider.status_code, outsider.json()) == (400, {"message": "Not found or no album.read access"})
    # Album plus user: only that user's assets in the album.
    assert await _ok(_buckets(client, alice, albumId=library.album_id, userId=alice.user_id)) == []


async def test_with_partners_refusals(client: httpx.AsyncClient, library: Library) -> None:
    for query in (
        {},
        {"visibility": "archive"},
        {"visibility": "timeline", "isFavorite": True},
        {"visibility": "timeline", "isFavorite": False},
        {"visibility": "timeline", "isTrashed": True},
    ):
        refused = await _buckets(client, library.alice, withPartners=True, **query)
        assert refused.status_code == 400, query
        assert refused.json() == {"message": PARTNERS_REFUSED}


async def test_locked_timeline_needs_an_elevated_session(client: httpx.AsyncClient, library: Library) -> None:
    alice, bob = library.alice, library.bob
    refused = await _buckets(client, alice, visibility="locked")
    assert (refused.status_code, refused.json()) == (401, {"message": "Elevated permission is required"})
    pin = await client.post("/auth/pin-code", headers=alice.headers, json={"pinCode": "123456"})
    assert pin.status_code == 204
    unlocked = await client.post("/auth/session/unlock", headers=alice.headers, json={"pinCode": "123456"})
    assert unlocked.status_code == 204
    assert await _ok(_buckets(client, alice, visibility="locked")) == [
        {"timeBucket": "2024-03-01", "count": 1}
    ]
    locked = await _ok(_bucket(client, alice, "2024-03-01", visibility="locked"))
    assert _names(library, locked) == ["a6"]
    assert locked["visibility"] == ["locked"]
    partner = await _buckets(client, alice, visibility="locked", userId=bob.user_id)
    assert (partner.status_code, partner.json()) == (
        400,
        {"message": "You may not access another user's locked timeline"},
    )
    with_partners = await _buckets(client, alice, visibility="locked", withPartners=True)
    assert with_partners.status_code == 400


async def test_tag_and_person_must_be_the_callers(client: httpx.AsyncClient, library: Library) -> None:
    bob = library.bob
    tag = await _buckets(client, bob, tagId=library.tag_id)
    assert (tag.status_code, tag.json()) == (400, {"message": "Not found or no tag.read access"})
    person = await _bucket(client, bob, "2024-05-01", personId=library.person_id)
    assert (person.status_code, person.json()) == (400, {"message": "Not found or no person.read access"})


def _issue(path: list[str], message: str, code: str = "custom", **extra: str) -> dict[str, Any]:
    return {"code": code, **extra, "path": path, "message": message}


VISIBILITIES = '"archive"|"timeline"|"hidden"|"locked"'
BAD_QUERIES: list[tuple[dict[str, str], dict[str, Any]]] = [
    ({"visibility": "public"}, _issue(["visibility"], f"Invalid option: expected one of {VISIBILITIES}",
                                      "invalid_value")),
    ({"order": "sideways"}, _issue(["order"], 'Invalid option: expected one of "asc"|"desc"',
                                   "invalid_value")),
    ({"orderBy": "size"}, _issue(["orderBy"], 'Invalid option: expected one of "takenAt"|"createdAt"',
                                 "invalid_value")),
    ({"userId": "not-a-uuid"}, _issue(["userId"], "Invalid UUID", "invalid_format", format="uuid")),
    # A v1 UUID: Immich wants v4.
    ({"albumId": "4a4c7f0e-93b1-1c31-9d34-2f1b1f4b8a55"},
     _issue(["albumId"], "Invalid UUID", "invalid_format", format="uuid")),
    ({"bbox": "1,2,3"}, _issue(["bbox"], "bbox must have 4 comma-separated numbers: west,south,east,north")),
    ({"bbox": "a,2,3,4"}, _issue(["bbox"], "bbox parts must be valid numbers")),
    ({"bbox": "200,2,3,4"}, _issue(["bbox", "west"], "Too big: expected number to be <=180", "too_big")),
    ({"bbox": "0,10,1,5"},
     _issue(["bbox", "north"], "North latitude must be greater than or equal to south latitude")),
]  # fmt: skip


async def test_bad_input(client: httpx.AsyncClient, library: Library) -> None:
    for query, issue in BAD_QUERIES:
        for response in (
            await _buckets(client, library.alice, **query),
            await _bucket(client, library.alice, "2024-05-01", **query),
        ):
            assert response.status_code == 400, response.text
            assert response.json() == {"message": "Validation failed", "errors": [issue]}
    for month in ("May 2024", "2024-13-01", "2024-05", "", "2024-05-01T25:00:00"):
        response = await _bucket(client, library.alice, month)
        assert response.status_code == 400, (month, response.text)
        assert response.json() == {
            "message": "Validation failed",
            "errors": [{"code": "custom", "path": ["timeBucket"],
                        "message": "Invalid time bucket: expected YYYY-MM-DD"}],
        }  # fmt: skip


async def test_missing_time_bucket_and_unknown_share_key(client: httpx.AsyncClient, library: Library) -> None:
    missing = await client.get("/timeline/bucket", headers=library.alice.headers)
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["path"] == ["timeBucket"]
    for params, message in (({"key": "nope"}, "Invalid share key"), ({"slug": "nope"}, "Invalid share slug")):
        response = await client.get("/timeline/buckets", params=params)
        assert (response.status_code, response.json()) == (401, {"message": message})
    anonymous = await client.get("/timeline/buckets")
    assert anonymous.status_code == 401


async def test_folders(client: httpx.AsyncClient, library: Library) -> None:
    alice, ids = library.alice, library.ids
    paths = await _ok(client.get("/view/folder/unique-paths", headers=alice.headers))
    # Timeline assets only (a3 archived, a4 hidden, a5 trashed, a6 locked are left out).
    assert paths == ["/library/alice/2024", "/library/alice/2024/05", "/library/alice@example.com"]
    inside = await _ok(
        client.get("/view/folder", headers=alice.headers, params={"path": "/library/alice/2024/"})
    )
    assert [asset["id"] for asset in inside] == [ids["a1"], ids["a2"]]  # a1.jpg, b2.mp4; not the 05 subfolder
    assert inside[0]["exifInfo"]["city"] == "Paris"
    assert inside[0]["isFavorite"] is True
    assert (
        await _ok(
            client.get("/view/folder", headers=library.bob.headers, params={"path": "/library/alice/2024"})
        )
        == []
    )
    wildcard = await _ok(client.get("/view/folder", headers=alice.headers, params={"path": "/library/%"}))
    assert wildcard == []


async def test_an_uploaded_asset_reaches_the_timeline(client: httpx.AsyncClient) -> None:
    """Through the real upload path rather than inserted rows: FILE_DATES put it in May 2024."""
    admin = await sign_up_admin(client)
    asset_id = await upload_id(client, admin, "upload.jpg")
    assert await _ok(_buckets(client, admin, visibility="timeline")) == [
        {"timeBucket": "2024-05-01", "count": 1}
    ]
    bucket = await _ok(_bucket(client, admin, "2024-05-01", visibility="timeline"))
    assert bucket["id"] == [asset_id]
    assert bucket["fileCreatedAt"] == ["2024-05-01T12:00:00"]
    assert bucket["ownerId"] == [admin.user_id]
    assert bucket["isImage"] == [True]
