"""What a unit of work does once its transaction has committed, and only then.

A change to rows often has consequences outside the database: the clients hear of it (a Socket.IO
event), work on the new rows starts (a job), files nobody points at any more go. A service records
them on its unit of work (`side_effects(db).emit(...)`, `.queue(...)`, `.after_commit(...)`); the unit
of work (`kit.db.Database.unit_of_work`, which every request and job opens) carries them out after
its commit, in the order recorded, so a job finds its rows and a client reacting to an event reads the
new state. If the transaction rolls back, none of them happens; `on_rollback` actions run instead (to
remove what was written outside the database for the change that did not land).

A commit a service makes in the middle (to hand the connection back while a body streams) is not the
end of the unit of work: effects wait for its last commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from albumen.events.bus import ClientEvent
    from albumen.jobs.schemas import JobName

log = logging.getLogger("albumen.effects")

Action = Callable[[], Awaitable[None]]
_SESSION_KEY = "albumen.side_effects"


class Publisher(Protocol):
    async def publish(self, event: ClientEvent) -> None: ...


class Enqueuer(Protocol):
    async def enqueue(
        self,
        name: JobName,
        data: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        delay: float | None = None,
        replace: bool = False,
    ) -> str | None: ...


class Delivery(Protocol):
    """Where events and jobs go once committed: the process's event bus and job queue (the Container)."""

    @property
    def events(self) -> Publisher: ...

    @property
    def jobs(self) -> Enqueuer: ...


class SideEffects:
    """The effects one unit of work has recorded so far."""

    def __init__(self, delivery: Delivery | None) -> None:
        self._delivery = delivery
        self._after_commit: list[tuple[str, Action]] = []
        self._on_rollback: list[tuple[str, Action]] = []
        self._closed = False

    def emit(self, event: ClientEvent) -> None:
        """Sends `event` to the clients after the commit."""
        delivery = self._require_delivery(f"event {event.name}")
        self._record(self._after_commit, f"event {event.name}", lambda: delivery.events.publish(event))

    def queue(
        self,
        name: JobName,
        data: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        delay: float | None = None,
        replace: bool = False,
    ) -> None:
        """Queues job `name` after the commit (see `JobQueue.enqueue` for `key`, `delay`, `replace`)."""
        delivery = self._require_delivery(f"job {name}")

        async def enqueue() -> None:
            await delivery.jobs.enqueue(name, dict(data or {}), key=key, delay=delay, replace=replace)

        self._record(self._after_commit, f"job {name}", enqueue)

    def after_commit(self, action: Action, *, what: str = "after-commit action") -> None:
        self._record(self._after_commit, what, action)

    def on_rollback(self, action: Action, *, what: str = "rollback action") -> None:
        self._record(self._on_rollback, what, action)

    async def committed(self) -> None:
        """Carries out every recorded effect, in order. One that fails does not stop the others; the
        first failure is raised at the end (a job then retries; a request reports it)."""
        actions, self._after_commit, self._on_rollback = self._after_commit, [], []
        self._closed = True
        first: BaseException | None = None
        for what, action in actions:
            try:
                await action()
            except Exception as error:
                log.exception("%s failed after the commit", what)
                first = first or error
        if first is not None:
            raise first

    async def rolled_back(self) -> None:
        """Drops the recorded effects and runs the rollback actions; their failures are logged only
        (the error that rolled back is the one to report)."""
        actions, self._after_commit, self._on_rollback = self._on_rollback, [], []
        self._closed = True
        for what, action in actions:
            try:
                await action()
            except Exception:
                log.exception("%s failed after the rollback", what)

    def _record(self, into: list[tuple[str, Action]], what: str, action: Action) -> None:
        if self._closed:
            raise RuntimeError(f"{what} recorded after its unit of work ended")
        into.append((what, action))

    def _require_delivery(self, what: str) -> Delivery:
        if self._delivery is None:
            # A database opened without the container (a command, a test): nothing would carry it out.
            raise RuntimeError(f"{what}: this unit of work has nowhere to send events and jobs")
        return self._delivery


def attach(session: AsyncSession, effects: SideEffects) -> None:
    session.info[_SESSION_KEY] = effects


def side_effects(db: AsyncSession) -> SideEffects:
    """The effects of the unit of work `db` belongs to."""
    effects = db.info.get(_SESSION_KEY)
    if not isinstance(effects, SideEffects):
        raise RuntimeError("this session was not opened by a unit of work (Database.unit_of_work)")
    return effects
