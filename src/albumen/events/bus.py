"""The in-process event bus: services say what happened to whom; subscribers carry it to the clients.

A client event is what Immich's web and mobile apps listen for on their Socket.IO connection
(CONTRACT §6): a name, its arguments (JSON), and the room it goes to (a user id, a session id, or
everyone). The bus only fans a published event out to its subscribers in this process; the Socket.IO
gateway (`events.socket`) is one of them. Across processes the fan-out happens below the gateway, in
python-socketio's client manager (`events.socket.client_manager`), so nothing here changes when Redis
is configured.

Publishing never fails the caller: a subscriber that raises is logged and skipped. Services do not
publish: they record the event on their unit of work (`kit.effects.side_effects(db).emit(...)`, the
events themselves built by `events.messages`), which publishes it here once the transaction committed,
so that a client reacting to the event reads the new state.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("albumen.events")

Json = Any  # what json.dumps accepts: str, int, float, bool, None, list, dict


@dataclass(frozen=True, slots=True)
class ClientEvent:
    """One Socket.IO event for the clients. `room`: a user id or a session id; None: every client."""

    name: str
    args: tuple[Json, ...]
    room: str | None = None


Subscriber = Callable[[ClientEvent], Awaitable[None]]


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
