"""Asset rows as Immich's DTOs, and the small parsing rules the asset endpoints share."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.media import types as media_types
from albumen.media.types import mime_type
from albumen.models import Asset, AssetExif, Tag
from albumen.tags.schemas import tag_response

TRASHED = "trashed"
# asset_exif columns a hand edit locks, by the name Immich records in locked_properties; metadata
# extraction leaves a locked column as the user set it.
LOCKABLE_EXIF = {
    "description": "description",
    "rating": "rating",
    "latitude": "latitude",
    "longitude": "longitude",
    "date_time_original": "dateTimeOriginal",
    "time_zone": "timeZone",
    "tags": "tags",
}
# A locked date also holds the asset's own date columns.
DATE_LOCK_ASSET_COLUMNS = ("file_created_at", "local_date_time")
_DATE = TypeAdapter(AwareDatetime)
_VISIBILITIES = {v.value for v in dto.AssetVisibility}
_MAX_METADATA_ITEMS = 32


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
    response = dto.ExifResponseDto(
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
    )
    # Set after validation: Immich stores -1 for "rejected" and returns it, although its own response
    # schema says 1..5 (UpdateAssetDto accepts -1).
    response.rating = exif.rating
    return response


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def asset_response(
    asset: Asset, exif: AssetExif | None = None, *, with_exif: bool = True, tags: Sequence[Tag] = ()
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
        tags=[tag_response(tag) for tag in tags],
    )


# What a shared link with showMetadata=false may tell of an asset (Immich's SanitizedAssetResponseDto).
SANITIZED_FIELDS = frozenset(
    {"id", "type", "thumbhash", "originalMimeType", "localDateTime", "duration", "livePhotoVideoId"}
    | {"width", "height"}
)


def sanitized_asset(asset: Asset) -> dict[str, Any]:
    """No EXIF, no place, no file name or path, no owner: enough to lay out and show the picture."""
    shown = asset_response(asset, with_exif=False).model_dump(mode="json", include=set(SANITIZED_FIELDS))
    return {**shown, "hasMetadata": False}


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


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """The text fields of an upload (multipart form or resumable-upload metadata), validated."""

    filename: str
    extension: str
    asset_type: str
    file_created_at: datetime
    file_modified_at: datetime
    visibility: str
    is_favorite: bool
    duration: int | None
    live_photo_video_id: uuid.UUID | None
    metadata: list[tuple[str, dict[str, Any]]]

    @classmethod
    def parse(cls, fields: Mapping[str, str], part_name: str) -> UploadRequest:
        filename = clean_name(fields.get("filename") or part_name)
        extension = media_types.extension(filename)
        if extension not in media_types.IMAGE and extension not in media_types.VIDEO:
            raise BadRequest(f"Unsupported file type {filename}")
        visibility = fields.get("visibility") or "timeline"
        if visibility not in _VISIBILITIES:
            raise BadRequest(f"visibility must be one of: {', '.join(sorted(_VISIBILITIES))}")
        motion = fields.get("livePhotoVideoId")
        return cls(
            filename=filename,
            extension=extension,
            asset_type="VIDEO" if extension in media_types.VIDEO else "IMAGE",
            file_created_at=_date(fields, "fileCreatedAt"),
            file_modified_at=_date(fields, "fileModifiedAt"),
            visibility=visibility,
            is_favorite=_boolean(fields, "isFavorite"),
            duration=parse_duration(fields.get("duration")),
            live_photo_video_id=parse_uuid(motion, "livePhotoVideoId") if motion else None,
            metadata=_metadata(fields.get("metadata")),
        )


def clean_name(name: str) -> str:
    """Only the last path component of a client's file name is kept (`../../etc/passwd` → `passwd`)."""
    return PurePosixPath(name.replace("\\", "/")).name.strip() or "file"


def _date(fields: Mapping[str, str], name: str) -> datetime:
    value = fields.get(name)
    if not value:
        raise BadRequest(f"{name} must be a Date instance")
    try:
        return _DATE.validate_python(value)
    except ValidationError:
        try:
            naive = datetime.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"{name} must be a Date instance") from None
        return naive if naive.tzinfo else naive.replace(tzinfo=UTC)


def _boolean(fields: Mapping[str, str], name: str) -> bool:
    value = (fields.get(name) or "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name} must be a boolean value")
    return value in ("true", "1")


def _metadata(raw: str | None) -> list[tuple[str, dict[str, Any]]]:
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        raise BadRequest("metadata must be a JSON array of {key, value}") from None
    if not isinstance(items, list) or len(items) > _MAX_METADATA_ITEMS:
        raise BadRequest("metadata must be a JSON array of {key, value}")
    parsed = []
    for item in items:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("key"), str)
            or not item["key"]
            or not isinstance(item.get("value"), dict)
        ):
            raise BadRequest("metadata must be a JSON array of {key, value}")
        parsed.append((item["key"], item["value"]))
    return parsed
