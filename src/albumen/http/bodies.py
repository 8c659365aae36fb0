"""Request bodies as plain byte streams, so services never see the web framework's types."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect, Request


async def until_disconnect(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; a client that goes away ends it early instead of raising, so what
    arrived can be kept (a resumable upload goes on from there)."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        return
