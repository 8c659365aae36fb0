"""Originals as local files for exiftool, libvips and ffmpeg, downloaded once per job chain.

An original on a local disk is used in place. One in an object store is copied into a cache folder,
named by asset id and checksum, so the chain's steps (metadata → thumbnails → transcode) share one
download; the chain's last step discards it. Each use works on its own hard link to the cached copy, so
a copy discarded or swept meanwhile stays readable to the jobs that hold it. Concurrent jobs of one
asset may both download (the first to finish is kept); a worker on another host just downloads its own.
Copies a chain left behind (a failed step) are swept once older than the stale-temporary age.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath

import anyio
import structlog

from albumen.storage.base import StorageBackend
from albumen.storage.local import LocalStorage

log = structlog.get_logger("albumen.media")
_IN_USE = ".use-"  # prefix of a job's own hard link


@contextlib.asynccontextmanager
async def downloaded(storage: StorageBackend, key: str, path: Path) -> AsyncIterator[Path]:
    """The object copied to `path`, removed afterwards."""
    try:
        async with await anyio.open_file(path, "wb") as handle:
            async for chunk in storage.read(key):
                await handle.write(chunk)
        yield path
    finally:
        await anyio.Path(path).unlink(missing_ok=True)


class OriginalCache:
    """The cache folder of one worker process (any number of processes may share it)."""

    def __init__(self, folder: Path, stale_seconds: float) -> None:
        self.folder = folder
        self.stale_seconds = stale_seconds

    @contextlib.asynccontextmanager
    async def local_path(
        self, storage: StorageBackend, key: str, asset_id: uuid.UUID, checksum: bytes
    ) -> AsyncIterator[Path]:
        """The original as a path for the duration of the block."""
        if isinstance(storage, LocalStorage):
            yield storage.root / key
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        cached = self.folder / f"{asset_id}-{checksum.hex()}{PurePosixPath(key).suffix.lower()}"
        own = self.folder / f"{_IN_USE}{secrets.token_hex(8)}-{cached.name}"  # keeps the extension
        try:
            os.link(cached, own)
            os.utime(own)  # (the inode's: the cached copy is fresh again for the sweep)
        except FileNotFoundError:
            async with downloaded(storage, key, own):
                with contextlib.suppress(FileExistsError):  # a concurrent job's copy won
                    os.link(own, cached)
                self.sweep()
                yield own
            return
        try:
            yield own
        finally:
            own.unlink(missing_ok=True)

    def discard(self, asset_id: uuid.UUID) -> None:
        """The end of the asset's chain: its cached copy is no longer needed."""
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.folder):
                if entry.name.startswith(f"{asset_id}-"):
                    Path(entry.path).unlink(missing_ok=True)

    def sweep(self) -> int:
        """Removes copies (and links of jobs that died) older than the stale-temporary age."""
        oldest, removed = time.time() - self.stale_seconds, 0
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.folder):
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < oldest:
                        Path(entry.path).unlink(missing_ok=True)
                        removed += 1
        if removed:
            log.info("stale original copies removed", count=removed)
        return removed
