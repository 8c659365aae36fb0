"""The upload chain as jobs, as Immich runs it: metadata → storage template → thumbnails (→ transcode
for videos), then the apps are told the asset is ready. Every handler reads the asset afresh and may
run twice; the next step is queued under the asset's id as key, so it is never queued twice at once."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import structlog

from albumen.assets.repository import AssetRepository
from albumen.assets.schemas import asset_response, encode_checksum
from albumen.assets.tasks import TemplateSettings, apply_storage_template, migrate_storage_template
from albumen.events import messages
from albumen.immich import dto
from albumen.jobs.schemas import JobName, QueueName, concurrency_of
from albumen.kit.effects import side_effects
from albumen.media.images import ImageError
from albumen.media.metadata import MetadataError
from albumen.media.originals import OriginalCache
from albumen.media.tasks import (
    encode_video,
    extract_metadata,
    extract_motion_part,
    generate_thumbnails,
    shared_reader,
    write_sidecar,
)
from albumen.media.video import VideoError
from albumen.storage.base import ObjectNotFound
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.media")
ANNOUNCED = ("timeline", "archive")
SIDECAR_WRITE = "sidecar-write"  # the metadata read that follows a hand edit
QUEUE_ALL_PAGE = 1000
# POST /assets/jobs: what each name re-runs for the chosen assets.
ASSET_JOBS = {
    "refresh-metadata": JobName.AssetExtractMetadata,
    "regenerate-thumbnail": JobName.AssetGenerateThumbnails,
    "transcode-video": JobName.AssetEncodeVideo,
    "refresh-faces": JobName.AssetDetectFaces,  # no face detection yet: refused with a 400
}  # hidden motion parts and the locked folder stay quiet


def register(container: Container) -> None:
    jobs, database, storage = container.jobs, container.database, container.storage
    cache = OriginalCache(
        container.settings.data_dir / "cache" / "originals", container.settings.stale_temporary_seconds
    )

    async def config() -> dict[str, Any]:
        async with database.unit_of_work() as db:
            return await load_config(SystemMetadataRepository(db), container.settings.config_file)

    async def next_step(name: JobName, asset_id: uuid.UUID) -> None:
        await jobs.enqueue(name, {"id": str(asset_id)}, key=str(asset_id))

    async def metadata_step(data: Any) -> None:
        asset_id = uuid.UUID(str(data["id"]))
        after_edit = data.get("source") == SIDECAR_WRITE
        try:
            settings = await config()
            geocode = bool(settings["reverseGeocoding"]["enabled"])
            reader = shared_reader(concurrency_of(QueueName.metadataExtraction, settings))
            metadata = await extract_metadata(
                database, storage, asset_id, reader, reverse_geocoding=geocode, cache=cache
            )
            if metadata is None:
                return  # deleted meanwhile
            if metadata.motion_photo is not None:
                motion_id = await extract_motion_part(database, storage, asset_id, metadata.motion_photo)
                if motion_id is not None:
                    await next_step(JobName.AssetExtractMetadata, motion_id)
        except (MetadataError, ObjectNotFound) as error:  # as Immich: an unreadable file still gets previews
            log.warning("metadata unreadable", asset_id=str(asset_id), error=str(error))
        if after_edit:  # as Immich: the new date may move the file; the previews stay as they are
            await announce_update(container, asset_id)
            await jobs.enqueue(
                JobName.StorageTemplateMigrationSingle, {"id": str(asset_id), "source": SIDECAR_WRITE}
            )
            return
        await next_step(JobName.StorageTemplateMigrationSingle, asset_id)

    async def template_step(data: Any) -> None:
        asset_id = uuid.UUID(str(data["id"]))
        template = TemplateSettings.of(await config())
        if template.enabled:
            await apply_storage_template(database, storage, asset_id, template)
        if data.get("source") != SIDECAR_WRITE:
            await next_step(JobName.AssetGenerateThumbnails, asset_id)

    async def sidecar_write_step(data: Any) -> None:
        """A hand edit: its values go into the XMP sidecar, then the metadata is read again (place,
        local date) and the owner gets `on_asset_update`. Not keyed: each edit writes its own values."""
        asset_id = uuid.UUID(str(data["id"]))
        reader = shared_reader(concurrency_of(QueueName.metadataExtraction, await config()))
        if await write_sidecar(database, storage, asset_id, reader):
            await jobs.enqueue(JobName.AssetExtractMetadata, {"id": str(asset_id), "source": SIDECAR_WRITE})

    async def thumbnail_step(data: Any) -> None:
        asset_id = uuid.UUID(str(data["id"]))
        settings = await config()
        try:
            generated = await generate_thumbnails(
                database, storage, asset_id, settings["image"], str(settings["ffmpeg"]["tonemap"]), cache
            )
        except (ImageError, VideoError) as error:  # retrying cannot decode an undecodable file
            log.warning("no previews for asset", asset_id=str(asset_id), error=str(error))
            cache.discard(asset_id)
            return
        except (FileNotFoundError, ObjectNotFound):
            if await still_there(asset_id):
                raise
            cache.discard(asset_id)
            return  # deleted while we worked: nothing left to do
        if generated is not None and await edited(asset_id):  # its edited renditions follow the original
            await jobs.enqueue(JobName.AssetEditThumbnailGeneration, {"id": str(asset_id)})
        if generated is not None and await announce_ready(container, asset_id):
            await next_step(JobName.AssetEncodeVideo, asset_id)  # the chain's last step uses the copy
        else:
            cache.discard(asset_id)

    async def encode_step(data: Any) -> None:
        asset_id = uuid.UUID(str(data["id"]))
        try:
            await encode_video(database, storage, asset_id, (await config())["ffmpeg"], cache)
        except (FileNotFoundError, ObjectNotFound, VideoError):
            if await still_there(asset_id):
                raise
            # deleted while we worked: nothing left to do
        cache.discard(asset_id)

    async def edited(asset_id: uuid.UUID) -> bool:
        async with database.unit_of_work() as db:
            asset = await AssetRepository(db).get(asset_id)
            return asset is not None and asset.is_edited

    async def still_there(asset_id: uuid.UUID) -> bool:
        async with database.unit_of_work() as db:
            return await AssetRepository(db).get(asset_id) is not None

    def queue_all(work: str, step: JobName) -> Any:
        """The admin's "start" on a queue: the step for every asset missing its result (all if forced)."""

        async def handler(data: Any) -> None:
            force, after, queued = bool((data or {}).get("force")), None, 0
            while True:
                async with database.unit_of_work() as db:
                    page = await AssetRepository(db).needing(
                        work, force=force, after=after, limit=QUEUE_ALL_PAGE
                    )
                if not page:
                    break
                for asset_id in page:
                    await next_step(step, asset_id)
                queued, after = queued + len(page), page[-1]
            log.info("queued for every asset", job=step.value, count=queued, force=force)

        return handler

    async def template_all(data: Any) -> None:
        template = TemplateSettings.of(await config())
        if template.enabled:
            await migrate_storage_template(database, storage, template)

    jobs.register(JobName.AssetExtractMetadataQueueAll, QueueName.metadataExtraction,
                  queue_all("metadata", JobName.AssetExtractMetadata))  # fmt: skip
    jobs.register(JobName.AssetGenerateThumbnailsQueueAll, QueueName.thumbnailGeneration,
                  queue_all("thumbnails", JobName.AssetGenerateThumbnails))  # fmt: skip
    jobs.register(JobName.AssetEncodeVideoQueueAll, QueueName.videoConversion,
                  queue_all("transcode", JobName.AssetEncodeVideo))  # fmt: skip
    jobs.register(JobName.StorageTemplateMigration, QueueName.storageTemplateMigration, template_all)
    jobs.register(JobName.AssetExtractMetadata, QueueName.metadataExtraction, metadata_step)
    jobs.register(JobName.StorageTemplateMigrationSingle, QueueName.storageTemplateMigration, template_step)
    jobs.register(JobName.AssetGenerateThumbnails, QueueName.thumbnailGeneration, thumbnail_step)
    jobs.register(JobName.AssetEncodeVideo, QueueName.videoConversion, encode_step)
    jobs.register(JobName.SidecarWrite, QueueName.sidecar, sidecar_write_step)


async def announce_update(container: Container, asset_id: uuid.UUID) -> None:
    """`on_asset_update` to the owner with the asset as it now reads."""
    async with container.database.unit_of_work() as db:
        repository = AssetRepository(db)
        asset = await repository.get(asset_id)
        if asset is not None:
            response = asset_response(asset, await repository.exif(asset_id))
            side_effects(db).emit(messages.asset_update(asset.owner_id, response))


async def announce_ready(container: Container, asset_id: uuid.UUID) -> bool:
    """`on_upload_success` and `AssetUploadReadyV2` to the owner; True when the asset is a video."""
    async with container.database.unit_of_work() as db:
        repository = AssetRepository(db)
        asset = await repository.get(asset_id)
        if asset is None:
            return False
        exif = await repository.exif(asset_id)
        response = asset_response(asset, exif)
        if asset.visibility in ANNOUNCED:
            effects = side_effects(db)
            effects.emit(messages.upload_success(asset.owner_id, response))
            effects.emit(
                messages.asset_upload_ready(
                    asset.owner_id, _sync_asset(asset), _sync_exif(asset_id, response)
                )
            )
    return asset.type == "VIDEO"


def _sync_asset(asset: Any) -> dto.SyncAssetV2:
    return dto.SyncAssetV2(
        id=asset.id,
        ownerId=asset.owner_id,
        originalFileName=asset.original_file_name,
        thumbhash=encode_checksum(asset.thumbhash) if asset.thumbhash else None,
        checksum=encode_checksum(asset.checksum),
        fileCreatedAt=asset.file_created_at,
        fileModifiedAt=asset.file_modified_at,
        localDateTime=asset.local_date_time,
        createdAt=asset.created_at,
        deletedAt=asset.deleted_at,
        duration=asset.duration,
        height=asset.height,
        width=asset.width,
        isEdited=asset.is_edited,
        isFavorite=asset.is_favorite,
        libraryId=str(asset.library_id) if asset.library_id else None,
        livePhotoVideoId=str(asset.live_photo_video_id) if asset.live_photo_video_id else None,
        stackId=str(asset.stack_id) if asset.stack_id else None,
        type=dto.AssetTypeEnum(asset.type),
        visibility=dto.AssetVisibility(asset.visibility),
    )


def _sync_exif(asset_id: uuid.UUID, response: dto.AssetResponseDto) -> dto.SyncAssetExifV1:
    exif = response.exifInfo or dto.ExifResponseDto()
    fields = {
        name: getattr(exif, name, None) for name in dto.SyncAssetExifV1.model_fields if name != "assetId"
    }
    return dto.SyncAssetExifV1(assetId=asset_id, **fields)
