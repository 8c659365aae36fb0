"""What metadata extraction gives back (:class:`MediaMetadata`), its errors, and where a sidecar is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


class MetadataError(Exception):
    """exiftool could not read the file (missing, empty, not a format it knows) or stopped answering."""


class MetadataTimeout(MetadataError):
    """exiftool took longer than the reader's deadline; its process was killed."""


@dataclass(frozen=True, slots=True)
class MotionPhotoVideo:
    """Where the video of an Android motion photo lies inside the still: ``length`` bytes at ``offset``.

    ``source`` says how it was found: MotionPhotoVideo (Samsung HEIC box), EmbeddedVideoFile (Samsung
    JPEG trailer), Directory (Google container) or MicroVideo (older Google).
    """

    offset: int
    length: int
    source: str


@dataclass(frozen=True, slots=True)
class MediaMetadata:
    """What Immich stores from one file's metadata; names follow the ``asset`` and ``asset_exif`` columns."""

    # asset
    date_time_original: datetime  # the instant taken, in ``time_zone`` when known; also file_created_at
    local_date_time: datetime  # wall-clock time where it was taken, as if UTC
    date_source: str  # the tag the date came from, or "file" (earliest of file times)
    time_zone: str | None  # "UTC", "UTC+2", "UTC-5:30", "America/Denver" (Immich's spelling)
    width: int | None  # as displayed (swapped for EXIF orientations 5-8)
    height: int | None
    duration_ms: int | None  # videos and animated images
    file_modified_at: datetime
    # asset_exif
    exif_image_width: int | None
    exif_image_height: int | None
    file_size_in_byte: int
    orientation: str | None
    make: str | None
    model: str | None
    lens_model: str | None
    f_number: float | None
    focal_length: float | None
    iso: int | None
    exposure_time: str | None
    latitude: float | None
    longitude: float | None
    description: str
    rating: int | None
    fps: float | None
    projection_type: str | None
    profile_description: str | None
    colorspace: str | None
    bits_per_sample: int | None
    live_photo_cid: str | None
    auto_stack_id: str | None
    tags: tuple[str, ...]  # tag names ("People/Marie Curie"), for the tag tables
    # for the caller
    mime_type: str | None
    motion_photo: MotionPhotoVideo | None
    warnings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def asset_exif_columns(self) -> dict[str, Any]:
        """Values for ``AssetExif`` (without asset_id and the reverse-geocoded city/state/country)."""
        return {
            "make": self.make,
            "model": self.model,
            "exif_image_width": self.exif_image_width,
            "exif_image_height": self.exif_image_height,
            "file_size_in_byte": self.file_size_in_byte,
            "orientation": self.orientation,
            "date_time_original": self.date_time_original,
            "modify_date": self.file_modified_at,
            "time_zone": self.time_zone,
            "lens_model": self.lens_model,
            "f_number": self.f_number,
            "focal_length": self.focal_length,
            "iso": self.iso,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "description": self.description,
            "fps": self.fps,
            "exposure_time": self.exposure_time,
            "live_photo_cid": self.live_photo_cid,
            "projection_type": self.projection_type,
            "profile_description": self.profile_description,
            "colorspace": self.colorspace,
            "bits_per_sample": self.bits_per_sample,
            "auto_stack_id": self.auto_stack_id,
            "rating": self.rating,
            "tags": list(self.tags) or None,
        }

    def asset_columns(self) -> dict[str, Any]:
        """Values for ``Asset`` that metadata extraction sets."""
        return {
            "local_date_time": self.local_date_time,
            "file_created_at": self.date_time_original,
            "file_modified_at": self.file_modified_at,
            "duration": self.duration_ms,
            "width": self.width,
            "height": self.height,
        }


def find_sidecar(path: Path) -> Path | None:
    """The sidecar Immich would pick for ``path``: ``photo.jpg.xmp``, else ``photo.xmp``."""
    for candidate in (path.with_name(path.name + ".xmp"), path.with_suffix(".xmp")):
        if candidate != path and candidate.is_file():
            return candidate
    return None
