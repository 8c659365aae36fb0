"""Profile images on disk: `<data_dir>/profile/<userId>/<uuid>.<ext>`, written whole or not at all.

The database stores the path relative to the data folder, so moving the folder keeps every image.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

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
    data_dir: Path

    def key_for(self, user_id: uuid.UUID, extension: str) -> str:
        return f"{PROFILE_FOLDER}/{user_id}/{uuid.uuid4()}.{extension}"

    def resolve(self, key: str) -> Path | None:
        """The file a stored key names, or None for a key that would leave the profile folder."""
        root = (self.data_dir / PROFILE_FOLDER).resolve()
        path = (self.data_dir / key).resolve()
        return path if path.is_relative_to(root) else None

    @staticmethod
    def content_type(key: str) -> str:
        return CONTENT_TYPES.get(PurePosixPath(key).suffix.lstrip(".").lower(), "application/octet-stream")

    async def write(self, key: str, head: bytes, rest: ChunkSource) -> int:
        """Writes `head` then the rest of the upload to a temporary name and renames it into place.

        A crash or a failed read leaves no file under the final name; returns the bytes written.
        """
        target = self.resolve(key)
        if target is None:
            raise ValueError(f"profile image key outside the profile folder: {key}")
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        size = 0
        try:
            handle = await asyncio.to_thread(temporary.open, "wb")
            try:
                async for chunk in _chunks(head, rest):
                    size += len(chunk)
                    await asyncio.to_thread(handle.write, chunk)
                await asyncio.to_thread(handle.flush)
                await asyncio.to_thread(os.fsync, handle.fileno())
            finally:
                await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        return size

    def delete(self, key: str) -> None:
        """Removes a stored image; a missing file is not an error (the job may run twice)."""
        path = self.resolve(key)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def delete_folder(self, user_id: uuid.UUID) -> None:
        """Removes every profile image of a deleted account (none there is fine)."""
        shutil.rmtree(self.data_dir / PROFILE_FOLDER / str(user_id), ignore_errors=True)


async def _chunks(head: bytes, rest: ChunkSource) -> AsyncIterator[bytes]:
    if head:
        yield head
    while chunk := await rest.read(CHUNK):
        yield chunk
