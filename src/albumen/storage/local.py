"""A folder on a local disk. Writes go to `.tmp/` first, are fsynced, then renamed into place (and the
folder fsynced), so a crash leaves either the old object or the new one, never half of either."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio

from albumen.storage.base import (
    ByteRange,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    WriteResult,
    check_key,
    hashed,
)

TEMP_DIR = ".tmp"
READ_CHUNK = 1024 * 1024


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        (self.root / TEMP_DIR).mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        check_key(key)
        if key == TEMP_DIR or key.startswith(f"{TEMP_DIR}/"):
            raise InvalidKey(f"{TEMP_DIR}/ is reserved for writes in progress")
        return self.root / key

    def _temporary_path(self, key: str) -> Path:
        check_key(key)
        if not key.startswith(f"{TEMP_DIR}/"):
            raise InvalidKey(f"{key!r} is not a temporary key")
        return self.root / key

    async def write_temporary(self, chunks: AsyncIterable[bytes]) -> WriteResult:
        key = f"{TEMP_DIR}/{uuid.uuid4().hex}"
        path = self.root / key
        sha1 = hashlib.sha1()  # noqa: S324 - Immich identifies files by SHA-1; not a security use
        size = 0
        try:
            async with await anyio.open_file(path, "wb") as handle:
                async for chunk in hashed(chunks, sha1):
                    await handle.write(chunk)
                    size += len(chunk)
                await handle.flush()
                await anyio.to_thread.run_sync(os.fsync, handle.wrapped.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return WriteResult(key=key, size=size, sha1=sha1.digest())

    async def commit(self, temporary_key: str, key: str) -> None:
        source = self._temporary_path(temporary_key)
        target = self._path(key)

        def move() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            _fsync_dir(target.parent)

        try:
            await anyio.to_thread.run_sync(move)
        except FileNotFoundError:
            raise ObjectNotFound(temporary_key) from None

    async def discard(self, temporary_key: str) -> None:
        path = self._temporary_path(temporary_key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> WriteResult:
        self._path(key)  # refuse a bad key before reading any bytes
        temporary = await self.write_temporary(chunks)
        await self.commit(temporary.key, key)
        return WriteResult(key=key, size=temporary.size, sha1=temporary.sha1)

    async def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await anyio.open_file(path, "rb")
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectNotFound(key) from None
        async with handle:
            remaining = None
            if byte_range is not None:
                await handle.seek(byte_range.start)
                remaining = byte_range.length
            while remaining is None or remaining > 0:
                chunk = await handle.read(READ_CHUNK if remaining is None else min(READ_CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            result = await anyio.to_thread.run_sync(path.stat)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        if not path.is_file():
            raise ObjectNotFound(key)
        return ObjectInfo(
            key=key,
            size=result.st_size,
            modified_at=datetime.fromtimestamp(result.st_mtime, UTC),
            etag=f"{result.st_ino:x}-{result.st_size:x}-{result.st_mtime_ns:x}",
        )

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    async def rename(self, key: str, new_key: str) -> None:
        """Moves a committed object to another key of this folder in one atomic step, replacing what
        was there. Raises ObjectNotFound, or OSError(EXDEV) when the two keys lie on different file
        systems (a mount inside the root), where the caller must copy instead."""
        source = self._path(key)
        target = self._path(new_key)

        def move() -> None:
            if not source.is_file():
                raise FileNotFoundError(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            _fsync_dir(target.parent)
            if source.parent != target.parent:
                _fsync_dir(source.parent)

        try:
            await anyio.to_thread.run_sync(move)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    async def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            await anyio.to_thread.run_sync(path.unlink)
        except (FileNotFoundError, IsADirectoryError):
            return False
        return True

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        def walk() -> list[str]:
            found: list[str] = []
            for directory, folders, files in os.walk(self.root):
                relative = Path(directory).relative_to(self.root).as_posix()
                if relative == TEMP_DIR:
                    folders[:] = []
                    continue
                folders[:] = [f for f in folders if not (relative == "." and f == TEMP_DIR)]
                for name in files:
                    key = name if relative == "." else f"{relative}/{name}"
                    if key.startswith(prefix):
                        found.append(key)
            return sorted(found)

        for key in await anyio.to_thread.run_sync(walk):
            try:
                yield await self.stat(key)
            except ObjectNotFound:
                continue  # deleted while we listed

    async def delete_stale_temporaries(self, older_than_seconds: float) -> int:
        cutoff = time.time() - older_than_seconds

        def sweep() -> int:
            removed = 0
            for entry in os.scandir(self.root / TEMP_DIR):
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    Path(entry.path).unlink(missing_ok=True)
                    removed += 1
            return removed

        return await anyio.to_thread.run_sync(sweep)
