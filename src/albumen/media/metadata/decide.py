"""Immich's choice for each asset and exif column, from the merged tags."""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from albumen.media.metadata.model import MediaMetadata
from albumen.media.metadata.motion import find_motion_photo
from albumen.media.metadata.tags import MergedTags, first_datetime
from albumen.media.metadata.values import (
    bits_per_sample_of,
    device_of,
    dimensions_of,
    duration_ms_of,
    first_present,
    js_str,
    leading_number,
    lens_model_of,
    milliseconds,
    optional_text,
    tag_names,
    validated,
    validated_int,
)

_SIDEWAYS = frozenset({5, 6, 7, 8})
# ---------------------------------------------------------------------------------------------------
# Immich's choices for each column


def decide_columns(
    merged: MergedTags,
    path: Path,
    stat: os.stat_result,
    is_video: bool,
    file_created_at: datetime | None,
    warnings: tuple[str, ...],
) -> MediaMetadata:
    values = merged.values
    notes = list(warnings)
    modified = milliseconds(datetime.fromtimestamp(stat.st_mtime, UTC))  # JavaScript dates, as Immich

    # dates (Immich's getDates)
    first = first_datetime(merged.dates)
    time_zone = merged.zone.name if merged.zone else None
    if first is not None:
        source, taken = first
        zone_info: tzinfo = merged.zone.tz if merged.zone else UTC
        if time_zone is None and taken.raw.rstrip().endswith(("Z", "+00:00")):
            time_zone = "UTC+0"  # Immich's spelling when the zone is only in the date's own text
        instant = taken.value if taken.value.tzinfo else taken.value.replace(tzinfo=UTC)
        original = instant.astimezone(zone_info)
        local = original.replace(tzinfo=UTC)
    else:
        source, time_zone = "file", None
        candidates = [modified, *([file_created_at.astimezone(UTC)] if file_created_at else [])]
        birth = getattr(stat, "st_birthtime", None)
        if birth:
            candidates.append(datetime.fromtimestamp(birth, UTC))
        original = local = milliseconds(min(candidates))

    # dimensions and orientation
    width, height = dimensions_of(values)
    orientation = validated_int(values.get("Orientation"))
    sideways = orientation in _SIDEWAYS
    exif_width, exif_height = validated_int(width), validated_int(height)

    rating = validated_int(values.get("Rating"))
    live_photo = values.get("ContentIdentifier") or values.get("MediaGroupUUID")
    latitude, longitude = merged.latitude, merged.longitude
    has_geo = latitude is not None and longitude is not None and (latitude != 0 or longitude != 0)
    projection = values.get("ProjectionType")
    motion = None if is_video else find_motion_photo(values, path, stat.st_size, notes)

    return MediaMetadata(
        date_time_original=original,
        local_date_time=local,
        date_source=source,
        time_zone=time_zone,
        width=exif_height if sideways else exif_width,
        height=exif_width if sideways else exif_height,
        duration_ms=duration_ms_of(values.get("Duration")),
        file_modified_at=modified,
        exif_image_width=exif_width,
        exif_image_height=exif_height,
        file_size_in_byte=stat.st_size,
        orientation=None if orientation is None else str(orientation),
        make=optional_text(device_of(values, "Make", "Manufacturer", "AndroidMake", "DeviceManufacturer")),
        model=optional_text(device_of(values, "Model", "ModelName", "AndroidModel", "DeviceModelName")),
        lens_model=lens_model_of(values),
        f_number=validated(values.get("FNumber")),
        focal_length=validated(values.get("FocalLength")),
        iso=validated_int(values.get("ISO")),
        exposure_time=optional_text(values.get("ExposureTime")),
        latitude=latitude if has_geo else None,
        longitude=longitude if has_geo else None,
        description=js_str(values.get("ImageDescription") or values.get("Description") or "").strip(),
        rating=rating if rating is not None and 1 <= rating <= 5 else None,
        fps=validated(leading_number(values.get("VideoFrameRate"))),
        projection_type=js_str(projection).upper() if projection else None,
        profile_description=optional_text(values.get("ProfileDescription") or None),
        colorspace=optional_text(values.get("ColorSpace")),
        bits_per_sample=bits_per_sample_of(values),
        live_photo_cid=optional_text(live_photo or None),
        auto_stack_id=optional_text(
            first_present(values, "BurstID", "BurstUUID", "CameraBurstID", "MediaUniqueID")
        ),
        tags=tag_names(values),
        mime_type=optional_text(values.get("MIMEType")),
        motion_photo=motion,
        warnings=tuple(notes),
        raw=values,
    )
