"""The storage protocol every back-end implements, and the pieces they share (keys, ranges, hashing)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_BAD_KEY_PART = {"", ".", ".."}


class StorageError(Exception):
    pass


class ObjectNotFound(StorageError):
    pass


class InvalidKey(StorageError):
    pass


class RangeNotSatisfiable(StorageError):
    def __init__(self, size: int) -> None:
        super().__init__(f"range not satisfiable for an object of {size} bytes")
        self.size = size


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    modified_at: datetime
    etag: str


@dataclass(frozen=True, slots=True)
class WriteResult:
    key: str
    size: int
    sha1: bytes


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Inclusive byte offsets, as in an HTTP Range header."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def check_key(key: str) -> str:
    """Keys are relative, slash-separated, and never climb out of their root."""
    if key.startswith("/") or "\\" in key or "\x00" in key:
        raise InvalidKey(f"invalid storage key {key!r}")
    if any(part in _BAD_KEY_PART for part in key.split("/")):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """An HTTP `Range: bytes=…` header for an object of `size` bytes; None means the whole object.

    Only single ranges are honoured (as Immich does); a malformed header is ignored, an unsatisfiable
    one raises RangeNotSatisfiable (HTTP 416).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return ByteRange(max(0, size - length), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(size)
    return ByteRange(start, min(end, size - 1))


async def hashed(chunks: AsyncIterable[bytes], sha1: hashlib._Hash) -> AsyncIterator[bytes]:
    """Passes chunks through while feeding them to the hash, so a write computes its SHA-1 on the way."""
    async for chunk in chunks:
        if chunk:
            sha1.update(chunk)
            yield chunk


@runtime_checkable
class StorageBackend(Protocol):
    """Writes are atomic: an object is visible whole or not at all. Reads stream; nothing is buffered."""

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> WriteResult: ...

    async def write_temporary(self, chunks: AsyncIterable[bytes]) -> WriteResult:
        """Stores under a fresh temporary key (not listed) for a later `commit`."""
        ...

    async def commit(self, temporary_key: str, key: str) -> None:
        """Moves a temporary object to its final key atomically, replacing what was there."""
        ...

    async def discard(self, temporary_key: str) -> None:
        """Drops a temporary that will not be committed (a refused or duplicate upload)."""
        ...

    def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]: ...

    async def stat(self, key: str) -> ObjectInfo: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> bool:
        """True when something was deleted; a missing key is not an error."""
        ...

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Committed objects under `prefix`, in key order."""
        ...

    async def delete_stale_temporaries(self, older_than_seconds: float) -> int:
        """Removes temporaries left by crashed writers; returns how many."""
        ...
