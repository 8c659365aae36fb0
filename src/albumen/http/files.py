"""Stored files as HTTP responses: streamed, with byte ranges, validators and Immich's caching.

Range handling is ours, not the back-end's (an S3 server may answer a ranged GET with 200), so
every back-end gives browsers and the mobile players the same 206/304/416 answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import format_datetime
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from albumen.kit.errors import NotFound
from albumen.media.types import mime_type
from albumen.storage.base import ObjectNotFound, RangeNotSatisfiable, StorageBackend, parse_range

CACHE_CONTROL = "private, max-age=86400, no-transform, stale-while-revalidate=2592000, stale-if-error=2592000"


@runtime_checkable
class Presigner(Protocol):
    async def presign(self, method: Literal["GET", "PUT"], key: str, expires_in: timedelta) -> str: ...


def content_disposition(filename: str) -> str:
    return f"inline; filename*=UTF-8''{quote(filename, safe='')}"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


async def serve_object(
    request: Request,
    storage: StorageBackend,
    key: str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    presign_for: timedelta | None = None,
    missing: str = "Asset media not found",
    cache_control: str | None = CACHE_CONTROL,
) -> Response:
    """GET/HEAD of one stored object. A missing object is a 404 with `missing` as the message."""
    try:
        info = await storage.stat(key)
    except ObjectNotFound:
        raise NotFound(missing) from None
    etag = f'"{info.etag.strip(chr(34))}"'
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(info.modified_at, usegmt=True),
        "Accept-Ranges": "bytes",
    }
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    if filename is not None:
        headers["Content-Disposition"] = content_disposition(filename)
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if presign_for is not None and isinstance(storage, Presigner):
        url = await storage.presign("GET", key, presign_for)
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, no-store"})
    media_type = content_type or mime_type(filename or key)
    try:
        byte_range = parse_range(request.headers.get("range"), info.size)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{info.size}"})
    status = 200
    length = info.size
    if byte_range is not None:
        status, length = 206, byte_range.length
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{info.size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    body = storage.read(key, byte_range)
    return StreamingResponse(_guarded(body), status_code=status, headers=headers, media_type=media_type)


async def _guarded(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The object can vanish between stat and read; the headers are gone by then, so just stop."""
    try:
        async for chunk in body:
            yield chunk
    except ObjectNotFound:
        return
