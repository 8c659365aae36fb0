"""Asset use cases: upload (streamed, deduplicated), read, change, trash and delete.

Files and rows move in an order that never loses a byte: an upload commits its file before the row
that points at it (a crash leaves an unreferenced file for the orphan sweep, never a row without a
file); a delete removes rows first and files only after the transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.assets.repository import AssetRepository, DuplicateAsset, StoredFile
from albumen.assets.schemas import (
    LOCKABLE_EXIF,
    UploadRequest,
    asset_response,
    parse_checksum,
    parse_uuid,
    sanitized_asset,
    unique_ids,
)
from albumen.authn.schemas import AuthContext
from albumen.events import messages
from albumen.immich import dto
from albumen.jobs.schemas import JobName
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest, NotFound
from albumen.media import types as media_types
from albumen.models import Asset, User
from albumen.stacks.schemas import asset_stack
from albumen.stacks.service import StackService
from albumen.storage.base import StorageBackend, WriteResult
from albumen.storage.layout import ASSET_FILE_KIND, StorageKind, sidecar_key, upload_key
from albumen.tags.repository import TagRepository
from albumen.users.schemas import user_dto

log = structlog.get_logger("albumen.assets")

# Formats a browser shows as they are: a "fullsize" request for one of these is the original.
WEB_FORMATS = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif", ".bmp"}
MAX_SHIFT_MINUTES = 10_000 * 366 * 24 * 60
ASSET_FIELD = "assetData"
SIDECAR_FIELD = "sidecarData"
# What an upload body may hold besides the file (text fields, boundaries, a sidecar) before the early quota
# check counts it against the file: the fields' limit (64 fields of 64 KiB) plus 4 MiB for an XMP sidecar.
FORM_ALLOWANCE = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class MediaFile:
    kind: StorageKind
    key: str
    filename: str | None


@dataclass(frozen=True, slots=True)
class MediaRedirect:
    """Serve another size instead: "original" or "preview"."""

    to: str


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    id: uuid.UUID
    created: bool


@dataclass
class Staged:
    """Temporaries of one upload, committed or discarded together."""

    originals: StorageBackend
    asset: WriteResult | None = None
    sidecar: WriteResult | None = None
    committed: list[str] = field(default_factory=list)

    async def discard(self) -> None:
        """Idempotent: a second call finds nothing left to remove."""
        temporaries = [staged.key for staged in (self.asset, self.sidecar) if staged is not None]
        committed, self.committed = self.committed, []
        self.asset = self.sidecar = None
        for key in temporaries:
            await self.originals.discard(key)
        for key in committed:
            await self.originals.delete(key)


class AssetService:
    def __init__(self, db: AsyncSession, storage: Mapping[str, StorageBackend]) -> None:
        self.db = db
        self.storage = storage
        self.repository = AssetRepository(db)
        self.access = AccessService(db)

    # --- upload ------------------------------------------------------------------------------

    async def existing_upload(self, auth: AuthContext, checksum_header: str | None) -> uuid.UUID | None:
        """`x-immich-checksum`: the duplicate answer before a byte of the body is read."""
        checksum = parse_checksum(checksum_header) if checksum_header else None
        if checksum is None:
            return None
        found = await self.repository.uploads_by_checksum(auth.user.id, [checksum])
        return found[checksum].id if checksum in found else None

    @staticmethod
    def require_quota(auth: AuthContext, size: int) -> None:
        quota = auth.user.quota_size_in_bytes
        if quota is not None and quota >= 0 and auth.user.quota_usage_in_bytes + size > quota:
            raise BadRequest("Quota has been exceeded!")

    @classmethod
    def require_quota_for_body(cls, auth: AuthContext, body_length: int) -> None:
        """Refuses before the body streams an upload whose file surely cannot fit. The quota counts the
        file alone, and the declared body length also holds the form's other fields (and a sidecar),
        so that much is allowed for (a file that fits is refused here only beside a sidecar over 4 MiB)."""
        cls.require_quota(auth, body_length - FORM_ALLOWANCE)

    async def stage_file(self, name: str, _filename: str, chunks: AsyncIterable[bytes]) -> WriteResult:
        """Writes one file part of an upload form to a temporary, as the body streams in."""
        if name not in (ASSET_FIELD, SIDECAR_FIELD):
            raise BadRequest(f"Unexpected field {name}")
        return await self.storage["originals"].write_temporary(chunks)

    async def discard_file(self, staged: WriteResult) -> None:
        await self.storage["originals"].discard(staged.key)

    async def upload(
        self,
        auth: AuthContext,
        fields: Mapping[str, str],
        files: Mapping[str, Sequence[tuple[str, WriteResult]]],
    ) -> UploadOutcome:
        """The multipart upload, once its file parts sit in temporaries (`stage_file`)."""
        try:
            asset_part = _single(files, ASSET_FIELD, required=True)
            sidecar = _single(files, SIDECAR_FIELD, required=False)
        except BaseException:
            for parts in files.values():
                for _, written in parts:
                    await self.discard_file(written)
            raise
        assert asset_part is not None
        originals = self.storage["originals"]
        staged = Staged(originals, asset=asset_part[1], sidecar=sidecar[1] if sidecar else None)
        return await self.store_upload(auth, fields, asset_part[0], staged, sidecar[0] if sidecar else None)

    async def store_upload(
        self,
        auth: AuthContext,
        fields: Mapping[str, str],
        part_name: str,
        staged: Staged,
        sidecar_name: str | None,
    ) -> UploadOutcome:
        """Validates an upload whose bytes sit in temporaries, then commits file and row (or discards
        both). Shared by the plain multipart upload and the resumable one."""
        try:
            return await self._store_upload(auth, fields, part_name, staged, sidecar_name)
        except BaseException:
            await staged.discard()
            raise

    async def _store_upload(
        self,
        auth: AuthContext,
        fields: Mapping[str, str],
        part_name: str,
        staged: Staged,
        sidecar_name: str | None,
    ) -> UploadOutcome:
        assert staged.asset is not None
        written = staged.asset
        request = UploadRequest.parse(fields, part_name)
        if sidecar_name is not None and media_types.extension(sidecar_name) not in media_types.SIDECAR:
            raise BadRequest(f"Unsupported file type {sidecar_name}")
        if written.size == 0:
            raise BadRequest("File is empty")
        self.require_quota(auth, written.size)

        existing = await self.repository.uploads_by_checksum(auth.user.id, [written.sha1])
        if written.sha1 in existing:
            await staged.discard()
            return UploadOutcome(existing[written.sha1].id, created=False)
        if request.live_photo_video_id is not None:
            await self._link_motion_part(auth, request.live_photo_video_id)

        key = upload_key(auth.user.id, uuid.uuid4(), request.extension.lstrip("."))
        await staged.originals.commit(written.key, key)
        staged.committed.append(key)
        staged.asset = None
        if staged.sidecar is not None:
            await staged.originals.commit(staged.sidecar.key, sidecar_key(key))
            staged.committed.append(sidecar_key(key))
            staged.sidecar = None

        asset = Asset(
            owner_id=auth.user.id,
            type=request.asset_type,
            original_path=key,
            original_file_name=request.filename,
            file_created_at=request.file_created_at,
            file_modified_at=request.file_modified_at,
            local_date_time=request.file_created_at,
            checksum=written.sha1,
            checksum_algorithm="sha1",
            is_favorite=request.is_favorite,
            duration=request.duration,
            visibility=request.visibility,
            live_photo_video_id=request.live_photo_video_id,
        )
        size = written.size
        try:
            await self.repository.create_upload(asset, size)
        except DuplicateAsset:
            await staged.discard()
            again = await self.repository.uploads_by_checksum(auth.user.id, [asset.checksum])
            return UploadOutcome(again[asset.checksum].id, created=False)
        if request.metadata:
            await self.repository.upsert_metadata(asset.id, request.metadata)
        if sidecar_name is not None:
            await self.repository.add_file(asset.id, "sidecar", sidecar_key(key))
        await self.repository.add_usage(auth.user.id, size)
        log.info("asset uploaded", asset_id=str(asset.id), size=size, type=asset.type)
        # The first link of the media chain (metadata → template → thumbnails), once the row is in.
        side_effects(self.db).queue(JobName.AssetExtractMetadata, {"id": str(asset.id)}, key=str(asset.id))
        return UploadOutcome(asset.id, created=True)

    async def _link_motion_part(self, auth: AuthContext, video_id: uuid.UUID) -> None:
        video = await self.repository.get(video_id)
        if video is None:
            raise BadRequest("Live photo video not found")
        if video.type != "VIDEO":
            raise BadRequest("Live photo video must be a video")
        if video.owner_id != auth.user.id:
            raise BadRequest("Live photo video does not belong to the user")
        if video.visibility == "timeline":
            await self.repository.update([video.id], visibility="hidden")
            side_effects(self.db).emit(messages.asset_hidden(auth.user.id, video.id))

    async def check_bulk_upload(
        self, auth: AuthContext, body: dto.AssetBulkUploadCheckDto
    ) -> dto.AssetBulkUploadCheckResponseDto:
        parsed = [(item.id, parse_checksum(item.checksum)) for item in body.assets]
        found = await self.repository.uploads_by_checksum(
            auth.user.id, [checksum for _, checksum in parsed if checksum is not None]
        )
        results = []
        for client_id, checksum in parsed:
            existing = found.get(checksum) if checksum is not None else None
            if existing is None:
                results.append(
                    dto.AssetBulkUploadCheckResult(id=client_id, action=dto.AssetUploadAction.accept)
                )
            else:
                results.append(
                    dto.AssetBulkUploadCheckResult(
                        id=client_id,
                        action=dto.AssetUploadAction.reject,
                        reason=dto.AssetRejectReason.duplicate,
                        assetId=existing.id,
                        isTrashed=existing.is_trashed,
                    )
                )
        return dto.AssetBulkUploadCheckResponseDto(results=results)

    # --- read --------------------------------------------------------------------------------

    async def require_upload(self, auth: AuthContext) -> None:
        """Through a shared link only with allowUpload (the asset then belongs to the link's owner)."""
        if auth.shared_link is not None:
            await self.access.require(auth, dto.Permission.asset_upload, [auth.user.id])

    async def get_shown(
        self, auth: AuthContext, asset_id: uuid.UUID
    ) -> dto.AssetResponseDto | dict[str, Any]:
        """`get`, or the sanitized form for a shared link without metadata."""
        if auth.shows_metadata:
            return await self.get(auth, asset_id)
        await self.access.require(auth, dto.Permission.asset_read, [asset_id])
        return sanitized_asset(await self._load(asset_id))

    async def get(self, auth: AuthContext, asset_id: uuid.UUID) -> dto.AssetResponseDto:
        """A shared link never sees the owner."""
        await self.access.require(auth, dto.Permission.asset_read, [asset_id])
        asset = await self._load(asset_id)
        tags = (await TagRepository(self.db).of_assets([asset_id]))[asset_id]
        response = asset_response(asset, await self.repository.exif(asset_id), tags=tags)
        response.stack = asset_stack(await StackService(self.db).summary(asset.stack_id))
        owner = await self.db.get(User, asset.owner_id) if auth.shared_link is None else None
        if owner is not None:
            response.owner = user_dto(owner)
        return response

    async def _load(self, asset_id: uuid.UUID) -> Asset:
        asset = await self.repository.get(asset_id)
        if asset is None:  # access said yes a moment ago; deleted since
            raise BadRequest("Asset not found")
        return asset

    async def statistics(
        self,
        auth: AuthContext,
        *,
        is_favorite: bool | None,
        is_trashed: bool | None,
        visibility: dto.AssetVisibility | None,
    ) -> dto.AssetStatsResponseDto:
        counts = await self.repository.count_by_type(
            auth.user.id,
            is_favorite=is_favorite,
            is_trashed=is_trashed,
            visibility=visibility.value if visibility is not None else None,
        )
        return dto.AssetStatsResponseDto(images=counts.images, videos=counts.videos, total=counts.total)

    async def queue_jobs(self, auth: AuthContext, ids: Sequence[uuid.UUID], job: JobName) -> None:
        """Re-running an asset's jobs is a change to it: the caller must be allowed to update each."""
        wanted = unique_ids(ids)
        await self.access.require(auth, dto.Permission.asset_update, wanted)
        effects = side_effects(self.db)
        for asset_id in wanted:
            effects.queue(job, {"id": str(asset_id)}, key=str(asset_id))

    # --- files -------------------------------------------------------------------------------

    async def original_file(
        self, auth: AuthContext, asset_id: uuid.UUID, *, edited: bool = False
    ) -> MediaFile:
        """The original; with `edited`, the edited full-size image when the asset has one."""
        await self.access.require(auth, dto.Permission.asset_download, [asset_id])
        asset = await self._media_asset(asset_id, "Asset media not found")
        edit = await self.repository.file(asset_id, "fullsize", edited=True) if edited else None
        kind, path = (ASSET_FILE_KIND["fullsize"], edit.path) if edit else ("originals", asset.original_path)
        # The name a browser saves: the original name's stem with the served file's real extension.
        name = f"{_shown_stem(auth, asset)}{PurePosixPath(path).suffix}"
        return MediaFile(kind, path, name)

    async def image_file(
        self, auth: AuthContext, asset_id: uuid.UUID, size: str, *, edited: bool
    ) -> MediaFile | MediaRedirect:
        """A generated image, or where to look instead: `original` always redirects to the original,
        a missing `fullsize` to the original (a format browsers show) or else to the preview."""
        await self.access.require(auth, dto.Permission.asset_view, [asset_id])
        asset = await self._media_asset(asset_id, "Asset media not found")
        if size == "original":
            return MediaRedirect("original")
        # `edited` prefers the edited image and falls back to the unedited one (an asset never edited).
        stored = await self.repository.file(asset_id, size, edited=True) if edited else None
        stored = stored or await self.repository.file(asset_id, size)
        if stored is None and size == "fullsize":
            web = PurePosixPath(asset.original_path).suffix.lower() in WEB_FORMATS
            return MediaRedirect("original" if web and not edited else "preview")
        if stored is None:
            raise NotFound("Asset media not found")
        name = f"{_shown_stem(auth, asset)}_{size}{PurePosixPath(stored.path).suffix}"
        return MediaFile(ASSET_FILE_KIND[size], stored.path, name)

    async def video_file(self, auth: AuthContext, asset_id: uuid.UUID) -> MediaFile:
        """The transcode when there is one, else the original."""
        await self.access.require(auth, dto.Permission.asset_view, [asset_id])
        asset = await self._media_asset(asset_id, "Asset not found or asset is not a video")
        if asset.type != "VIDEO":
            raise NotFound("Asset not found or asset is not a video")
        encoded = await self.repository.file(asset_id, "encoded_video")
        if encoded is not None:
            return MediaFile("encoded_video", encoded.path, None)
        return MediaFile("originals", asset.original_path, None)

    async def _media_asset(self, asset_id: uuid.UUID, missing: str) -> Asset:
        asset = await self.repository.get(asset_id)
        if asset is None:
            raise NotFound(missing)
        return asset

    # --- change ------------------------------------------------------------------------------

    async def update(
        self, auth: AuthContext, asset_id: uuid.UUID, body: dto.UpdateAssetDto
    ) -> dto.AssetResponseDto:
        await self.access.require(auth, dto.Permission.asset_update, [asset_id])
        changes = body.model_dump(exclude_unset=True)
        if "livePhotoVideoId" in changes:
            video_id = changes.pop("livePhotoVideoId")
            if video_id is None:
                await self._unlink_motion_part(asset_id)
            else:
                await self._link_motion_part(auth, video_id)  # only the caller's own videos
                await self.repository.update([asset_id], live_photo_video_id=video_id)
        await self._apply(auth, [asset_id], changes)
        return await self.get(auth, asset_id)

    async def update_many(self, auth: AuthContext, body: dto.AssetBulkUpdateDto) -> None:
        ids = unique_ids([uuid.UUID(str(item.root if hasattr(item, "root") else item)) for item in body.ids])
        await self.access.require(auth, dto.Permission.asset_update, ids)
        changes = body.model_dump(exclude_unset=True, exclude={"ids"})
        relative = changes.pop("dateTimeRelative", None)
        if relative is not None and "dateTimeOriginal" not in changes:
            if abs(int(relative)) > MAX_SHIFT_MINUTES:
                raise BadRequest("dateTimeRelative must be within 10,000 years")
            await self._shift_dates(ids, int(relative))
        await self._apply(auth, ids, changes)

    async def _apply(self, auth: AuthContext, ids: list[uuid.UUID], changes: dict[str, Any]) -> None:
        asset_values: dict[str, Any] = {}
        exif_values: dict[str, Any] = {}
        if changes.get("isFavorite") is not None:
            asset_values["is_favorite"] = changes["isFavorite"]
        if changes.get("visibility") is not None:
            visibility = changes["visibility"]
            asset_values["visibility"] = getattr(visibility, "value", visibility)
        if "duplicateId" in changes:
            duplicate = changes["duplicateId"]
            asset_values["duplicate_id"] = parse_uuid(duplicate, "duplicateId") if duplicate else None
        if changes.get("description") is not None:
            exif_values["description"] = changes["description"]
        if "rating" in changes:
            exif_values["rating"] = changes["rating"]
        if changes.get("latitude") is not None and changes.get("longitude") is not None:
            exif_values["latitude"] = changes["latitude"]
            exif_values["longitude"] = changes["longitude"]
        if changes.get("dateTimeOriginal"):
            moment = _parse_any_date(changes["dateTimeOriginal"])
            exif_values["date_time_original"] = moment
            zone = changes.get("timeZone") or fixed_zone_name(changes["dateTimeOriginal"])
            if zone:
                exif_values["time_zone"] = zone
            asset_values["file_created_at"] = moment
            asset_values["local_date_time"] = moment.replace(tzinfo=UTC)  # its wall clock, kept as UTC
        await self.repository.update(ids, **asset_values)
        if exif_values:
            locked = [LOCKABLE_EXIF[name] for name in exif_values if name in LOCKABLE_EXIF]
            await self.repository.update_exif(ids, exif_values, locked)
            effects = side_effects(self.db)  # the sidecar gets the edit, then the metadata is read again
            for asset_id in ids:
                effects.queue(JobName.SidecarWrite, {"id": str(asset_id)})

    async def _shift_dates(self, ids: list[uuid.UUID], minutes: int) -> None:
        """Moves each asset's dates, its exif dateTimeOriginal too (which Immich moves, and locks, so
        the sidecar gets it and a later metadata read keeps it)."""
        shift = timedelta(minutes=minutes)
        effects = side_effects(self.db)
        for asset in await self.repository.get_many(ids):
            exif = await self.repository.exif(asset.id)
            taken = exif.date_time_original if exif is not None else None
            try:
                moved = asset.file_created_at + shift, asset.local_date_time + shift
                moved_taken = taken + shift if taken is not None else None
            except OverflowError:
                raise BadRequest("dateTimeRelative moves a date out of range") from None
            await self.repository.update([asset.id], file_created_at=moved[0], local_date_time=moved[1])
            if moved_taken is not None:
                await self.repository.update_exif(
                    [asset.id], {"date_time_original": moved_taken}, [LOCKABLE_EXIF["date_time_original"]]
                )
                effects.queue(JobName.SidecarWrite, {"id": str(asset.id)})

    async def _unlink_motion_part(self, asset_id: uuid.UUID) -> None:
        asset = await self._load(asset_id)
        if asset.live_photo_video_id is not None:
            await self.repository.update([asset.live_photo_video_id], visibility="timeline")
            await self.repository.update([asset_id], live_photo_video_id=None)

    async def copy(self, auth: AuthContext, body: dto.AssetCopyDto) -> None:
        """Moves what belongs to the asset rather than its bytes onto another asset (Immich's "copy",
        used when a photo is replaced by an edited version): albums, shared links, stack, favourite
        and sidecar. Each part can be left out."""
        await self.access.require(auth, dto.Permission.asset_copy, [body.sourceId, body.targetId])
        source, target = await self.repository.get(body.sourceId), await self.repository.get(body.targetId)
        if source is None or target is None:
            raise BadRequest("Both assets must exist")
        if source.id == target.id:
            raise BadRequest("Source and target id must be distinct")
        await self.repository.copy_memberships(
            source.id, target.id, albums=body.albums is not False, links=body.sharedLinks is not False
        )
        if body.stack is not False and source.stack_id is not None:
            await self.repository.update([target.id], stack_id=source.stack_id)
        if body.favorite is not False:
            await self.repository.update([target.id], is_favorite=source.is_favorite)
        if body.sidecar is not False:
            await self._copy_sidecar(source.id, target)

    async def _copy_sidecar(self, source_id: uuid.UUID, target: Asset) -> None:
        sidecar = await self.repository.file(source_id, "sidecar")
        if sidecar is None:
            return
        originals = self.storage["originals"]
        key = f"{target.original_path}.xmp"
        await originals.write(key, originals.read(sidecar.path))
        await self.repository.add_file(target.id, "sidecar", key)

    # --- metadata ----------------------------------------------------------------------------

    async def metadata(self, auth: AuthContext, asset_id: uuid.UUID) -> list[dto.AssetMetadataResponseDto]:
        await self.access.require(auth, dto.Permission.asset_read, [asset_id])
        return [_metadata_response(item) for item in await self.repository.metadata(asset_id)]

    async def metadata_item(
        self, auth: AuthContext, asset_id: uuid.UUID, key: str
    ) -> dto.AssetMetadataResponseDto:
        await self.access.require(auth, dto.Permission.asset_read, [asset_id])
        items = await self.repository.metadata(asset_id, key)
        if not items:
            raise BadRequest(f"Asset metadata {key} not found")
        return _metadata_response(items[0])

    async def update_metadata(
        self, auth: AuthContext, asset_id: uuid.UUID, items: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[dto.AssetMetadataResponseDto]:
        await self.access.require(auth, dto.Permission.asset_update, [asset_id])
        await self.repository.upsert_metadata(asset_id, items)
        return [
            _metadata_response(item)
            for item in await self.repository.metadata(asset_id)
            if item.key in dict(items)
        ]

    async def delete_metadata(self, auth: AuthContext, pairs: Sequence[tuple[uuid.UUID, str]]) -> None:
        await self.access.require(auth, dto.Permission.asset_update, {asset_id for asset_id, _ in pairs})
        await self.repository.delete_metadata(pairs)

    # --- trash and delete --------------------------------------------------------------------

    async def delete(
        self, auth: AuthContext, ids: Sequence[uuid.UUID], *, force: bool, trash_enabled: bool
    ) -> None:
        """Trash, or delete for good (force, or trash disabled). The owner's clients hear of it after
        the commit (asset.delete access means the caller owns them all)."""
        wanted = unique_ids(ids)
        await self.access.require(auth, dto.Permission.asset_delete, wanted)
        effects = side_effects(self.db)
        if force or not trash_enabled:
            for asset_id in await self.purge(wanted):  # with the motion parts that went along
                effects.emit(messages.asset_delete(auth.user.id, asset_id))
            return
        await self.repository.trash(wanted, datetime.now(UTC))
        effects.emit(messages.asset_trash(auth.user.id, wanted))

    async def restore(self, auth: AuthContext, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        wanted = unique_ids(ids)
        await self.access.require(auth, dto.Permission.asset_delete, wanted)
        await self.repository.restore(wanted)
        side_effects(self.db).emit(messages.asset_restore(auth.user.id, wanted))
        return wanted

    async def restore_trash(self, auth: AuthContext) -> list[uuid.UUID]:
        ids = await self.repository.trashed_ids(auth.user.id)
        await self.repository.restore(ids)
        if ids:
            side_effects(self.db).emit(messages.asset_restore(auth.user.id, ids))
        return ids

    async def empty_trash(self, auth: AuthContext) -> list[uuid.UUID]:
        ids = await self.repository.trashed_ids(auth.user.id)
        effects = side_effects(self.db)
        for asset_id in await self.purge(ids):
            effects.emit(messages.asset_delete(auth.user.id, asset_id))
        return ids

    async def purge(self, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """Rows go now, their files once the transaction has committed. A live photo's hidden motion
        part goes with its still unless another still links to it, as in Immich. Returns every id
        that went, motion parts included."""
        ids = unique_ids([*ids, *await self.repository.motion_parts(ids)])
        files = await self.repository.stored_files(ids)
        await StackService(self.db).release(ids)  # a stack's primary may not go while the stack stays
        for owner_id, size in await self.repository.delete_for_good(ids):
            await self.repository.add_usage(owner_id, -size)
        if files:
            side_effects(self.db).after_commit(
                lambda: self.remove_files(files), what="removing deleted files"
            )
        return ids

    async def remove_files(self, files: Sequence[StoredFile]) -> None:
        for stored in files:
            backend = self.storage[ASSET_FILE_KIND.get(stored.asset_file_type, "originals")]
            try:
                await backend.delete(stored.key)
            except Exception as error:  # a file left behind is swept later; the rows are gone already
                log.warning("could not delete file", key=stored.key, error=str(error))


def _single(
    files: Mapping[str, Sequence[tuple[str, WriteResult]]], name: str, *, required: bool
) -> tuple[str, WriteResult] | None:
    parts = files.get(name, [])
    if len(parts) > 1:
        raise BadRequest(f"Too many files in field {name}")
    if not parts:
        if required:
            raise BadRequest(f"Field(s) {name} should not be empty")
        return None
    return parts[0]


def fixed_zone_name(text: str) -> str | None:
    """The zone an ISO datetime names by its offset, as Immich (luxon) calls it: "UTC" for Z or +00:00,
    "UTC-7", "UTC+5:30"; None without an offset (a wall-clock time names no zone)."""
    try:
        offset = datetime.fromisoformat(text).utcoffset()
    except ValueError:
        return None
    if offset is None:
        return None
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def _parse_any_date(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest("dateTimeOriginal must be an ISO 8601 date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _metadata_response(item: Any) -> dto.AssetMetadataResponseDto:
    return dto.AssetMetadataResponseDto(key=item.key, value=item.value, updatedAt=item.updated_at)


def _shown_stem(auth: AuthContext, asset: Asset) -> str:
    """The download name's stem: the original's, or the id for a link that hides metadata."""
    return PurePosixPath(asset.original_file_name).stem if auth.shows_metadata else str(asset.id)
