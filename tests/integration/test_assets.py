"""Upload, read, change, trash and delete of assets through the HTTP API, on real PostgreSQL and disk."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from albumen.config import Settings
from tests.support.assets import fake_jpeg, upload_asset, upload_id
from tests.support.users import LoggedIn, create_user, sign_up_admin


def stored_files(settings: Settings) -> list[str]:
    """Every file under the originals location, temporaries included, relative to it."""
    root = settings.media_dir
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def test_upload_then_duplicate_then_read_back(client: httpx.AsyncClient, settings: Settings) -> None:
    admin = await sign_up_admin(client)
    content = fake_jpeg("first", 4096)
    created = await upload_asset(client, admin, "IMG_0001.JPG", content, isFavorite=True)
    asset_id = created.json()["id"]
    assert created.json()["status"] == "created"

    again = await upload_asset(client, admin, "copy.jpg", content, expect=200)
    assert again.json() == {"id": asset_id, "status": "duplicate"}
    assert len([f for f in stored_files(settings) if f.startswith("upload/")]) == 1

    info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert info["originalFileName"] == "IMG_0001.JPG"
    assert info["type"] == "IMAGE"
    assert info["isFavorite"] is True
    assert info["visibility"] == "timeline"
    assert info["ownerId"] == admin.user_id
    assert base64.b64decode(info["checksum"]) == hashlib.sha1(content).digest()
    assert info["exifInfo"]["fileSizeInByte"] == len(content)
    assert info["originalPath"].startswith(f"upload/{admin.user_id}/")

    original = await client.get(f"/assets/{asset_id}/original", headers=admin.headers)
    assert original.status_code == 200
    assert original.content == content
    assert original.headers["content-type"] == "image/jpeg"
    assert original.headers["content-disposition"] == "inline; filename*=UTF-8''IMG_0001.jpg"
    assert original.headers["cache-control"].startswith("private, max-age=86400")

    me = (await client.get("/users/me", headers=admin.headers)).json()
    assert me["quotaUsageInBytes"] == len(content)


async def test_early_checksum_answers_before_the_body(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    content = fake_jpeg("early")
    asset_id = await upload_id(client, admin, "a.jpg", content)
    digest = hashlib.sha1(content).digest()
    for header in (digest.hex(), base64.b64encode(digest).decode()):
        # A body that is not even multipart: the answer must come from the header alone.
        response = await client.post(
            "/assets", headers={**admin.headers, "x-immich-checksum": header}, content=b"not read"
        )
        assert response.status_code == 200
        assert response.json() == {"id": asset_id, "status": "duplicate"}


async def test_ranges_validators_and_missing_thumbnails(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    content = bytes(range(256)) * 40
    asset_id = await upload_id(client, admin, "clip.mp4", content)
    url = f"/assets/{asset_id}/video/playback"

    whole = await client.get(url, headers=admin.headers)
    assert whole.status_code == 200
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.content == content
    etag = whole.headers["etag"]

    part = await client.get(url, headers={**admin.headers, "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(content)}"
    assert part.content == content[100:200]
    suffix = await client.get(url, headers={**admin.headers, "Range": "bytes=-10"})
    assert suffix.content == content[-10:]
    beyond = await client.get(url, headers={**admin.headers, "Range": f"bytes={len(content)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(content)}"

    cached = await client.get(url, headers={**admin.headers, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""

    for size in ("thumbnail", "preview"):
        missing = await client.get(f"/assets/{asset_id}/thumbnail?size={size}", headers=admin.headers)
        assert missing.status_code == 404
        assert "message" in missing.json()
    photo = await upload_id(client, admin, "p.jpg")
    redirect = await client.get(f"/assets/{photo}/thumbnail?size=fullsize", headers=admin.headers)
    assert redirect.status_code == 302
    assert redirect.headers["location"].endswith(f"/assets/{photo}/original")
    heic = await upload_id(client, admin, "p.heic", b"heic bytes")
    to_preview = await client.get(f"/assets/{heic}/thumbnail?size=fullsize", headers=admin.headers)
    assert to_preview.status_code == 302
    assert to_preview.headers["location"].endswith(f"/assets/{heic}/thumbnail?size=preview")
    original = await client.get(f"/assets/{heic}/thumbnail?size=original", headers=admin.headers)
    assert original.headers["location"].endswith(f"/assets/{heic}/original")
    not_video = await client.get(f"/assets/{photo}/video/playback", headers=admin.headers)
    assert not_video.status_code == 404


async def test_bulk_upload_check(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    kept, trashed = fake_jpeg("kept"), fake_jpeg("trashed")
    kept_id = await upload_id(client, admin, "kept.jpg", kept)
    trashed_id = await upload_id(client, admin, "trashed.jpg", trashed)
    await client.request("DELETE", "/assets", headers=admin.headers, json={"ids": [trashed_id]})
    new = hashlib.sha1(b"never uploaded").hexdigest()
    body = {
        "assets": [
            {"id": "1", "checksum": hashlib.sha1(kept).hexdigest()},
            {"id": "2", "checksum": base64.b64encode(hashlib.sha1(trashed).digest()).decode()},
            {"id": "3", "checksum": new},
            {"id": "4", "checksum": "not a checksum"},
        ]
    }
    response = await client.post("/assets/bulk-upload-check", headers=admin.headers, json=body)
    assert response.status_code == 200
    results = {item["id"]: item for item in response.json()["results"]}
    assert results["1"] == {
        "id": "1", "action": "reject", "reason": "duplicate", "assetId": kept_id, "isTrashed": False,
    }  # fmt: skip
    assert results["2"]["assetId"] == trashed_id
    assert results["2"]["isTrashed"] is True
    assert results["3"]["action"] == "accept"
    assert results["4"]["action"] == "accept"


async def test_sidecar_metadata_and_live_photo_link(client: httpx.AsyncClient, settings: Settings) -> None:
    admin = await sign_up_admin(client)
    video = await upload_id(client, admin, "IMG_1.MOV", b"\x00\x00\x00\x18ftypqt  motion")
    mobile = [{"key": "mobile-app", "value": {"iCloudId": "abc-123"}}]
    photo = await upload_asset(
        client, admin, "IMG_1.HEIC", b"heic still", sidecar=b"<x:xmpmeta/>",
        livePhotoVideoId=video, metadata=json.dumps(mobile),
    )  # fmt: skip
    photo_id = photo.json()["id"]
    info = (await client.get(f"/assets/{photo_id}", headers=admin.headers)).json()
    assert info["livePhotoVideoId"] == video
    hidden = (await client.get(f"/assets/{video}", headers=admin.headers)).json()
    assert hidden["visibility"] == "hidden"
    metadata = (await client.get(f"/assets/{photo_id}/metadata", headers=admin.headers)).json()
    assert [(m["key"], m["value"]) for m in metadata] == [("mobile-app", {"iCloudId": "abc-123"})]
    sidecars = [f for f in stored_files(settings) if f.endswith(".xmp")]
    assert len(sidecars) == 1
    assert (settings.media_dir / sidecars[0]).read_bytes() == b"<x:xmpmeta/>"


async def test_update_one_and_many(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    first, second = await upload_id(client, admin, "1.jpg"), await upload_id(client, admin, "2.jpg")
    response = await client.put(
        f"/assets/{first}",
        headers=admin.headers,
        json={
            "isFavorite": True,
            "description": "at the lake",
            "rating": 4,
            "latitude": 48.1,
            "longitude": 11.5,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["isFavorite"] is True
    assert body["exifInfo"]["description"] == "at the lake"
    assert body["exifInfo"]["rating"] == 4
    assert body["exifInfo"]["latitude"] == 48.1
    # The offset names the zone as Immich (luxon) does; exif timestamps read as PostgreSQL's JSON.
    dated = await client.put(
        f"/assets/{first}", headers=admin.headers, json={"dateTimeOriginal": "2023-11-19T18:11:00.000-07:00"}
    )
    assert dated.status_code == 200, dated.text
    assert dated.json()["exifInfo"]["dateTimeOriginal"] == "2023-11-20T01:11:00+00:00"
    assert dated.json()["exifInfo"]["timeZone"] == "UTC-7"
    assert dated.json()["localDateTime"].startswith("2023-11-19T18:11:00")
    rejected = await client.put(f"/assets/{second}", headers=admin.headers, json={"rating": -1})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["exifInfo"]["rating"] == -1

    bulk = await client.put(
        "/assets",
        headers=admin.headers,
        json={"ids": [first, second], "visibility": "archive", "isFavorite": False},
    )
    assert bulk.status_code == 204
    for asset_id in (first, second):
        info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
        assert info["visibility"] == "archive"
        assert info["isArchived"] is True
        assert info["isFavorite"] is False
    stats = (await client.get("/assets/statistics?visibility=archive", headers=admin.headers)).json()
    assert stats == {"images": 2, "videos": 0, "total": 2}

    # Express's non-strict routing, as Immich's clients may rely on: the trailing slash does not matter.
    before = (await client.get(f"/assets/{first}/", headers=admin.headers)).json()["fileCreatedAt"]
    relative = {"ids": [first], "dateTimeRelative": -60}
    shifted = await client.put("/assets/", headers=admin.headers, json=relative)
    assert shifted.status_code == 204, shifted.text
    moved = (await client.get(f"/assets/{first}", headers=admin.headers)).json()
    assert datetime.fromisoformat(before) - datetime.fromisoformat(moved["fileCreatedAt"]) == timedelta(
        hours=1
    )
    # The exif date moves with it (it was set by hand above to 2023-11-20T01:11Z).
    assert moved["exifInfo"]["dateTimeOriginal"] == "2023-11-20T00:11:00+00:00"


async def test_trash_restore_and_delete_for_good(client: httpx.AsyncClient, settings: Settings) -> None:
    admin = await sign_up_admin(client)
    ids = [await upload_id(client, admin, f"{n}.jpg", fake_jpeg(n, 1000)) for n in range(3)]
    trashed = await client.request("DELETE", "/assets", headers=admin.headers, json={"ids": ids})
    assert trashed.status_code == 204
    info = (await client.get(f"/assets/{ids[0]}", headers=admin.headers)).json()
    assert info["isTrashed"] is True
    assert len([f for f in stored_files(settings) if f.startswith("upload/")]) == 3

    restored = await client.post("/trash/restore/assets", headers=admin.headers, json={"ids": [ids[0]]})
    assert restored.json() == {"count": 1}
    assert (await client.post("/trash/empty", headers=admin.headers)).json() == {"count": 2}
    assert (await client.get(f"/assets/{ids[1]}", headers=admin.headers)).status_code == 400
    assert len([f for f in stored_files(settings) if f.startswith("upload/")]) == 1

    forced = await client.request(
        "DELETE", "/assets", headers=admin.headers, json={"ids": [ids[0]], "force": True}
    )
    assert forced.status_code == 204
    assert [f for f in stored_files(settings) if f.startswith("upload/")] == []
    assert (await client.get("/users/me", headers=admin.headers)).json()["quotaUsageInBytes"] == 0


async def test_the_quota_counts_the_file_not_the_whole_form(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    small = await create_user(client, admin, "small@example.com", quotaSizeInBytes=100)
    # The body is well over the quota, the file under it: Immich takes it, so must we.
    fits = await upload_asset(client, small, "fits.jpg", b"y" * 90, metadata="[]", sidecar=b"<x/>" * 50)
    assert fits.status_code == 201, fits.text
    assert int(fits.request.headers["content-length"]) > 300
    assert (await client.get("/users/me", headers=small.headers)).json()["quotaUsageInBytes"] == 90
    over = await upload_asset(client, small, "over.jpg", b"z" * 20, expect=400)
    assert over.json()["message"] == "Quota has been exceeded!"


async def test_bad_uploads_write_nothing(client: httpx.AsyncClient, settings: Settings) -> None:
    admin = await sign_up_admin(client)
    other = await create_user(client, admin, "other@example.com")
    someone_elses_video = await upload_id(client, other, "v.mp4", b"other's video")
    small = await create_user(client, admin, "small@example.com", quotaSizeInBytes=100)

    async def refused(who: LoggedIn, *args: Any, message: str, **fields: Any) -> None:
        response = await upload_asset(client, who, *args, expect=400, **fields)
        assert response.json()["message"] == message, response.text
        assert "x-correlation-id" in response.headers

    await refused(admin, "empty.jpg", b"", message="File is empty")
    await refused(admin, "notes.txt", b"text", message="Unsupported file type notes.txt")
    await refused(admin, "../../etc/passwd", b"root:x:0:0", message="Unsupported file type passwd")
    await refused(
        admin, "a.jpg", b"x" * 10, metadata="[" + "1," * 40000 + "1]", message="Field metadata is too large"
    )
    await refused(
        admin,
        "a.jpg",
        b"x" * 10,
        metadata="{not json",
        message="metadata must be a JSON array of {key, value}",
    )
    await refused(
        admin, "a.jpg", b"x" * 10, livePhotoVideoId="not-a-uuid", message="livePhotoVideoId must be a UUID"
    )
    await refused(
        admin, "a.jpg", b"x" * 10, livePhotoVideoId=someone_elses_video,
        message="Live photo video does not belong to the user",
    )  # fmt: skip
    await refused(
        admin,
        "a.jpg",
        b"x" * 10,
        visibility="everyone",
        message="visibility must be one of: archive, hidden, locked, timeline",
    )
    await refused(small, "big.jpg", b"x" * 1000, message="Quota has been exceeded!")

    no_file = await client.post(
        "/assets",
        headers=admin.headers,
        data={"fileCreatedAt": "2024-01-01T00:00:00Z"},
        files={"other": ("x", b"")},
    )
    assert no_file.status_code == 400
    two_files = await client.post(
        "/assets",
        headers=admin.headers,
        data={"fileCreatedAt": "2024-01-01T00:00:00Z", "fileModifiedAt": "2024-01-01T00:00:00Z"},
        files=[("assetData", ("a.jpg", b"one")), ("assetData", ("b.jpg", b"two"))],
    )
    assert two_files.status_code == 400
    assert two_files.json()["message"] == "Too many files in field assetData"
    not_multipart = await client.post("/assets", headers=admin.headers, json={"assetData": "x"})
    assert not_multipart.status_code == 400
    no_dates = await client.post("/assets", headers=admin.headers, files={"assetData": ("a.jpg", b"abc")})
    assert no_dates.json()["message"] == "fileCreatedAt must be a Date instance"
    bad_id = await client.get("/assets/not-a-uuid", headers=admin.headers)
    assert bad_id.status_code == 400

    # Only the other user's video was stored; no temporaries are left behind either.
    assert [f for f in stored_files(settings) if f.startswith("upload/")] == [
        f for f in stored_files(settings) if f.startswith(f"upload/{other.user_id}/")
    ]
    assert [f for f in stored_files(settings) if f.startswith(".tmp/")] == []
    traversal = await upload_asset(client, admin, "../../photos/x.jpg", b"safe name")
    info = (await client.get(f"/assets/{traversal.json()['id']}", headers=admin.headers)).json()
    assert info["originalFileName"] == "x.jpg"
    linked = await client.put(
        f"/assets/{traversal.json()['id']}",
        headers=admin.headers,
        json={"livePhotoVideoId": someone_elses_video},
    )
    assert (linked.status_code, linked.json()["message"]) == (
        400, "Live photo video does not belong to the user",
    )  # fmt: skip
    assert not (Path(settings.data_dir).parent / "photos").exists()


async def test_another_users_assets_are_out_of_reach(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    owner = await create_user(client, admin, "owner@example.com")
    intruder = await create_user(client, admin, "intruder@example.com")
    asset_id = await upload_id(client, owner, "private.mp4", b"private bytes")
    own_id = await upload_id(client, intruder, "mine.jpg")
    h = intruder.headers
    calls = [
        client.get(f"/assets/{asset_id}", headers=h),
        client.put(f"/assets/{asset_id}", headers=h, json={"isFavorite": True}),
        client.put("/assets", headers=h, json={"ids": [own_id, asset_id], "isFavorite": True}),
        client.request("DELETE", "/assets", headers=h, json={"ids": [asset_id], "force": True}),
        client.request("DELETE", "/assets", headers=h, json={"ids": [own_id, asset_id]}),
        client.post("/trash/restore/assets", headers=h, json={"ids": [asset_id]}),
        client.get(f"/assets/{asset_id}/original", headers=h),
        client.get(f"/assets/{asset_id}/thumbnail", headers=h),
        client.get(f"/assets/{asset_id}/video/playback", headers=h),
        client.get(f"/assets/{asset_id}/metadata", headers=h),
        client.put(f"/assets/{asset_id}/metadata", headers=h, json={"items": [{"key": "k", "value": {}}]}),
        client.request(
            "DELETE", "/assets/metadata", headers=h, json={"items": [{"assetId": asset_id, "key": "k"}]}
        ),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 400, (response.request.method, response.request.url, response.text)
        assert response.json()["message"].startswith("Not found or no asset."), response.text
    # Linking someone else's video is refused with Immich's own message for it.
    linked = await client.put(f"/assets/{own_id}", headers=h, json={"livePhotoVideoId": asset_id})
    assert (linked.status_code, linked.json()["message"]) == (
        400, "Live photo video does not belong to the user",
    )  # fmt: skip
    # Nothing changed for the owner, and the intruder's own asset was not touched by the refused bulk call.
    info = (await client.get(f"/assets/{asset_id}", headers=owner.headers)).json()
    assert info["isFavorite"] is False
    assert info["isTrashed"] is False
    assert (await client.get(f"/assets/{own_id}", headers=h)).json()["isFavorite"] is False
    # Duplicates are per owner: the same bytes upload as a new asset for someone else.
    assert (await upload_asset(client, intruder, "private.mp4", b"private bytes")).status_code == 201


async def test_bulk_calls_with_more_ids_than_postgresql_parameters(client: httpx.AsyncClient) -> None:
    """40,000 ids in one call: answered (a refusal, as none are the caller's), never a 500."""
    import uuid

    admin = await sign_up_admin(client)
    mine = await upload_id(client, admin, "mine.jpg")
    ids = [str(uuid.uuid4()) for _ in range(40_000)] + [mine]
    for method, path, body in [
        ("PUT", "/assets", {"ids": ids, "isFavorite": True}),
        ("DELETE", "/assets", {"ids": ids}),
        ("POST", "/download/info", {"assetIds": ids}),
    ]:
        response = await client.request(method, path, headers=admin.headers, json=body)
        assert response.status_code == 400, (path, response.text[:200])
        assert response.json()["message"].startswith("Not found or no")


async def test_copy_moves_albums_favorite_and_sidecar_to_another_asset(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin = await sign_up_admin(client)
    source = (
        await upload_asset(client, admin, "IMG_1.jpg", sidecar=b"<xmp>source</xmp>", isFavorite=True)
    ).json()["id"]
    target = await upload_id(client, admin, "IMG_1_edited.jpg")
    album = await client.post(
        "/albums", headers=admin.headers, json={"albumName": "trip", "assetIds": [source]}
    )
    assert album.status_code == 201, album.text

    copied = await client.put(
        "/assets/copy", headers=admin.headers, json={"sourceId": source, "targetId": target}
    )

    assert copied.status_code == 204, copied.text
    info = (await client.get(f"/assets/{target}", headers=admin.headers)).json()
    assert info["isFavorite"] is True
    albums = (await client.get(f"/albums?assetId={target}", headers=admin.headers)).json()
    assert [a["albumName"] for a in albums] == ["trip"]
    assert (settings.media_dir / f"{info['originalPath']}.xmp").read_bytes() == b"<xmp>source</xmp>"
    same = await client.put(
        "/assets/copy", headers=admin.headers, json={"sourceId": source, "targetId": source}
    )
    assert same.status_code == 400
    other = await create_user(client, admin, "other@example.com")
    theirs = await upload_id(client, other, "theirs.jpg")
    refused = await client.put(
        "/assets/copy", headers=admin.headers, json={"sourceId": source, "targetId": theirs}
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "Not found or no asset.copy access"


async def test_force_delete_of_several_album_assets_records_each_removal(
    client: httpx.AsyncClient, database_url: str
) -> None:
    admin = await sign_up_admin(client)
    ids = [await upload_id(client, admin, f"in-album-{index}.jpg") for index in range(3)]
    album = await client.post("/albums", headers=admin.headers, json={"albumName": "A", "assetIds": ids})
    assert album.status_code == 201, album.text
    deleted = await client.request(
        "DELETE", "/assets", headers=admin.headers, json={"ids": ids, "force": True}
    )
    assert deleted.status_code == 204, deleted.text
    connection = await asyncpg.connect(database_url)
    try:
        audited = await connection.fetch("SELECT DISTINCT id, asset_id FROM album_asset_audit")
    finally:
        await connection.close()
    assert sorted(str(row["asset_id"]) for row in audited) == sorted(ids)
