"""Downloads: POST /download/info splits a selection into archives, POST /download/archive streams a zip.

Everything is set up through the API (uploads with live-photo links, albums, trash) except partners
and Android motion-part paths, which are written straight into the database.
"""

from __future__ import annotations

import asyncio
import gc
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from albumen.downloads.schemas import ArchiveEntry
from albumen.downloads.service import ArchiveSplitter, EntryNames, entry_name, stream_archive
from albumen.models import Asset, Partner
from albumen.storage.base import ByteRange, StorageBackend, StorageError
from albumen.storage.memory import MemoryStorage
from tests.support.assets import fake_jpeg, upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_user, sign_up_admin

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def _bytes(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


# -- pieces that need no server --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_0001.HEIC", "IMG_0001.HEIC"),
        ("../../../../tmp/pwn.jpg", "........tmppwn.jpg"),
        ("C:\\temp\\abs3.jpg", "Ctempabs3.jpg"),
        ("/etc/passwd", "etcpasswd"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("con.jpg", "unnamed"),
        ("trailing. ", "trailing"),
        ("tab\there.jpg", "tabhere.jpg"),
        ("é" * 200 + ".jpg", "é" * 127),  # cut at 255 bytes, never inside a character
    ],
)
def test_entry_names_are_sanitised(name: str, expected: str) -> None:
    assert entry_name(name) == expected


def test_repeated_names_are_numbered() -> None:
    names = EntryNames()
    taken = [names.take(n) for n in ["a.jpg", "a.jpg", "a+1.jpg", "A.JPG", "noext", "noext", "../a.jpg"]]
    assert taken == ["a.jpg", "a+1.jpg", "a+1+1.jpg", "A+2.JPG", "noext", "noext+1", "..a.jpg"]


def test_archives_stay_under_the_limit() -> None:
    ids = [uuid.uuid4() for _ in range(6)]
    splitter = ArchiveSplitter(100)
    for asset_id, size in zip(ids, [40, 50, 20, 250, 100, 1], strict=True):
        splitter.add([(asset_id, size)])
    assert splitter.finish() == [
        ([ids[0], ids[1]], 90),
        ([ids[2]], 20),
        ([ids[3]], 250),  # bigger than the limit: alone
        ([ids[4]], 100),
        ([ids[5]], 1),
    ]


def test_a_live_photo_stays_in_one_archive() -> None:
    still, motion, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    splitter = ArchiveSplitter(100)
    splitter.add([(other, 60)])
    splitter.add([(still, 30), (motion, 30)])
    assert splitter.finish() == [([other], 60), ([still, motion], 60)]


async def test_stream_skips_files_it_cannot_read() -> None:
    storage = MemoryStorage()
    await storage.write("upload/a.jpg", _bytes(b"first"))
    await storage.write("upload/empty.jpg", _bytes())
    entries = [
        ArchiveEntry("a.jpg", "originals", "upload/a.jpg", NOW),
        ArchiveEntry("gone.jpg", "originals", "upload/gone.jpg", NOW),
        ArchiveEntry("outside.jpg", "originals", "/mnt/external/outside.jpg", NOW),  # not a storage key
        ArchiveEntry("empty.jpg", "originals", "upload/empty.jpg", NOW),
        ArchiveEntry("old.jpg", "originals", "upload/a.jpg", datetime(1970, 1, 1, tzinfo=UTC)),
    ]
    data = b"".join([chunk async for chunk in stream_archive(entries, {"originals": storage})])
    assert _unzip(data) == {"a.jpg": b"first", "empty.jpg": b"", "old.jpg": b"first"}


class _FailsAfterFirstChunk(MemoryStorage):
    async def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        yield b"x" * 10
        raise StorageError("connection reset")


async def test_a_read_failing_half_way_fails_the_stream() -> None:
    # Ending the entry short would hand out a corrupt file inside a zip that looks whole.
    entries = [ArchiveEntry("a.jpg", "originals", "upload/a.jpg", NOW)]
    with pytest.raises(StorageError):
        async for _ in stream_archive(entries, {"originals": _FailsAfterFirstChunk()}):
            pass


class _Endless:
    def __init__(self) -> None:
        self.closed: list[str] = []

    async def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        try:
            while True:
                await asyncio.sleep(0)
                yield b"x" * 65536
        finally:
            self.closed.append(key)


async def test_an_abandoned_download_stops_reading() -> None:
    # A client that goes away: the server stops the body iterator; the file being read is let go.
    storage = _Endless()
    entries = [ArchiveEntry("a.mov", "originals", "upload/a.mov", NOW)]
    stream = stream_archive(entries, {"originals": storage})  # type: ignore[dict-item]
    assert len(await anext(stream)) > 0
    await stream.aclose()
    for _ in range(100):
        if storage.closed:
            break
        gc.collect()
        await asyncio.sleep(0.01)
    assert storage.closed == ["upload/a.mov"]


async def test_an_empty_archive_is_a_valid_zip() -> None:
    data = b"".join([chunk async for chunk in stream_archive([], {})])
    assert _unzip(data) == {}


# -- through the API ---------------------------------------------------------------------------------


async def _two_users(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn]:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    return admin, bob


async def _db_write(app: Any, *statements: Any, rows: tuple[Any, ...] = ()) -> None:
    async with app.state.container.database.unit_of_work() as db:
        db.add_all(rows)
        await db.flush()
        for statement in statements:
            await db.execute(statement)


async def _original_path(app: Any, asset_id: str) -> str:
    async with app.state.container.database.unit_of_work() as db:
        path: str = await db.scalar(select(Asset.original_path).where(Asset.id == uuid.UUID(asset_id)))
        return path


async def _live_photo(client: httpx.AsyncClient, who: LoggedIn, stem: str) -> tuple[str, str]:
    """A still (1000 bytes) uploaded with its motion part (2000 bytes), as the mobile app does."""
    motion = await upload_id(client, who, f"{stem}.MOV", fake_jpeg(f"{stem}-motion", 2000))
    still = await upload_id(
        client, who, f"{stem}.HEIC", fake_jpeg(f"{stem}-still", 1000), livePhotoVideoId=motion
    )
    return still, motion


async def _album(
    client: httpx.AsyncClient, owner: LoggedIn, asset_ids: list[str], *, viewer: LoggedIn | None = None
) -> str:
    body: dict[str, Any] = {"albumName": "Trip", "assetIds": asset_ids}
    if viewer is not None:
        body["albumUsers"] = [{"userId": viewer.user_id, "role": "viewer"}]
    response = await client.post("/albums", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    album_id: str = response.json()["id"]
    return album_id


async def _trash(client: httpx.AsyncClient, who: LoggedIn, asset_ids: list[str]) -> None:
    response = await client.request("DELETE", "/assets", headers=who.headers, json={"ids": asset_ids})
    assert response.status_code == 204, response.text


async def _info(client: httpx.AsyncClient, who: LoggedIn, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/download/info", headers=who.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _archive(client: httpx.AsyncClient, who: LoggedIn, asset_ids: list[str]) -> dict[str, bytes]:
    response = await client.post("/download/archive", headers=who.headers, json={"assetIds": asset_ids})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    return _unzip(response.content)


async def test_info_splits_by_archive_size(client: httpx.AsyncClient) -> None:
    admin, _ = await _two_users(client)
    sizes = [3000, 4000, 2000, 9000]
    ids = [await upload_id(client, admin, f"{i}.jpg", fake_jpeg(i, size)) for i, size in enumerate(sizes)]

    one = await _info(client, admin, {"assetIds": ids})
    assert one == {"totalSize": sum(sizes), "archives": [{"size": sum(sizes), "assetIds": ids}]}

    split = await _info(client, admin, {"assetIds": ids, "archiveSize": 8000})
    assert split["totalSize"] == sum(sizes)
    assert split["archives"] == [
        {"size": 7000, "assetIds": ids[0:2]},
        {"size": 2000, "assetIds": ids[2:3]},
        {"size": 9000, "assetIds": ids[3:4]},  # over the limit on its own
    ]

    # the whole library, oldest first, and the caller's own id only
    library = await _info(client, admin, {"userId": admin.user_id, "archiveSize": 8000})
    assert sorted(i for archive in library["archives"] for i in archive["assetIds"]) == sorted(ids)
    assert library["totalSize"] == sum(sizes)


async def test_info_brings_motion_parts_and_leaves_out_trash(client: httpx.AsyncClient) -> None:
    admin, _ = await _two_users(client)
    still, motion = await _live_photo(client, admin, "IMG_1")
    other = await upload_id(client, admin, "other.jpg", fake_jpeg("other", 500))
    trashed = await upload_id(client, admin, "trashed.jpg", fake_jpeg("trashed", 700))
    album = await _album(client, admin, [still, trashed])
    await _trash(client, admin, [trashed])

    by_ids = await _info(client, admin, {"assetIds": [still, other, trashed]})
    assert by_ids["archives"] == [{"size": 3500, "assetIds": [still, motion, other]}]

    # the hidden motion part comes once, right after its still, never on its own
    library = await _info(client, admin, {"userId": admin.user_id})
    (archive,) = library["archives"]
    assert sorted(archive["assetIds"]) == sorted([still, motion, other])
    assert archive["assetIds"].index(motion) == archive["assetIds"].index(still) + 1

    # a live photo is never cut in two by the size limit
    split = await _info(client, admin, {"assetIds": [other, still], "archiveSize": 2000})
    assert split["archives"] == [
        {"size": 500, "assetIds": [other]},
        {"size": 3000, "assetIds": [still, motion]},
    ]

    assert (await _info(client, admin, {"albumId": album}))["archives"] == [
        {"size": 3000, "assetIds": [still, motion]}
    ]


async def test_android_motion_parts_only_when_the_user_wants_them(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin, _ = await _two_users(client)
    still, motion = await _live_photo(client, admin, "PXL_1")
    # where Android motion parts extracted from the still live (storage/layout.py)
    embedded = f"encoded-video/{admin.user_id}/ab/cd/{uuid.uuid4()}-MP.mp4"
    await _db_write(app, update(Asset).where(Asset.id == uuid.UUID(motion)).values(original_path=embedded))

    assert (await _info(client, admin, {"assetIds": [still]}))["archives"] == [
        {"size": 1000, "assetIds": [still]}
    ]
    changed = await client.put(
        "/users/me/preferences", headers=admin.headers, json={"download": {"includeEmbeddedVideos": True}}
    )
    assert changed.status_code == 200, changed.text
    assert (await _info(client, admin, {"assetIds": [still]}))["archives"] == [
        {"size": 3000, "assetIds": [still, motion]}
    ]


async def test_archive_holds_the_uploaded_bytes(client: httpx.AsyncClient) -> None:
    admin, _ = await _two_users(client)
    contents = [fake_jpeg(f"dup-{i}", 5000 + i) for i in range(3)]
    ids = [await upload_id(client, admin, "IMG_0001.jpg", content) for content in contents]
    unique = await upload_id(client, admin, "sunset.jpg", fake_jpeg("sunset", 70_000))

    files = await _archive(client, admin, [*ids, unique])
    assert files == {
        "IMG_0001.jpg": contents[0],
        "IMG_0001+1.jpg": contents[1],
        "IMG_0001+2.jpg": contents[2],
        "sunset.jpg": fake_jpeg("sunset", 70_000),
    }
    # the request's order is the archive's order
    response = await client.post(
        "/download/archive", headers=admin.headers, json={"assetIds": [unique, ids[1]]}
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["sunset.jpg", "IMG_0001.jpg"]
        assert archive.read("IMG_0001.jpg") == contents[1]


async def test_archive_includes_motion_parts_asked_for(client: httpx.AsyncClient) -> None:
    admin, _ = await _two_users(client)
    still, _motion = await _live_photo(client, admin, "IMG_1")
    info = await _info(client, admin, {"assetIds": [still]})
    files = await _archive(client, admin, info["archives"][0]["assetIds"])
    assert files == {
        "IMG_1.HEIC": fake_jpeg("IMG_1-still", 1000),
        "IMG_1.MOV": fake_jpeg("IMG_1-motion", 2000),
    }


async def test_a_missing_file_is_left_out(client: httpx.AsyncClient, app: Any) -> None:
    admin, _ = await _two_users(client)
    kept = await upload_id(client, admin, "kept.jpg", fake_jpeg("kept"))
    lost = await upload_id(client, admin, "lost.jpg", fake_jpeg("lost"))
    await app.state.container.storage["originals"].delete(await _original_path(app, lost))
    assert await _archive(client, admin, [lost, kept]) == {"kept.jpg": fake_jpeg("kept")}


async def test_no_database_connection_is_held_while_streaming(client: httpx.AsyncClient, app: Any) -> None:
    admin, _ = await _two_users(client)
    asset = await upload_id(client, admin, "a.jpg", fake_jpeg("a"))
    await settle(app)  # the upload's own jobs read the file and use connections too
    storage: dict[str, StorageBackend] = app.state.container.storage
    real = storage["originals"]
    pool = app.state.container.database.engine.pool
    seen: list[int] = []

    class Watching:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
            seen.append(pool.checkedout())
            return real.read(key, byte_range)

    storage["originals"] = Watching()  # type: ignore[assignment]
    try:
        assert await _archive(client, admin, [asset]) == {"a.jpg": fake_jpeg("a")}
    finally:
        storage["originals"] = real
    assert seen == [0]


async def test_other_users_are_refused(client: httpx.AsyncClient, app: Any) -> None:
    alice, bob = await _two_users(client)
    asset = await upload_id(client, alice, "private.jpg", fake_jpeg("private"))
    bobs = await upload_id(client, bob, "bobs.jpg", fake_jpeg("bobs"))
    album = await _album(client, alice, [asset])

    refusals = [
        ("/download/info", {"assetIds": [asset]}, "Not found or no asset.download access"),
        ("/download/info", {"assetIds": [bobs, asset]}, "Not found or no asset.download access"),
        ("/download/info", {"albumId": album}, "Not found or no album.download access"),
        ("/download/info", {"userId": alice.user_id}, "Not found or no timeline.download access"),
        ("/download/archive", {"assetIds": [bobs, asset]}, "Not found or no asset.download access"),
    ]
    for path, body, message in refusals:
        response = await client.post(path, headers=bob.headers, json=body)
        assert response.status_code == 400, (path, body)
        assert response.json() == {"message": message}

    # a partner may still not download the whole library by user id (Immich's timeline.download)
    await _db_write(
        app, rows=(Partner(shared_by_id=uuid.UUID(alice.user_id), shared_with_id=uuid.UUID(bob.user_id)),)
    )
    response = await client.post("/download/info", headers=bob.headers, json={"userId": alice.user_id})
    assert response.status_code == 400

    unauthenticated = await client.post("/download/archive", json={"assetIds": [asset]})
    assert unauthenticated.status_code == 401


async def test_album_members_may_download_the_album(client: httpx.AsyncClient) -> None:
    alice, bob = await _two_users(client)
    asset = await upload_id(client, alice, "shared.jpg", fake_jpeg("shared", 1234))
    album = await _album(client, alice, [asset], viewer=bob)
    info = await _info(client, bob, {"albumId": album})
    assert info == {"totalSize": 1234, "archives": [{"size": 1234, "assetIds": [asset]}]}
    assert await _archive(client, bob, [asset]) == {"shared.jpg": fake_jpeg("shared", 1234)}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/download/info", {}, "assetIds, albumId, or userId is required"),
        ("/download/info", {"archiveSize": 10}, "assetIds, albumId, or userId is required"),
        (
            "/download/info",
            {"assetIds": [], "albumId": str(uuid.uuid4())},
            "Only one of assetIds, albumId or userId may be given",
        ),
        ("/download/info", {"assetIds": ["not-a-uuid"]}, "Validation failed"),
        ("/download/info", {"userId": "me"}, "Validation failed"),
        ("/download/info", {"assetIds": [str(uuid.uuid4())], "archiveSize": 0}, "Validation failed"),
        ("/download/info", {"assetIds": "nope"}, "Validation failed"),
        ("/download/archive", {}, "Validation failed"),
        ("/download/archive", {"assetIds": ["x"]}, "Validation failed"),
        ("/download/archive", {"assetIds": [], "edited": "maybe"}, "Validation failed"),
    ],
)
async def test_bad_bodies_get_immich_errors(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], message: str
) -> None:
    admin = await sign_up_admin(client)
    response = await client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == message
    if message == "Validation failed":
        assert response.json()["errors"]
    else:
        assert set(response.json()) == {"message"}


async def test_empty_selections(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    assert await _info(client, admin, {"assetIds": []}) == {"totalSize": 0, "archives": []}
    assert await _info(client, admin, {"userId": admin.user_id}) == {"totalSize": 0, "archives": []}
    assert await _archive(client, admin, []) == {}
