"""The in-process event bus: services say what happened to whom; subscribers carry it to the clients.

A client event is what Immich's web and mobile apps listen for on their Socket.IO connection
(CONTRACT §6): a name, its arguments (JSON), and the room it goes to (a user id, a session id, or
everyone). The bus only fans a published event out to its subscribers in this process; the Socket.IO
gateway (`events.socket`) is one of them. Across processes the fan-out happens below the gateway, in
python-socketio's client manager (`events.socket.client_manager`), so nothing here changes when Redis
is configured.

Emitting never fails the caller: a subscriber that raises is logged and skipped. Emit after the
transaction committed (a FastAPI background task, or the end of a job), so that a client reacting to
the event reads the new state.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from albumen.immich import dto

log = logging.getLogger("albumen.events")

Json = Any  # what json.dumps accepts: str, int, float, bool, None, list, dict


@dataclass(frozen=True, slots=True)
class ClientEvent:
    """One Socket.IO event for the clients. `room`: a user id or a session id; None: every client."""

    name: str
    args: tuple[Json, ...]
    room: str | None = None


Subscriber = Callable[[ClientEvent], Awaitable[None]]


def _json(model: Any) -> Json:
    """A response DTO as the HTTP API would send it (aliases, ISO dates, UUID strings)."""
    return model.model_dump(mode="json", by_alias=True)


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    # -- the publish/subscribe seam -----------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Receive every published event from now on; returns the function that unsubscribes."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    async def publish(self, event: ClientEvent) -> None:
        for subscriber in tuple(self._subscribers):
            try:
                await subscriber(event)
            except Exception:
                log.exception("event %s could not be delivered", event.name)

    # -- addressing -----------------------------------------------------------------------------------

    async def emit_to_user(self, user_id: uuid.UUID | str, event: str, *args: Json) -> None:
        """To every connection of one user (Immich's `clientSend(event, userId, ...)`)."""
        await self.publish(ClientEvent(event, args, str(user_id)))

    async def emit_to_session(self, session_id: uuid.UUID | str, event: str, *args: Json) -> None:
        """To the connections opened with one login session."""
        await self.publish(ClientEvent(event, args, str(session_id)))

    async def emit_to_all(self, event: str, *args: Json) -> None:
        """To every connected client (Immich's `clientBroadcast`)."""
        await self.publish(ClientEvent(event, args, None))

    # -- the events of CONTRACT §6, typed -----------------------------------------------------------

    async def upload_success(self, user_id: uuid.UUID, asset: dto.AssetResponseDto) -> None:
        """`on_upload_success`: an upload's thumbnails are done (the web adds it to the timeline)."""
        await self.emit_to_user(user_id, "on_upload_success", _json(asset))

    async def asset_upload_ready(
        self, user_id: uuid.UUID, asset: dto.SyncAssetV2, exif: dto.SyncAssetExifV1
    ) -> None:
        """`AssetUploadReadyV2`: the same moment, for the mobile app's local database."""
        await self.emit_to_user(user_id, "AssetUploadReadyV2", {"asset": _json(asset), "exif": _json(exif)})

    async def asset_update(self, user_id: uuid.UUID, asset: dto.AssetResponseDto) -> None:
        """`on_asset_update` (Immich 3.1.0 sends it only after writing a sidecar)."""
        await self.emit_to_user(user_id, "on_asset_update", _json(asset))

    async def asset_delete(self, user_id: uuid.UUID, asset_id: uuid.UUID) -> None:
        """`on_asset_delete`: one event per asset deleted for good."""
        await self.emit_to_user(user_id, "on_asset_delete", str(asset_id))

    async def asset_trash(self, user_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> None:
        """`on_asset_trash`: the ids moved to the trash, in one event."""
        await self.emit_to_user(user_id, "on_asset_trash", [str(i) for i in asset_ids])

    async def asset_restore(self, user_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> None:
        """`on_asset_restore`: the ids brought back from the trash, in one event."""
        await self.emit_to_user(user_id, "on_asset_restore", [str(i) for i in asset_ids])

    async def asset_hidden(self, user_id: uuid.UUID, asset_id: uuid.UUID) -> None:
        """`on_asset_hidden`: an asset became hidden (a live photo's motion part)."""
        await self.emit_to_user(user_id, "on_asset_hidden", str(asset_id))

    async def user_delete(self, user_id: uuid.UUID) -> None:
        """`on_user_delete`: broadcast to everyone, as Immich does."""
        await self.emit_to_all("on_user_delete", str(user_id))
