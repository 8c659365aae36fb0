"""Profile images in the profile location (`storage.profile`): `profile/<userId>/<uuid>.<ext>`,
written whole or not at all, like every stored object.

The database stores the key relative to that location, so the same rows work on a disk or a bucket.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from albumen.storage.base import InvalidKey, StorageBackend, check_key

PROFILE_FOLDER = "profile"
CHUNK = 1024 * 1024
SNIFF_BYTES = 64

# What Immich accepts as a profile image, by file name (server/src/utils/mime-types.ts), less SVG:
# Immich re-encodes every avatar, Albumen serves the bytes as uploaded, and an SVG served from the
# server's own origin could run script in a viewer's browser.
ACCEPTED_EXTENSIONS = {".avif", ".dng", ".heic", ".heif", ".jpeg", ".jpg", ".png", ".webp"}
CONTENT_TYPES = {
    "avif": "image/avif",
    "dng": "image/dng",
    "heic": "image/heic",
    "heif": "image/heif",
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


class ChunkSource(Protocol):
    """What an upload must offer: async reads of at most n bytes, b"" at the end."""

    async def read(self, size: int = -1) -> bytes: ...


def accepted_name(filename: str | None) -> bool:
    return bool(filename) and PurePosixPath(str(filename).lower()).suffix in ACCEPTED_EXTENSIONS


def sniff(head: bytes) -> str | None:
    """The image format the first bytes announce (the stored file's extension), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return "avif"
        if brand in _HEIC_BRANDS:
            return "heic"
        if brand in _HEIF_BRANDS:
            return "heif"
        return None
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "dng"
    return None


@dataclass(frozen=True)
class ProfileImageStore:
    storage: StorageBackend

    def key_for(self, user_id: uuid.UUID, extension: str) -> str:
        return f"{PROFILE_FOLDER}/{user_id}/{uuid.uuid4()}.{extension}"

    @staticmethod
    def owns(key: str) -> bool:
        """Whether a stored key names a profile image (never another kind of file of the location)."""
        try:
            check_key(key)
        except InvalidKey:
            return False
        return key.startswith(f"{PROFILE_FOLDER}/")

    @staticmethod
    def content_type(key: str) -> str:
        return CONTENT_TYPES.get(PurePosixPath(key).suffix.lstrip(".").lower(), "application/octet-stream")

    async def write(self, key: str, head: bytes, rest: ChunkSource) -> int:
        """Writes `head` then the rest of the upload; a failed read leaves nothing under `key`.
        Returns the bytes written."""
        if not self.owns(key):
            raise ValueError(f"profile image key outside the profile folder: {key}")
        return (await self.storage.write(key, _chunks(head, rest))).size

    async def delete(self, key: str) -> None:
        """Removes a stored image; a missing file is not an error (the job may run twice)."""
        if self.owns(key):
            await self.storage.delete(key)


async def _chunks(head: bytes, rest: ChunkSource) -> AsyncIterator[bytes]:
    if head:
        yield head
    while chunk := await rest.read(CHUNK):
        yield chunk


async def adopt_legacy_profile_folder(data_dir: Path, storage: StorageBackend) -> int:
    """Before `storage.profile` was honoured, avatars lived in `<data_dir>/profile` whatever it said.
    Moves each into the profile location under the same key (the rows need no change), then removes
    the local copy; safe to stop and rerun. Returns how many files moved."""
    legacy = data_dir / PROFILE_FOLDER
    if not await asyncio.to_thread(legacy.is_dir):
        return 0
    files = await asyncio.to_thread(lambda: sorted(path for path in legacy.rglob("*") if path.is_file()))
    moved = 0
    for path in files:
        key = f"{PROFILE_FOLDER}/{path.relative_to(legacy).as_posix()}"
        # Dot files are temporaries of writes a crash cut short: nothing refers to them.
        if not path.name.startswith(".") and not await _same_size(storage, key, path):
            await storage.write(key, _file_chunks(path))
            moved += 1
        await asyncio.to_thread(path.unlink)
    await asyncio.to_thread(shutil.rmtree, legacy, True)
    return moved


async def _same_size(storage: StorageBackend, key: str, path: Path) -> bool:
    """A rerun after a crash between write and unlink finds the object already there."""
    if not await storage.exists(key):
        return False
    return (await storage.stat(key)).size == (await asyncio.to_thread(path.stat)).st_size


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)
