"""The Socket.IO v4 endpoint at /api/socket.io, where Immich's web and mobile apps listen (CONTRACT §6).

It behaves as Immich 3.1.0's websocket gateway:
- websocket transport only, any origin;
- the connection is accepted first, then authenticated from the handshake's headers (cookie
  `immich_access_token`, `Authorization: Bearer`, `x-immich-user-token`, `x-immich-session-token`,
  `x-api-key`), never from the query string; shared links are refused and an API key needs `all`;
- a client that fails gets the event `error` "unauthorized" and is disconnected;
- a client that passes joins the rooms `<userId>` and `<sessionId>`, and its user's room is sent
  `on_server_version`.

Albumen's one addition: a client that sends no credential header may put one in the Socket.IO `auth`
payload, `{"token": <session token>}` or `{"apiKey": <key>}`, for browser code that can set neither
headers nor cookies. It is read only when the headers carry none.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio  # type: ignore[import-untyped]
from starlette.requests import HTTPConnection

from albumen.authn.schemas import AuthContext, Credentials
from albumen.authn.service import AuthService
from albumen.container import Container
from albumen.events.bus import ClientEvent
from albumen.http.cookies import ACCESS_TOKEN_COOKIE
from albumen.immich.dto import Permission
from albumen.immich.operations import OperationPolicy
from albumen.immich.spec import IMMICH_VERSION
from albumen.kit.errors import AppError, Unauthorized

log = logging.getLogger("albumen.events")

# What Immich asks of a socket: any user, no shared link, and an API key must hold `all`.
SOCKET_POLICY = OperationPolicy(
    "socket.io", public=False, permission=Permission.all, admin_only=False, shared_link=False
)


def server_version() -> dict[str, int | None]:
    major, minor, patch = (int(part) for part in IMMICH_VERSION.split("."))
    return {"major": major, "minor": minor, "patch": patch, "prerelease": None}


def handshake_credentials(scope: dict[str, Any], auth: Any = None) -> Credentials:
    """The credentials of a Socket.IO handshake, in the order AuthService tries them (CONTRACT §1.1),
    from headers only: Immich passes no query parameters to a socket's authentication."""
    connection = HTTPConnection(scope)
    headers = connection.headers
    scheme, _, token = headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    session_token = (
        headers.get("x-immich-user-token")
        or headers.get("x-immich-session-token")
        or bearer
        or connection.cookies.get(ACCESS_TOKEN_COOKIE)
        or None
    )
    share_key = headers.get("x-immich-share-key") or None
    share_slug = headers.get("x-immich-share-slug") or None
    api_key = headers.get("x-api-key") or None
    if not (session_token or api_key or share_key or share_slug) and isinstance(auth, dict):
        session_token = _text(auth.get("token"))
        api_key = None if session_token else _text(auth.get("apiKey"))
    return Credentials(
        share_key=share_key,
        share_slug=share_slug,
        session_token=session_token,
        api_key=api_key,
        user_agent=headers.get("user-agent", ""),
        device_model=headers.get("devicemodel"),
        device_type=headers.get("devicetype"),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def client_manager(redis_url: str | None) -> Any:
    """Where events cross process boundaries.

    With ALBUMEN_REDIS_URL set, every `emit` of any process's Socket.IO server goes through Redis
    pub/sub and each server delivers it to its own connections, so a job that ends in an `albumen
    worker` on another host reaches a browser connected to any `albumen serve` (the worker publishes
    through `RedisEventPublisher`). Without Redis, python-socketio's in-memory manager: one process,
    the embedded default where jobs run inside the server.
    """
    if not redis_url:
        return None
    return socketio.AsyncRedisManager(redis_url)


class RedisEventPublisher:
    """The EventBus subscriber of a process without a Socket.IO server (`albumen worker`): it hands
    each client event to Redis, where every `albumen serve` delivers it to its own connections."""

    def __init__(self, redis_url: str) -> None:
        self.manager = socketio.AsyncRedisManager(redis_url, write_only=True)

    async def deliver(self, event: ClientEvent) -> None:
        await self.manager.emit(event.name, event.args, namespace="/", room=event.room)

    async def close(self) -> None:
        if self.manager.redis is not None:
            await self.manager.redis.aclose()


class SocketGateway:
    """The Socket.IO server, mounted at /api/socket.io; live between `serving(container)`'s enter and exit."""

    def __init__(self, redis_url: str | None = None) -> None:
        self.server = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins="*",
            transports=["websocket"],
            # Accept first, then authenticate, so a refused client hears why (as Immich's gateway).
            always_connect=True,
            client_manager=client_manager(redis_url),
        )
        self.server.on("connect", self._connect)
        self.server.on("disconnect", self._disconnect)
        # Mounted under the path, so every request that reaches it is Socket.IO's.
        self.asgi_app = socketio.ASGIApp(self.server, socketio_path=None)
        self._container: Container | None = None

    @asynccontextmanager
    async def serving(self, container: Container) -> AsyncIterator[None]:
        """Authenticate against the container's database and deliver its bus's events to clients."""
        self._container = container
        unsubscribe = container.events.subscribe(self.deliver)
        try:
            yield
        finally:
            unsubscribe()
            self._container = None
            await self.server.shutdown()

    async def deliver(self, event: ClientEvent) -> None:
        await self.server.emit(event.name, event.args, to=event.room)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        try:
            context = await self._authenticate(handshake_credentials(environ["asgi.scope"], auth))
        except AppError as error:
            log.info("websocket refused: %s", error)
            await self.server.emit("error", "unauthorized", to=sid)
            return False
        user_room = str(context.user.id)
        await self.server.enter_room(sid, user_room)
        if context.session is not None:
            await self.server.enter_room(sid, str(context.session.id))
        log.info("websocket connected", extra={"sid": sid, "user_id": user_room})
        # To the user's room, as Immich does: every connection of that user hears it.
        await self.server.emit("on_server_version", server_version(), to=user_room)
        return True

    async def _authenticate(self, credentials: Credentials) -> AuthContext:
        container = self._container
        if container is None:
            raise Unauthorized("the server is not serving")
        async with container.database.unit_of_work() as session:
            service = AuthService(
                session,
                container.login_throttle,
                allow_setup=container.settings.allow_setup,
                config_file=container.settings.config_file,
            )
            return await service.authenticate(credentials, SOCKET_POLICY)

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        log.debug("websocket disconnected", extra={"sid": sid, "reason": str(reason)})
