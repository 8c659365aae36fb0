"""After an upload: metadata from the real exiftool and thumbnails from libvips land in the rows and files
the API serves; each step can run twice; hand edits survive; live photos pair up."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips  # type: ignore[import-untyped]
from sqlalchemy import select, update

from albumen.media.tasks import extract_metadata, generate_thumbnails, place_of
from albumen.models import AssetExif, AssetFile
from albumen.system.config import defaults
from tests.conftest import ASSETS_DIR
from tests.integration.test_media_metadata import make_movie
from tests.support.assets import upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, sign_up_admin

IMAGE_CONFIG = defaults()["image"]


async def process(app: Any, asset_id: str) -> None:
    container = app.state.container
    await extract_metadata(container.database, container.storage, uuid.UUID(asset_id))
    await generate_thumbnails(container.database, container.storage, uuid.UUID(asset_id), IMAGE_CONFIG)


async def upload_file(client: httpx.AsyncClient, who: LoggedIn, relative: str, app: Any) -> str:
    """Uploads, then lets the job chain the upload queued finish, so the test's own runs don't race it."""
    path = ASSETS_DIR / relative
    asset_id = await upload_id(client, who, path.name, path.read_bytes())
    await settle(app)
    return asset_id


@pytest.mark.parametrize(
    ("relative", "taken", "camera"),
    [
        ("metadata/gps-position/thompson-springs.jpg", "2022-01-10", None),
        ("formats/heic/IMG_2682.heic", None, "Apple"),
        ("metadata/faces/portrait-orientation-6.jpg", None, None),
        ("formats/jxl/16bit-HDR-P3-nclx.jxl", None, None),
    ],
)
async def test_uploaded_photo_gets_metadata_and_images(
    client: httpx.AsyncClient, app: Any, relative: str, taken: str | None, camera: str | None
) -> None:
    admin = await sign_up_admin(client)
    asset_id = await upload_file(client, admin, relative, app)

    await process(app, asset_id)

    info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert info["thumbhash"]
    assert info["width"]
    assert info["height"]
    if taken:
        assert info["localDateTime"].startswith(taken)
        assert info["exifInfo"]["latitude"] == pytest.approx(39.115, abs=0.001)
        exif = info["exifInfo"]
        assert (exif["state"], exif["country"]) == ("Colorado", "United States of America")
    if camera:
        assert info["exifInfo"]["make"] == camera
    for size, mime, longest in (("thumbnail", "image/webp", 250), ("preview", "image/jpeg", 1440)):
        response = await client.get(f"/assets/{asset_id}/thumbnail?size={size}", headers=admin.headers)
        assert response.status_code == 200, (size, response.text)
        assert response.headers["content-type"] == mime
        image = pyvips.Image.new_from_buffer(response.content, "")
        assert min(image.width, image.height) == min(longest, info["width"], info["height"])
        # the same shape as the upright original
        assert (image.width >= image.height) == (info["width"] >= info["height"])


async def test_running_the_steps_again_changes_nothing(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    asset_id = await upload_file(client, admin, "albums/nature/prairie_falcon.jpg", app)
    await process(app, asset_id)
    first = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    await client.put(f"/assets/{asset_id}", headers=admin.headers, json={"description": "by hand"})
    await settle(app)  # the edit's sidecar write and metadata read

    await process(app, asset_id)

    again = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert again["thumbhash"] == first["thumbhash"]
    assert again["exifInfo"]["description"] == "by hand"  # a hand edit outlives re-extraction
    async with app.state.container.database.unit_of_work() as db:
        files = (await db.scalars(select(AssetFile).where(AssetFile.asset_id == uuid.UUID(asset_id)))).all()
    assert sorted(f.type for f in files) == ["preview", "sidecar", "thumbnail"]  # the edit's sidecar


async def test_live_photo_still_and_video_pair_by_content_identifier(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    content_id = "8E5C3B2A-1234-4D5E-9F00-ABCDEF012345"
    still = await upload_file(client, admin, "albums/nature/silver_fir.jpg", app)
    await process(app, still)
    async with app.state.container.database.unit_of_work() as db:
        # The still's content identifier sits in Apple's maker notes, which no test file carries.
        await db.execute(
            update(AssetExif).where(AssetExif.asset_id == uuid.UUID(still)).values(live_photo_cid=content_id)
        )
    movie = make_movie(
        datetime(2023, 11, 15, 12, 30, tzinfo=UTC),
        apple_keys={"com.apple.quicktime.content.identifier": content_id},
    )
    video = await upload_id(client, admin, "IMG_0001.MOV", movie)

    await settle(app)  # the chain's metadata step pairs them; the header-only movie gets no previews

    assert (await client.get(f"/assets/{still}", headers=admin.headers)).json()["livePhotoVideoId"] == video
    assert (await client.get(f"/assets/{video}", headers=admin.headers)).json()["visibility"] == "hidden"


async def test_motion_photo_video_becomes_a_hidden_linked_asset(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    still = await upload_file(client, admin, "formats/motionphoto/samsung-one-ui-6.heic", app)

    info = (await client.get(f"/assets/{still}", headers=admin.headers)).json()
    motion = info["livePhotoVideoId"]
    assert motion is not None
    video = (await client.get(f"/assets/{motion}", headers=admin.headers)).json()
    assert video["type"] == "VIDEO"
    assert video["visibility"] == "hidden"
    assert video["originalPath"].startswith(f"encoded-video/{admin.user_id}/")
    assert video["originalPath"].endswith("-MP.mp4")
    original = await client.get(f"/assets/{motion}/original", headers=admin.headers)
    assert original.content[4:8] == b"ftyp"
    assert len(original.content) == 3226469  # exactly the embedded bytes
    played = await client.get(f"/assets/{motion}/video/playback", headers=admin.headers)
    assert played.content[4:8] == b"ftyp"  # the HEVC part, transcoded to H.264 for playback
    poster = await client.get(f"/assets/{motion}/thumbnail", headers=admin.headers)
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/webp"
    # The hidden part never counts on its own.
    stats = (await client.get("/assets/statistics", headers=admin.headers)).json()
    assert stats == {"images": 1, "videos": 0, "total": 1}


def _encode(path: Path, *codec: str) -> bytes:
    source = [
        *("-f", "lavfi", "-i", "testsrc=size=640x360:rate=30:duration=10"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10"),
    ]
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *source, *codec,
         "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path.read_bytes()


def _codec(data: bytes, folder: Path) -> str:
    sample = folder / "played.mp4"
    sample.write_bytes(data)
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name",
         "-of", "csv=p=0", str(sample)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return probed.stdout.strip()


@pytest.mark.parametrize(
    ("codec", "transcoded"),
    [
        (("-c:v", "libx264", "-preset", "ultrafast"), False),  # H.264 plays as it is (policy "required")
        (
            ("-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1", "-x265-params", "log-level=error"),
            True,
        ),
    ],
    ids=["h264", "hevc"],
)
async def test_uploaded_video_gets_duration_poster_and_playable_stream(
    client: httpx.AsyncClient, app: Any, tmp_path: Path, codec: tuple[str, ...], transcoded: bool
) -> None:
    admin = await sign_up_admin(client)
    content = _encode(tmp_path / "clip.mp4", *codec)
    asset_id = await upload_id(client, admin, "clip.mp4", content)
    await settle(app, timeout=120)

    info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert info["type"] == "VIDEO"
    assert abs(info["duration"] - 10_000) <= 200
    assert (info["width"], info["height"]) == (640, 360)
    assert info["thumbhash"]
    poster = await client.get(f"/assets/{asset_id}/thumbnail?size=preview", headers=admin.headers)
    assert poster.headers["content-type"] == "image/jpeg"
    assert pyvips.Image.new_from_buffer(poster.content, "").width == 640

    played = await client.get(f"/assets/{asset_id}/video/playback", headers=admin.headers)
    assert played.status_code == 200
    assert (played.content == content) is not transcoded
    assert _codec(played.content, tmp_path) == "h264"
    ranged = await client.get(
        f"/assets/{asset_id}/video/playback", headers={**admin.headers, "Range": "bytes=0-1023"}
    )
    assert ranged.status_code == 206
    assert ranged.content == played.content[:1024]


def test_places_are_named_only_near_a_city() -> None:
    assert place_of(48.137, 11.575) == {"city": "Munich", "state": "Bavaria", "country": "Germany"}
    assert place_of(0.0, -30.0) == {"city": None, "state": None, "country": None}  # mid-Atlantic
    assert place_of(None, None)["city"] is None


async def test_admin_reruns_jobs_for_what_is_missing_or_for_chosen_assets(
    client: httpx.AsyncClient, app: Any
) -> None:
    from albumen.models import Asset
    from tests.support.users import create_user

    admin = await sign_up_admin(client)
    asset_id = await upload_file(client, admin, "albums/nature/wood_anemones.jpg", app)
    async with app.state.container.database.unit_of_work() as db:  # as if its previews were never made
        await db.execute(update(Asset).where(Asset.id == uuid.UUID(asset_id)).values(thumbhash=None))

    started = await client.put(
        "/jobs/thumbnailGeneration", headers=admin.headers, json={"command": "start", "force": False}
    )
    assert started.status_code == 200, started.text
    await settle(app)
    assert (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()["thumbhash"]

    for name in ("refresh-metadata", "regenerate-thumbnail", "transcode-video"):
        ran = await client.post(
            "/assets/jobs", headers=admin.headers, json={"assetIds": [asset_id], "name": name}
        )
        assert ran.status_code == 204, ran.text
    await settle(app)
    # No face detection yet: refused, not accepted and dropped.
    faces = await client.post(
        "/assets/jobs", headers=admin.headers, json={"assetIds": [asset_id], "name": "refresh-faces"}
    )
    assert faces.status_code == 400
    assert faces.json()["message"] == "Job 'AssetDetectFaces' is not supported yet"
    other = await create_user(client, admin, "other@example.com")
    refused = await client.post(
        "/assets/jobs", headers=other.headers, json={"assetIds": [asset_id], "name": "regenerate-thumbnail"}
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "Not found or no asset.update access"


async def test_keywords_become_hierarchical_tags(client: httpx.AsyncClient, app: Any) -> None:
    from albumen.models import Tag
    from albumen.tags.repository import TagRepository

    admin = await sign_up_admin(client)
    picasa = await upload_file(client, admin, "metadata/tags/picasa.jpg", app)
    portrait = await upload_file(client, admin, "metadata/faces/portrait-orientation-6.jpg", app)
    async with app.state.container.database.unit_of_work() as db:
        tags = TagRepository(db)
        assert await tags.values_of(uuid.UUID(picasa)) == ["Frost", "Yard"]
        assert await tags.values_of(uuid.UUID(portrait)) == ["People/Marie Curie", "People/Pierre Curie"]
        parents = {t.value: t.parent_id for t in (await db.scalars(select(Tag))).all()}
    assert parents["People"] is None
    assert parents["People/Marie Curie"] is not None
    await process(app, portrait)  # reading the file again changes nothing
    async with app.state.container.database.unit_of_work() as db:
        assert len((await db.scalars(select(Tag))).all()) == 5


async def failed_thumbnail_jobs(client: httpx.AsyncClient, admin: LoggedIn) -> list[str]:
    response = await client.get(
        "/queues/thumbnailGeneration/jobs", headers=admin.headers, params={"status": "failed"}
    )
    assert response.status_code == 200, response.text
    return [str(job["data"]["id"]) for job in response.json()]


async def test_a_damaged_image_is_skipped_but_a_bug_of_ours_fails_the_job(
    client: httpx.AsyncClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from albumen.media import decoders

    admin = await sign_up_admin(client)
    whole = (ASSETS_DIR / "albums/nature/wood_anemones.jpg").read_bytes()
    damaged = await upload_id(client, admin, "damaged.jpg", whole[: len(whole) // 2])
    garbage = await upload_id(client, admin, "garbage.png", b"\x89PNG\r\n\x1a\n" + b"\x13" * 4096)
    await settle(app)

    assert await failed_thumbnail_jobs(client, admin) == []  # undecodable input: the job still succeeds
    for asset_id in (damaged, garbage):
        info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
        assert info["thumbhash"] is None
        preview = await client.get(f"/assets/{asset_id}/thumbnail", headers=admin.headers)
        assert preview.status_code == 404

    def bug(*args: Any, **kwargs: Any) -> Any:
        raise TypeError("a bug of ours while decoding")

    monkeypatch.setattr(decoders, "oriented_size", bug)
    healthy = await upload_id(client, admin, "healthy.jpg", whole)
    await settle(app, timeout=120)  # three attempts, with back-off

    assert await failed_thumbnail_jobs(client, admin) == [healthy]
    queue = (await client.get("/queues/thumbnailGeneration", headers=admin.headers)).json()
    assert queue["statistics"]["failed"] == 1


@pytest.mark.parametrize(
    ("relative", "place"),
    [  # Immich's e2e expectations (map markers) for the first two; GeoNames admin1 names for the rest
        ("metadata/gps-position/thompson-springs.jpg", ("Palisade", "Colorado")),
        ("formats/heic/IMG_2682.heic", ("Ralston", "Nebraska")),
        ("metadata/dates/gps-datetime.jpg", ("San Francisco", "California")),
        ("metadata/dates/datetimeoriginal-gps.jpg", ("Cedaredge", "Colorado")),
    ],
)
async def test_the_job_chain_names_city_and_state_of_a_photo_with_gps(
    client: httpx.AsyncClient, app: Any, relative: str, place: tuple[str, str]
) -> None:
    admin = await sign_up_admin(client)
    asset_id = await upload_file(client, admin, relative, app)  # the upload's own jobs, nothing more

    exif = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()["exifInfo"]

    assert (exif["city"], exif["state"]) == place


async def test_edited_images_fall_back_to_the_unedited_ones_as_immich_serves_them(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    relative = "albums/nature/wood_anemones.jpg"
    asset_id = await upload_file(client, admin, relative, app)
    base, headers = f"/assets/{asset_id}", admin.headers

    async def get(path: str, **params: str) -> httpx.Response:
        return await client.get(f"{base}/{path}", headers=headers, params=params)

    for size in ("thumbnail", "preview"):  # never edited: edited=true is the unedited image
        unedited = await get("thumbnail", size=size, edited="false")
        edited = await get("thumbnail", size=size, edited="true")
        assert (unedited.status_code, edited.status_code) == (200, 200), (size, edited.text)
        assert edited.content == unedited.content
    # full size is off by default: a browser-ready original serves itself, an edit goes to the preview
    fullsize = await get("thumbnail", size="fullsize", edited="false")
    assert (fullsize.status_code, fullsize.headers["location"]) == (302, f"/api{base}/original")
    fullsize = await get("thumbnail", size="fullsize", edited="true")
    assert fullsize.status_code == 302
    assert fullsize.headers["location"] == f"/api{base}/thumbnail?size=preview&edited=true"
    original = (ASSETS_DIR / relative).read_bytes()
    for flag in ("true", "false"):
        assert (await get("original", edited=flag)).content == original

    # once edited, edited=true serves the edit and edited=false still the unedited image
    thumbnails, edits = app.state.container.storage["thumbnails"], {}
    for size in ("thumbnail", "preview", "fullsize"):
        edits[size] = f"edited-{size}".encode()
        key = f"thumbs/edited/{asset_id}_{size}.jpeg"
        await thumbnails.write(key, _chunks(edits[size]))
        async with app.state.container.database.unit_of_work() as db:
            db.add(AssetFile(asset_id=uuid.UUID(asset_id), type=size, path=key, is_edited=True))
    for size in ("thumbnail", "preview", "fullsize"):
        edited = await get("thumbnail", size=size, edited="true")
        assert (edited.status_code, edited.content) == (200, edits[size])
        unedited = await get("thumbnail", size=size, edited="false")
        assert unedited.content != edits[size]
    assert (await get("original", edited="true")).content == edits["fullsize"]
    assert (await get("original", edited="false")).content == original


async def _chunks(data: bytes) -> Any:
    yield data


async def test_an_original_in_a_bucket_is_downloaded_once_for_the_whole_chain(
    settings: Any, tmp_path: Path
) -> None:
    from albumen.config import StorageSettings
    from albumen.main import create_app
    from tests.support.s3 import running_s3

    with running_s3(tmp_path / "s3") as s3:
        bucket = s3.url("originals")
        app = create_app(settings.model_copy(update={"storage": StorageSettings(originals=bucket)}))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver/api") as http,
        ):
            originals = app.state.container.storage["originals"]
            assert type(originals).__name__ != "LocalStorage"
            whole_reads: list[str] = []
            read = originals.read

            def counting_read(key: str, byte_range: Any = None) -> Any:
                if byte_range is None:
                    whole_reads.append(key)
                return read(key, byte_range)

            originals.read = counting_read
            admin = await sign_up_admin(http)
            hevc = ("-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1")
            content = _encode(tmp_path / "clip.mp4", *hevc)
            asset_id = await upload_id(http, admin, "clip.mp4", content)
            await settle(app, timeout=180)

            info = (await http.get(f"/assets/{asset_id}", headers=admin.headers)).json()
            assert info["thumbhash"]  # every step ran
            assert abs(info["duration"] - 10_000) <= 200
            assert info["exifInfo"]["fileSizeInByte"] == len(content)
            played = await http.get(f"/assets/{asset_id}/video/playback", headers=admin.headers)
            assert played.status_code == 200
            assert played.content != content  # transcoded from the same copy
            assert whole_reads == [info["originalPath"]]  # metadata, poster and transcode: one download
            assert list((settings.data_dir / "cache" / "originals").iterdir()) == []  # discarded at the end
