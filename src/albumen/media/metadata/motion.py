"""Where the video of an Android motion photo lies inside the still."""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from albumen.media.metadata.model import MotionPhotoVideo
from albumen.media.metadata.values import binary_size, int_or_none, struct_field, truthy


def find_motion_photo(
    values: Mapping[str, Any], path: Path, size: int, warnings: list[str]
) -> MotionPhotoVideo | None:
    """Samsung/Google motion photos, by Immich's rules; the bytes are located here for the caller."""
    is_motion, is_micro = truthy(values.get("MotionPhoto")), truthy(values.get("MicroVideo"))
    if not (is_motion or is_micro):
        return None
    length = padding = 0
    directory = values.get("ContainerDirectory") or values.get("Directory")
    if is_motion and isinstance(directory, list):
        for entry in directory:
            item = struct_field(entry, "Item") or entry
            if struct_field(item, "Semantic") == "MotionPhoto":
                length = int_or_none(struct_field(item, "Length")) or 0
                padding = int_or_none(struct_field(item, "Padding")) or 0
                break
    if is_micro and int_or_none(values.get("MicroVideoOffset")) is not None:
        length = int(values["MicroVideoOffset"])
    box_size = binary_size(values.get("MotionPhotoVideo"))
    trailer_size = (
        binary_size(values.get("EmbeddedVideoFile"))
        if values.get("EmbeddedVideoType") == "MotionPhoto_Data"
        else None
    )
    if not length and not trailer_size and not box_size:
        return None
    found: MotionPhotoVideo | None
    if box_size:  # Samsung HEIC: a top-level "mpvd" box holds the MP4
        found = _find_mpvd_box(path)
    elif trailer_size:  # Samsung JPEG: the MP4 follows a "MotionPhoto_Data" marker in the trailer
        found = _find_samsung_trailer(path, trailer_size)
    else:  # Google: the video is the file's last item
        source = "MicroVideo" if is_micro and values.get("MicroVideoOffset") is not None else "Directory"
        found = MotionPhotoVideo(size - length - padding, length, source)
    if found is None or found.length <= 0 or found.offset < 0 or found.offset + found.length > size:
        warnings.append(f"motion photo video not found in {path.name}")
        return None
    return found


def _find_mpvd_box(path: Path) -> MotionPhotoVideo | None:
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            box_size, kind = struct.unpack(">I4s", header[:8])
            header_size = 8
            if box_size == 1 and len(header) == 16:
                box_size, header_size = struct.unpack(">Q", header[8:16])[0], 16
            elif box_size == 0:
                box_size = size - offset
            if box_size < header_size:
                return None
            if kind == b"mpvd":
                return MotionPhotoVideo(offset + header_size, box_size - header_size, "MotionPhotoVideo")
            offset += box_size
    return None


def _find_samsung_trailer(path: Path, length: int) -> MotionPhotoVideo | None:
    marker = b"MotionPhoto_Data"
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = len(data) - length
        position = data.rfind(marker, max(0, end - len(marker) - 65536), end)
        if position < 0:
            return None
        return MotionPhotoVideo(position + len(marker), length, "EmbeddedVideoFile")
