"""Outermost ASGI middleware: correlation id, access log, request metrics, and a JSON 500 of last resort;
and Express's non-strict routing for the API (a trailing slash does not matter)."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from albumen.telemetry.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("albumen.access")
CORRELATION_HEADER = "X-Correlation-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _correlation_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-correlation-id":
            candidate: str = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
    return secrets.token_hex(8)


def _operation_label(scope: Scope) -> str:
    """Immich's operationId names the endpoint; a bounded label set, unlike raw paths."""
    route: Any = scope.get("route")
    label = getattr(route, "operation_id", None) or getattr(route, "path", None)
    return str(label) if label else "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = _correlation_id(scope)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[CORRELATION_HEADER] = correlation_id
                if status == 204:  # as Express: no type, no length (clients parse a typed empty body as '')
                    del headers["content-type"]
                    del headers["content-length"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client hung up mid-body; the handler has cleaned up. Nobody is left to answer.
            log.info(
                "client disconnected", extra={"path": scope.get("path"), "correlation_id": correlation_id}
            )
            status = 499
        except Exception:
            log.exception(
                "unhandled error", extra={"path": scope.get("path"), "correlation_id": correlation_id}
            )
            if not response_started:
                await _send_internal_error(send, correlation_id)
            status = 500
        finally:
            elapsed = time.perf_counter() - started
            route = _operation_label(scope)
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "correlation_id": correlation_id,
                },
            )


async def _send_internal_error(send: Send, correlation_id: str) -> None:
    body = b'{"message":"Internal server error"}'
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (CORRELATION_HEADER.lower().encode(), correlation_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TrailingSlashMiddleware:
    """Immich runs on Express with non-strict routing: `PUT /api/assets/` is `PUT /api/assets`. The
    slash goes before routing, not by a redirect, which clients of a PUT or DELETE would not follow.
    Socket.IO's own path keeps its slash."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] == "http"
            and path.startswith(self.prefix)
            and len(path) > len(self.prefix)
            and path.endswith("/")
            and not path.startswith(f"{self.prefix}socket.io/")
        ):
            stripped = path.rstrip("/") or "/"
            scope = {**scope, "path": stripped, "raw_path": stripped.encode()}
        await self.app(scope, receive, send)
