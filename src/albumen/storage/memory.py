"""Objects in a dict: the fast fake for unit tests, with the same atomicity as the real back-ends."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from albumen.storage.base import ByteRange, ObjectInfo, ObjectNotFound, WriteResult, check_key, hashed

TEMP_PREFIX = ".tmp/"


@dataclass(frozen=True, slots=True)
class _Stored:
    data: bytes
    modified_at: datetime
    created: float


class MemoryStorage:
    def __init__(self) -> None:
        self._objects: dict[str, _Stored] = {}
        self._temporaries: dict[str, _Stored] = {}

    async def write_temporary(self, chunks: AsyncIterable[bytes]) -> WriteResult:
        sha1 = hashlib.sha1()  # noqa: S324 - content identity, as Immich's checksums
        parts = [chunk async for chunk in hashed(chunks, sha1)]
        key = f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        data = b"".join(parts)
        self._temporaries[key] = _Stored(data, datetime.now(UTC), time.time())
        return WriteResult(key=key, size=len(data), sha1=sha1.digest())

    async def commit(self, temporary_key: str, key: str) -> None:
        check_key(key)
        try:
            stored = self._temporaries.pop(temporary_key)
        except KeyError:
            raise ObjectNotFound(temporary_key) from None
        self._objects[key] = _Stored(stored.data, datetime.now(UTC), stored.created)

    async def discard(self, temporary_key: str) -> None:
        self._temporaries.pop(temporary_key, None)

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> WriteResult:
        check_key(key)
        temporary = await self.write_temporary(chunks)
        await self.commit(temporary.key, key)
        return WriteResult(key=key, size=temporary.size, sha1=temporary.sha1)

    async def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        check_key(key)
        stored = self._objects.get(key)
        if stored is None:
            raise ObjectNotFound(key)
        data = stored.data if byte_range is None else stored.data[byte_range.start : byte_range.end + 1]
        if data:
            yield data

    async def stat(self, key: str) -> ObjectInfo:
        check_key(key)
        stored = self._objects.get(key)
        if stored is None:
            raise ObjectNotFound(key)
        etag = hashlib.md5(stored.data, usedforsecurity=False).hexdigest()
        return ObjectInfo(key=key, size=len(stored.data), modified_at=stored.modified_at, etag=etag)

    async def exists(self, key: str) -> bool:
        return check_key(key) in self._objects

    async def delete(self, key: str) -> bool:
        return self._objects.pop(check_key(key), None) is not None

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        for key in sorted(k for k in self._objects if k.startswith(prefix)):
            if key in self._objects:
                yield await self.stat(key)

    async def delete_stale_temporaries(self, older_than_seconds: float) -> int:
        cutoff = time.time() - older_than_seconds
        stale = [key for key, stored in self._temporaries.items() if stored.created < cutoff]
        for key in stale:
            del self._temporaries[key]
        return len(stale)
