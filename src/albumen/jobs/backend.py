"""Where the queues live: the seam between the job system and its broker.

`open_backend` is the one place that picks: Redis when ALBUMEN_REDIS_URL is set, else the PostgreSQL
every process shares anyway (the embedded default). Everything else (JobQueue, the admin endpoints)
talks to a `JobBackend` and its `BrokerQueue`s and never asks which one it has.

What Albumen adds on top of saq lives in `BrokerQueue` where both brokers share it (kept failures,
tracking the slots that wait for a job, a clean release) and in each broker's subclass where saq's
internals differ (the pause check before a claim, the sweep, the full de-duplication).
Every saq method a subclass overrides, and the internals they touch, are held against the pinned saq by
tests/unit/test_saq_pin.py (an upgrade that changes one fails there, not in production).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from saq import Job, Queue, Status

from albumen.config import Settings
from albumen.jobs.schemas import QueueName
from albumen.kit.db import Database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from albumen.jobs.repository import JobRepository

SWEPT_ERROR = "worker lost: no heartbeat"
# Lower runs first (saq's PostgreSQL queue orders by priority, then by when the job is due); 0..32767.
DEFAULT_PRIORITY = 100
HELD_POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class QueueHooks:
    """What a broker queue asks of the job system: is a queue paused (a flag in the shared database any
    process may set; the Redis broker keeps its own), how long the sweeper waits for a lost job's abort
    before queueing it again, and how often it sweeps."""

    is_paused: Callable[[QueueName], Awaitable[bool]]
    abort_wait: float
    sweep_every: int


class BrokerQueue(Queue):
    """Albumen's additions shared by both brokers; a subclass puts this before saq's broker class."""

    queue_name: QueueName
    hooks: QueueHooks
    # Worker slots waiting in `dequeue` (holding no job): `stop` cancels these at once.
    idle: set[asyncio.Task[Any]]

    def bind(self, queue: QueueName, hooks: QueueHooks) -> None:
        self.queue_name = queue
        self.hooks = hooks
        self.idle = set()

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109
        task = asyncio.current_task()
        if task is not None:
            self.idle.add(task)
        try:
            if await self.held():
                await asyncio.sleep(HELD_POLL_SECONDS)
                return None
            return await super().dequeue(timeout, poll_interval)  # type: ignore[safe-super]  # a broker's
        finally:
            if task is not None:
                self.idle.discard(task)

    async def held(self) -> bool:
        """True while this process's slots must not claim (a broker that checks pause elsewhere: False)."""
        return False

    async def finish(
        self, job: Job, status: Status, *, result: Any = None, error: str | None = None, **kwargs: Any
    ) -> None:
        if status in (Status.FAILED, Status.ABORTED):
            job.ttl = 0  # the dead-letter list: kept, with its error, until an admin clears it
        await super().finish(job, status, result=result, error=error, **kwargs)

    @abstractmethod
    async def drop_finished(self, key: str) -> None:
        """Removes a finished (completed, failed) job with this key, so the key can be queued again even
        within the second it finished in."""

    @abstractmethod
    async def drop_waiting(self, key: str) -> None:
        """Removes the job with this key if it waits (due or scheduled); a running one is left alone."""

    async def release_unclaimed(self) -> None:
        """Jobs this process claimed for slots that stopped before taking them go back to waiting."""

    @abstractmethod
    async def close(self) -> None: ...


class JobBackend(ABC):
    """One broker connection per process, and a queue object on it for each of Immich's queues."""

    # Worker slots re-ask for a job this often (seconds; 0: they wait for a notification).
    dequeue_timeout: float = 0.0

    @abstractmethod
    async def open(self, worker_queues: int, hooks: QueueHooks) -> dict[QueueName, BrokerQueue]:
        """Connects (raising StartupError if it cannot) and returns every queue, connected."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def repository(self, db: AsyncSession) -> JobRepository:
        """The pause flags and the admin reads and writes on this broker's jobs (counts, lists, empty,
        clear failed)."""

    def check_priority(self, priority: int) -> None:
        """Raises ValueError for a priority this broker cannot honour."""
        if not 0 <= priority <= 32767:
            raise ValueError("priority must be within 0..32767 (lower runs first)")


def open_backend(settings: Settings, database: Database) -> JobBackend:
    """The one place that picks where the queues live."""
    if settings.redis_url:
        from albumen.jobs.redis_backend import RedisBackend

        return RedisBackend(settings.redis_url)
    from albumen.jobs.postgres_backend import PostgresBackend

    return PostgresBackend(database)
