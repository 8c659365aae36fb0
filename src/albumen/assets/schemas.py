"""Asset rows as Immich's DTOs, and the small parsing rules the asset endpoints share."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.media.types import mime_type
from albumen.models import Asset, AssetExif

TRASHED = "trashed"


def parse_checksum(value: str) -> bytes | None:
    """SHA-1 as 40 hex characters or 28 base64 characters (as Immich's fromChecksum); None if neither."""
    text = value.strip()
    try:
        if len(text) == 40:
            return bytes.fromhex(text)
        if len(text) == 28:
            raw = base64.b64decode(text, validate=True)
            return raw if len(raw) == 20 else None
    except (ValueError, binascii.Error):
        return None
    return None


def encode_checksum(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def exif_response(exif: AssetExif | None) -> dto.ExifResponseDto:
    if exif is None:
        return dto.ExifResponseDto()
    return dto.ExifResponseDto(
        make=exif.make,
        model=exif.model,
        exifImageWidth=exif.exif_image_width,
        exifImageHeight=exif.exif_image_height,
        fileSizeInByte=exif.file_size_in_byte,
        orientation=exif.orientation,
        dateTimeOriginal=exif.date_time_original,
        modifyDate=exif.modify_date,
        timeZone=exif.time_zone,
        lensModel=exif.lens_model,
        fNumber=exif.f_number,
        focalLength=exif.focal_length,
        iso=exif.iso,
        exposureTime=exif.exposure_time,
        latitude=exif.latitude,
        longitude=exif.longitude,
        city=exif.city,
        state=exif.state,
        country=exif.country,
        description=exif.description,
        projectionType=exif.projection_type,
        rating=exif.rating,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def asset_response(
    asset: Asset, exif: AssetExif | None = None, *, with_exif: bool = True
) -> dto.AssetResponseDto:
    return dto.AssetResponseDto(
        id=asset.id,
        ownerId=asset.owner_id,
        libraryId=asset.library_id,
        type=dto.AssetTypeEnum(asset.type),
        originalPath=asset.original_path,
        originalFileName=asset.original_file_name,
        originalMimeType=mime_type(asset.original_file_name),
        checksum=encode_checksum(asset.checksum),
        thumbhash=encode_checksum(asset.thumbhash) if asset.thumbhash else None,
        fileCreatedAt=_aware(asset.file_created_at),
        fileModifiedAt=_aware(asset.file_modified_at),
        localDateTime=_aware(asset.local_date_time),
        createdAt=_aware(asset.created_at),
        updatedAt=_aware(asset.updated_at),
        isFavorite=asset.is_favorite,
        isArchived=asset.visibility == "archive",
        isTrashed=asset.status == TRASHED,
        isOffline=asset.is_offline,
        isEdited=asset.is_edited,
        visibility=dto.AssetVisibility(asset.visibility),
        duration=asset.duration,
        livePhotoVideoId=str(asset.live_photo_video_id) if asset.live_photo_video_id else None,
        duplicateId=asset.duplicate_id,
        hasMetadata=exif is not None,
        width=asset.width,
        height=asset.height,
        exifInfo=exif_response(exif) if with_exif else None,
        resized=True,
        people=[],
        tags=[],
    )


def parse_duration(value: str | None) -> int | None:
    """The upload's `duration`: milliseconds, or Immich's H:MM:SS.fff text; junk counts as none."""
    if not value:
        return None
    text = value.strip()
    try:
        if ":" not in text:
            return max(0, int(float(text)))
        hours, minutes, seconds = text.split(":")
        return int((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)
    except ValueError:
        return None


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadRequest(f"{field} must be a UUID") from None


def unique_ids(ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))
