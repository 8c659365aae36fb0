"""The work after an upload, one step per job: read the metadata, then make the thumbnails.

Each step is idempotent (running it twice gives the same rows and files) and reads the asset fresh,
so a retried or duplicated job is harmless. The bytes come from the originals location; exiftool and
libvips want a file, so an original kept in a bucket is first copied to a temporary file.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import anyio
import structlog

from albumen.assets.repository import AssetRepository, DuplicateAsset
from albumen.assets.schemas import DATE_LOCK_ASSET_COLUMNS, LOCKABLE_EXIF
from albumen.events import messages
from albumen.kit.db import Database
from albumen.kit.effects import side_effects
from albumen.media import video
from albumen.media.images import GeneratedImages, ImageSpec, generate_images
from albumen.media.metadata import MediaMetadata, MetadataReader, MotionPhotoVideo, TagValue
from albumen.media.originals import OriginalCache, downloaded
from albumen.media.places import place_of
from albumen.models import Asset, AssetExif
from albumen.storage.base import ByteRange, StorageBackend
from albumen.storage.layout import encoded_video_key, image_key, motion_part_key, sidecar_key
from albumen.storage.local import LocalStorage
from albumen.tags.repository import TagRepository

log = structlog.get_logger("albumen.media")

_reader: MetadataReader | None = None
_reader_lock = threading.Lock()


def shared_reader(processes: int = 1) -> MetadataReader:
    """The worker process's pool of `processes` exiftool processes (the metadata queue's concurrency),
    started on first use and resized when the setting changes."""
    global _reader
    with _reader_lock:
        if _reader is None:
            _reader = MetadataReader(processes=processes)
            _reader.open()
        elif _reader.processes != processes:
            _reader.resize(processes)
        return _reader


@contextlib.asynccontextmanager
async def local_file(storage: StorageBackend, key: str) -> AsyncIterator[Path]:
    """The object as a path: in place for a local folder, else a temporary copy removed afterwards."""
    if isinstance(storage, LocalStorage):
        yield storage.root / key
        return
    with tempfile.TemporaryDirectory(prefix="albumen-media-") as folder:
        async with downloaded(storage, key, Path(folder) / Path(key).name) as path:
            yield path


def original(
    storage: StorageBackend, key: str, asset_id: uuid.UUID, checksum: bytes, cache: OriginalCache | None
) -> contextlib.AbstractAsyncContextManager[Path]:
    """The asset's original as a path: shared along the job chain with a cache, else as local_file."""
    if cache is None:
        return local_file(storage, key)
    return cache.local_path(storage, key, asset_id, checksum)


async def extract_metadata(
    database: Database,
    storage: Mapping[str, StorageBackend],
    asset_id: uuid.UUID,
    reader: MetadataReader | None = None,
    *,
    reverse_geocoding: bool = True,
    cache: OriginalCache | None = None,
) -> MediaMetadata | None:
    """Reads the original (and its sidecar) and stores dates, place, camera and the rest; pairs a live
    photo with its video by content identifier. None when the asset is gone."""
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        asset = await repository.get(asset_id)
        if asset is None:
            return None
        sidecar = await repository.file(asset_id, "sidecar")
        original_key, created_at, owner_id = asset.original_path, asset.file_created_at, asset.owner_id
        checksum = asset.checksum
    originals = storage["originals"]
    async with contextlib.AsyncExitStack() as stack:
        path = await stack.enter_async_context(original(originals, original_key, asset_id, checksum, cache))
        sidecar_path = (
            await stack.enter_async_context(local_file(originals, sidecar.path)) if sidecar else None
        )
        read = functools.partial(
            (reader or shared_reader()).read, path, sidecar=sidecar_path, file_created_at=created_at
        )
        metadata: MediaMetadata = await anyio.to_thread.run_sync(read)
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        exif = await repository.exif(asset_id)
        locked = set(exif.locked_properties or ()) if exif else set()
        skip_exif = {column for column, name in LOCKABLE_EXIF.items() if name in locked}
        skip_asset = set(DATE_LOCK_ASSET_COLUMNS) if "date_time_original" in skip_exif else set()
        # The stored file's mtime is when it was stored, not the client's fileModifiedAt: keep that.
        skip_asset.add("file_modified_at")
        await repository.update(
            [asset_id], **{k: v for k, v in metadata.asset_columns().items() if k not in skip_asset}
        )
        exif_values = {k: v for k, v in metadata.asset_exif_columns().items() if k not in skip_exif}
        if reverse_geocoding:  # a hand-set position is looked up too
            latitude = exif.latitude if exif and "latitude" in skip_exif else metadata.latitude
            longitude = exif.longitude if exif and "longitude" in skip_exif else metadata.longitude
            exif_values.update(await anyio.to_thread.run_sync(place_of, latitude, longitude))
        await repository.update_exif([asset_id], exif_values, [])
        # The file's keywords become the asset's tags (Immich's applyTagList); tags set by hand are
        # locked, and those stay the asset's tags.
        tag_values = (exif.tags or []) if exif and "tags" in locked else metadata.tags
        await TagRepository(db).replace_asset_tags(owner_id, asset_id, tag_values)
        if metadata.live_photo_cid:
            video = await repository.pair_live_photo(asset_id, metadata.live_photo_cid)
            if video is not None:
                side_effects(db).emit(messages.asset_hidden(video.owner_id, video.id))
    return metadata


async def write_sidecar(
    database: Database, storage: Mapping[str, StorageBackend], asset_id: uuid.UUID, reader: MetadataReader
) -> bool:
    """Writes the asset's hand-edited (locked) values into its XMP sidecar, made beside the original
    when it has none, so the file carries them as Immich's does. False when the asset is gone or
    nothing is locked."""
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        asset = await repository.get(asset_id)
        exif = await repository.exif(asset_id)
        if asset is None or exif is None:
            return False
        tags = sidecar_tags(exif, asset.local_date_time)
        existing = await repository.file(asset_id, "sidecar")
        key = existing.path if existing else sidecar_key(asset.original_path)
    if not tags:
        return False
    originals = storage["originals"]
    with tempfile.TemporaryDirectory(prefix="albumen-sidecar-") as folder:
        path = Path(folder) / "sidecar.xmp"
        if existing is not None:
            async with downloaded(originals, key, path):
                await anyio.to_thread.run_sync(reader.write_tags, path, tags)
                written = path.read_bytes()
        else:
            await anyio.to_thread.run_sync(reader.write_tags, path, tags)
            written = path.read_bytes()
    await originals.write(key, _once(written))
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        if await repository.get(asset_id) is None:  # deleted meanwhile: leave no file behind
            await originals.delete(key)
            return False
        await repository.add_file(asset_id, "sidecar", key)
    return True


def sidecar_tags(exif: AssetExif, local_date_time: datetime) -> dict[str, TagValue]:
    """The XMP tags for the locked values (what a hand edit set); the date keeps its edited offset."""
    locked = set(exif.locked_properties or ())
    tags: dict[str, TagValue] = {}
    if "description" in locked:
        tags["XMP-dc:Description"] = tags["XMP-tiff:ImageDescription"] = exif.description or ""
    if "rating" in locked:
        tags["XMP-xmp:Rating"] = exif.rating or 0
    if "tags" in locked:  # hierarchical values as digiKam writes them, what extraction reads first
        tags["XMP-digiKam:TagsList"] = list(exif.tags or ())
    if "latitude" in locked and exif.latitude is not None:
        tags["XMP-exif:GPSLatitude"] = exif.latitude
    if "longitude" in locked and exif.longitude is not None:
        tags["XMP-exif:GPSLongitude"] = exif.longitude
    if "dateTimeOriginal" in locked and exif.date_time_original is not None:
        moment = exif.date_time_original
        offset = local_date_time.replace(tzinfo=UTC) - moment.astimezone(UTC).replace(tzinfo=UTC)
        if abs(offset) > timedelta(hours=18) or offset % timedelta(minutes=1):
            offset = timedelta()  # not a wall clock of this moment: say it in UTC
        wall_clock = moment.astimezone(timezone(offset))
        tags["XMP-exif:DateTimeOriginal"] = (
            wall_clock.strftime("%Y:%m:%d %H:%M:%S") + wall_clock.isoformat()[-6:]
        )
    return tags


async def generate_thumbnails(
    database: Database,
    storage: Mapping[str, StorageBackend],
    asset_id: uuid.UUID,
    image_config: Mapping[str, Any],
    tonemap: str = "hable",
    cache: OriginalCache | None = None,
) -> GeneratedImages | None:
    """Writes the thumbnail, preview (and full size when enabled) and records them with the thumbhash;
    for a video, from its poster frame. None when the asset is gone."""
    async with database.unit_of_work() as db:
        asset = await AssetRepository(db).get(asset_id)
        if asset is None or asset.type not in ("IMAGE", "VIDEO"):
            return None
        owner_id, original_key, is_video = asset.owner_id, asset.original_path, asset.type == "VIDEO"
        checksum = asset.checksum
    fullsize = image_config["fullsize"]
    make = functools.partial(
        generate_images,
        thumbnail=ImageSpec.from_config(image_config["thumbnail"]),
        preview=ImageSpec.from_config(image_config["preview"]),
        fullsize=ImageSpec.from_config(fullsize) if fullsize.get("enabled") else None,
        colorspace=image_config.get("colorspace", "p3"),
    )
    async with contextlib.AsyncExitStack() as stack:
        path = await stack.enter_async_context(
            original(storage["originals"], original_key, asset_id, checksum, cache)
        )
        if is_video:  # a video's previews come from the frame Immich would pick, as a PNG
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="albumen-poster-")))
            poster = functools.partial(
                video.poster_frame, path, folder / "poster.png", size=int(image_config["preview"]["size"]),
                tonemap=str(tonemap),
            )  # fmt: skip
            await anyio.to_thread.run_sync(poster)
            path = folder / "poster.png"
        generated: GeneratedImages = await anyio.to_thread.run_sync(make, path)
    thumbnails = storage["thumbnails"]
    written: list[tuple[str, str]] = []
    for size, encoded in (("thumbnail", generated.thumbnail), ("preview", generated.preview),
                          ("fullsize", generated.fullsize)):  # fmt: skip
        if encoded is None:
            continue
        key = image_key(owner_id, asset_id, size, "webp" if encoded.format == "webp" else "jpeg")
        await thumbnails.write(key, _once(encoded.data))
        written.append((size, key))
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        if await repository.get(asset_id) is None:  # deleted meanwhile: leave no files behind
            for _, key in written:
                await thumbnails.delete(key)
            return None
        for size, key in written:
            await repository.add_file(asset_id, size, key)
        await repository.update([asset_id], thumbhash=generated.thumbhash)
        await repository.fill_dimensions(asset_id, generated.width, generated.height)
    log.info("thumbnails generated", asset_id=str(asset_id), decoder=generated.decoder)
    return generated


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def encode_video(
    database: Database,
    storage: Mapping[str, StorageBackend],
    asset_id: uuid.UUID,
    ffmpeg_config: Mapping[str, Any],
    cache: OriginalCache | None = None,
) -> str | None:
    """Transcodes a video when Immich's `ffmpeg` policy asks for it and records the result; returns the
    stored key, or None when the original plays as it is (a stale transcode is then removed)."""
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        asset = await repository.get(asset_id)
        if asset is None or asset.type != "VIDEO":
            return None
        owner_id, original_key, checksum = asset.owner_id, asset.original_path, asset.checksum
        previous = await repository.file(asset_id, "encoded_video")
    encoded = storage["encoded_video"]
    key = encoded_video_key(owner_id, asset_id)
    async with contextlib.AsyncExitStack() as stack:
        path = await stack.enter_async_context(
            original(storage["originals"], original_key, asset_id, checksum, cache)
        )
        info = await anyio.to_thread.run_sync(video.probe, path)
        plan = video.transcode_plan(info, ffmpeg_config)
        if plan is None:
            if previous is not None:
                async with database.unit_of_work() as db:
                    await AssetRepository(db).remove_file(asset_id, "encoded_video")
                await encoded.delete(previous.path)
            return None
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="albumen-transcode-")))
        output = folder / "encoded.mp4"
        await anyio.to_thread.run_sync(functools.partial(video.transcode, path, output, plan))
        async with await anyio.open_file(output, "rb") as handle:
            await encoded.write(key, _chunks(handle))
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        if await repository.get(asset_id) is None:
            await encoded.delete(key)
            return None
        await repository.add_file(asset_id, "encoded_video", key)
    log.info("video transcoded", asset_id=str(asset_id), target=plan.target)
    return key


async def _chunks(handle: Any) -> AsyncIterator[bytes]:
    while chunk := await handle.read(1024 * 1024):
        yield chunk


async def extract_motion_part(
    database: Database, storage: Mapping[str, StorageBackend], asset_id: uuid.UUID, motion: MotionPhotoVideo
) -> uuid.UUID | None:
    """Copies the video embedded in an Android motion photo out as its own hidden asset (Immich's
    `encoded-video/<owner>/xx/yy/<uuid>-MP.mp4`, kept in the originals location) and links the still
    to it. Returns the new video's id, or None when nothing new was made (already linked, or the same
    video bytes are already an asset, which is then linked)."""
    async with database.unit_of_work() as db:
        asset = await AssetRepository(db).get(asset_id)
        if asset is None or asset.type != "IMAGE" or asset.live_photo_video_id is not None:
            return None
        owner_id, original_key = asset.owner_id, asset.original_path
        created_at, modified_at, local = asset.file_created_at, asset.file_modified_at, asset.local_date_time
        name = f"{PurePosixPath(asset.original_file_name).stem}.mp4"
    originals = storage["originals"]
    span = ByteRange(motion.offset, motion.offset + motion.length - 1)
    written = await originals.write_temporary(originals.read(original_key, span))
    key = motion_part_key(owner_id, uuid.uuid4())
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        existing = (await repository.uploads_by_checksum(owner_id, [written.sha1])).get(written.sha1)
        if existing is not None:
            await originals.discard(written.key)
            await repository.update([asset_id], live_photo_video_id=existing.id)
            return None
        await originals.commit(written.key, key)
        video_asset = Asset(
            owner_id=owner_id, type="VIDEO", original_path=key, original_file_name=name,
            file_created_at=created_at, file_modified_at=modified_at, local_date_time=local,
            checksum=written.sha1, checksum_algorithm="sha1", visibility="hidden",
        )  # fmt: skip
        try:
            await repository.create_upload(video_asset, written.size)
        except DuplicateAsset:  # a concurrent run made it first: use that one
            await originals.delete(key)
            again = await repository.uploads_by_checksum(owner_id, [written.sha1])
            await repository.update([asset_id], live_photo_video_id=again[written.sha1].id)
            return None
        await repository.update([asset_id], live_photo_video_id=video_asset.id)
        await repository.add_usage(owner_id, written.size)
    log.info("motion photo video extracted", asset_id=str(asset_id), video_id=str(video_asset.id))
    return video_asset.id
