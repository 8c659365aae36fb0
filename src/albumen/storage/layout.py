"""Where each kind of file lives: Immich's folder layout (CONTRACT.md §16) as storage keys.

Keys are relative to the location of their kind (ALBUMEN_STORAGE__<KIND>), so the same database works
whether a location is a folder, a bucket or an rclone remote.
"""

from __future__ import annotations

import uuid
from typing import Literal

StorageKind = Literal["originals", "thumbnails", "encoded_video", "profile", "backups"]
KINDS: tuple[StorageKind, ...] = ("originals", "thumbnails", "encoded_video", "profile", "backups")

# asset_file.type → the location that holds it
ASSET_FILE_KIND: dict[str, StorageKind] = {
    "sidecar": "originals",
    "thumbnail": "thumbnails",
    "preview": "thumbnails",
    "fullsize": "thumbnails",
    "encoded_video": "encoded_video",
}


def _fanned(folder: str, owner_id: uuid.UUID, name: str) -> str:
    return f"{folder}/{owner_id}/{name[0:2]}/{name[2:4]}/{name}"


def upload_key(owner_id: uuid.UUID, file_id: uuid.UUID, extension: str) -> str:
    """`upload/<owner>/xx/yy/<uuid>.<ext>`; `extension` carries no dot."""
    return _fanned("upload", owner_id, f"{file_id}.{extension}")


def sidecar_key(original_key: str) -> str:
    """The sidecar of an uploaded original sits beside it: `<uuid>.<ext>` → `<uuid>.xmp`."""
    stem = original_key.rsplit(".", 1)[0] if "." in original_key.rsplit("/", 1)[-1] else original_key
    return f"{stem}.xmp"


def image_key(
    owner_id: uuid.UUID, asset_id: uuid.UUID, size: str, extension: str, *, edited: bool = False
) -> str:
    """`thumbs/<owner>/xx/yy/<assetId>_<size>[_edited].<ext>`."""
    suffix = "_edited" if edited else ""
    return _fanned("thumbs", owner_id, f"{asset_id}_{size}{suffix}.{extension}")


def encoded_video_key(owner_id: uuid.UUID, asset_id: uuid.UUID) -> str:
    return _fanned("encoded-video", owner_id, f"{asset_id}.mp4")


def motion_part_key(owner_id: uuid.UUID, file_id: uuid.UUID) -> str:
    """Android motion photos: the embedded video extracted as its own hidden asset."""
    return _fanned("encoded-video", owner_id, f"{file_id}-MP.mp4")


# The folders of each location that hold only files some row points at (what the orphan sweep may
# clean). Backups and anything an operator put beside them are not among them.
REFERENCED_FOLDERS: dict[StorageKind, tuple[str, ...]] = {
    "originals": ("upload/", "library/"),
    "thumbnails": ("thumbs/",),
    "encoded_video": ("encoded-video/",),
}
