"""Any S3-compatible bucket (AWS, B2, Wasabi, R2, MinIO, Garage, `rclone serve s3`), through obstore.

S3 has no rename, so `commit` is a server-side copy followed by deleting the temporary; a PUT (single
or multipart) only becomes visible when complete, which gives the same all-or-nothing guarantee as the
local back-end. S3 refuses a single CopyObject above 5 GiB, so bigger objects are copied by streaming
them through a multipart upload (obstore aborts it when the copy fails), never by CopyObject.
Ranged reads go through a presigned GET with our own Range header, because some servers (rclone)
answer a range with 200 and the right bytes, which obstore refuses as "non-partial"; one HTTP client
per location serves them all.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Self

import httpx
import obstore
from obstore.store import S3Store

if TYPE_CHECKING:
    from obstore.store import ClientConfig

from albumen.storage.base import (
    ByteRange,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    StorageError,
    WriteResult,
    check_key,
    hashed,
)

TEMP_PREFIX = ".tmp/"
PART_SIZE = 8 * 1024 * 1024
# Parts uploading at once: each is held in memory, so this bounds a write's footprint (4 x 8 MiB).
PARTS_IN_FLIGHT = 4
READ_CHUNK = 1024 * 1024
SIGNED_READ_SECONDS = 300
DELETE_ATTEMPTS = 3
# The largest object S3 copies in one CopyObject request (AWS documents the limit; others follow it).
MAX_COPY_BYTES = 5 * 1024**3


class S3Storage:
    def __init__(self, store: S3Store, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._http: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> httpx.AsyncClient:
        """One pooled client for the ranged reads of this location (per event loop: a client's
        connections belong to the loop that opened them)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop:
            self._http = httpx.AsyncClient(timeout=60)
            self._http_loop = loop
        return self._http

    @classmethod
    def connect(
        cls,
        bucket: str,
        *,
        prefix: str = "",
        endpoint: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        path_style: bool = True,
    ) -> Self:
        config: dict[str, Any] = {"virtual_hosted_style_request": not path_style}
        if endpoint:
            config["endpoint"] = endpoint
        if region:
            config["region"] = region
        if access_key_id and secret_access_key:
            config.update(access_key_id=access_key_id, secret_access_key=secret_access_key)
        client_options: ClientConfig = {"allow_http": bool(endpoint and endpoint.startswith("http://"))}
        return cls(S3Store(bucket, client_options=client_options, **config), prefix)

    async def check_bucket(self) -> None:
        """Raises StorageError unless the bucket exists and lists for these credentials. A HEAD of a
        missing object answers the same for a missing bucket as for an empty one; a listing does not."""
        try:
            async for _ in obstore.list(self.store, prefix=self.prefix + TEMP_PREFIX, chunk_size=1):
                break
        except Exception as error:
            if "NoSuchBucket" in str(error):
                raise StorageError(f"bucket {self.store.config.get('bucket', '')!r} does not exist") from None
            raise

    def _path(self, key: str) -> str:
        check_key(key)
        if key.startswith(TEMP_PREFIX):
            raise InvalidKey(f"{TEMP_PREFIX} is reserved for writes in progress")
        return self.prefix + key

    async def write_temporary(self, chunks: AsyncIterable[bytes]) -> WriteResult:
        key = f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        return await self._put(self.prefix + key, key, chunks)

    async def _put(self, path: str, key: str, chunks: AsyncIterable[bytes]) -> WriteResult:
        sha1 = hashlib.sha1()  # noqa: S324 - content identity, as Immich's checksums
        size = 0

        async def counted() -> AsyncIterator[bytes]:
            nonlocal size
            async for chunk in hashed(chunks, sha1):
                size += len(chunk)
                yield chunk

        await obstore.put_async(
            self.store, path, counted(), chunk_size=PART_SIZE, max_concurrency=PARTS_IN_FLIGHT
        )
        return WriteResult(key=key, size=size, sha1=sha1.digest())

    async def commit(self, temporary_key: str, key: str) -> None:
        check_key(temporary_key)
        if not temporary_key.startswith(TEMP_PREFIX):
            raise InvalidKey(f"{temporary_key!r} is not a temporary key")
        await self.copy(temporary_key, key, source_path=self.prefix + temporary_key)
        await self._delete_path(self.prefix + temporary_key)

    async def copy(self, source_key: str, key: str, *, source_path: str | None = None) -> None:
        """A copy inside the bucket, whatever the size: one CopyObject up to S3's 5 GiB limit, a
        streamed multipart upload above it. Replaces what `key` held once complete."""
        source = source_path if source_path is not None else self._path(source_key)
        target = self._path(key)
        try:
            size = (await obstore.head_async(self.store, source))["size"]
            if size <= MAX_COPY_BYTES:
                await obstore.copy_async(self.store, source, target)
                return
            result = await obstore.get_async(self.store, source)
        except FileNotFoundError:
            raise ObjectNotFound(source_key) from None
        await obstore.put_async(
            self.store,
            target,
            result.stream(min_chunk_size=PART_SIZE),
            chunk_size=PART_SIZE,
            max_concurrency=PARTS_IN_FLIGHT,
        )

    async def discard(self, temporary_key: str) -> None:
        check_key(temporary_key)
        if not temporary_key.startswith(TEMP_PREFIX):
            raise InvalidKey(f"{temporary_key!r} is not a temporary key")
        await self._delete_path(self.prefix + temporary_key)

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> WriteResult:
        """Straight to the key: a multipart upload is invisible until completed and aborted when the
        input fails, so no temporary (and no copy) is needed."""
        return await self._put(self._path(key), key, chunks)

    async def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        if byte_range is None:
            try:
                result = await obstore.get_async(self.store, path)
            except FileNotFoundError:
                raise ObjectNotFound(key) from None
            async for chunk in result.stream(min_chunk_size=READ_CHUNK):
                yield bytes(chunk)
            return
        url = await obstore.sign_async(self.store, "GET", path, timedelta(seconds=SIGNED_READ_SECONDS))
        headers = {"Range": f"bytes={byte_range.start}-{byte_range.end}"}
        async with self._client().stream("GET", url, headers=headers) as response:
            if response.status_code == 404:
                raise ObjectNotFound(key)
            if response.status_code not in (200, 206):
                raise StorageError(f"ranged read of {key} failed with {response.status_code}")
            # A 200 may carry the whole object (the server ignored the range) or, from some servers,
            # just the range; the length tells which.
            skip = byte_range.start if _is_whole_object(response, byte_range) else 0
            remaining = byte_range.length
            async for chunk in response.aiter_bytes(READ_CHUNK):
                if skip:
                    dropped = min(skip, len(chunk))
                    chunk, skip = chunk[dropped:], skip - dropped
                if not chunk:
                    continue
                yield chunk[:remaining]
                remaining -= min(len(chunk), remaining)
                if remaining == 0:
                    break

    async def stat(self, key: str) -> ObjectInfo:
        try:
            meta = await obstore.head_async(self.store, self._path(key))
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        return ObjectInfo(
            key=key,
            size=meta["size"],
            modified_at=meta["last_modified"],
            etag=(meta.get("e_tag") or "").strip('"'),
        )

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    async def delete(self, key: str) -> bool:
        if not await self.exists(key):  # S3 deletes of missing keys succeed silently; we report them
            return False
        await self._delete_path(self._path(key))
        return True

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        found: list[ObjectInfo] = []
        async for batch in obstore.list(self.store, self.prefix + prefix):
            for meta in batch:
                key = meta["path"][len(self.prefix) :]
                if key.startswith(TEMP_PREFIX):
                    continue
                found.append(
                    ObjectInfo(key, meta["size"], meta["last_modified"], (meta.get("e_tag") or "").strip('"'))
                )
        for info in sorted(found, key=lambda item: item.key):
            yield info

    async def delete_stale_temporaries(self, older_than_seconds: float) -> int:
        cutoff = datetime.fromtimestamp(time.time() - older_than_seconds, UTC)
        stale: list[str] = []
        async for batch in obstore.list(self.store, self.prefix + TEMP_PREFIX):
            stale.extend(meta["path"] for meta in batch if meta["last_modified"] < cutoff)
        for path in stale:
            await self._delete_path(path)
        return len(stale)

    async def _delete_path(self, path: str) -> None:
        """Deletes are idempotent, so a dropped connection is simply retried (obstore does not retry
        the POST it uses for them)."""
        for attempt in range(DELETE_ATTEMPTS):
            try:
                await obstore.delete_async(self.store, path)
                return
            except FileNotFoundError:
                return
            except Exception:
                if attempt == DELETE_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))

    async def presign(self, method: Literal["GET", "PUT"], key: str, expires_in: timedelta) -> str:
        """A URL a plain HTTP client can GET or PUT without credentials until it expires."""
        return await obstore.sign_async(self.store, method, self._path(key), expires_in)


def _is_whole_object(response: httpx.Response, byte_range: ByteRange) -> bool:
    if response.status_code == 206 or "content-range" in response.headers:
        return False
    length = response.headers.get("content-length")
    return length is None or int(length) != byte_range.length
