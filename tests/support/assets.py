"""Client-side helpers to upload assets through the public API, as the Immich clients do."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.support.users import LoggedIn

FILE_DATES = {"fileCreatedAt": "2024-05-01T12:00:00.000Z", "fileModifiedAt": "2024-05-01T12:00:00.000Z"}


def fake_jpeg(seed: int | str, size: int = 512) -> bytes:
    """Bytes that start like a JPEG and differ per seed (enough for upload, dedupe and download)."""
    body = hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1)
    return b"\xff\xd8\xff\xe0" + body[: max(0, size - 4)]


async def upload_asset(
    client: httpx.AsyncClient,
    who: LoggedIn,
    filename: str = "photo.jpg",
    content: bytes | None = None,
    *,
    expect: int | None = 201,
    headers: dict[str, str] | None = None,
    sidecar: bytes | None = None,
    **fields: Any,
) -> httpx.Response:
    """POST /assets; returns the response (asserting `expect` when given)."""
    data = {
        **FILE_DATES,
        **{
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in fields.items()
        },
    }
    files: dict[str, Any] = {
        "assetData": (
            filename,
            io.BytesIO(content if content is not None else fake_jpeg(filename)),
            "application/octet-stream",
        )
    }
    if sidecar is not None:
        files["sidecarData"] = (f"{filename}.xmp", io.BytesIO(sidecar), "application/xml")
    response = await client.post(
        "/assets", headers={**who.headers, **(headers or {})}, data=data, files=files
    )
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def upload_id(
    client: httpx.AsyncClient,
    who: LoggedIn,
    filename: str = "photo.jpg",
    content: bytes | None = None,
    **fields: Any,
) -> str:
    response = await upload_asset(client, who, filename, content, **fields)
    asset_id: str = response.json()["id"]
    return asset_id


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """Bytes as the async stream a storage back-end writes from."""
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]
        await asyncio.sleep(0)
