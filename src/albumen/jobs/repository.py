"""Reads and admin writes on the queue's rows, and the per-queue pause flags.

The rows live in saq's own table (`saq_jobs`, created and versioned by saq when the job system starts,
see queue.py); it is described here with its own MetaData so Alembic never sees it. Pause flags are
rows of `system_metadata`, so every process (server and `albumen worker`s) reads the same flag.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    and_,
    delete,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.jobs.schemas import JobInfo, JobState, QueueCounts, QueueName
from albumen.models import SystemMetadata
from albumen.system.repository import SystemMetadataRepository

JOBS_TABLE = "saq_jobs"
PAUSED_KEY_PREFIX = "albumen-queue-paused:"
LIST_LIMIT = 1000

saq_jobs = Table(
    JOBS_TABLE,
    MetaData(),
    Column("key", String, primary_key=True),
    Column("job", LargeBinary, nullable=False),
    Column("queue", String, nullable=False),
    Column("status", String, nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("scheduled", BigInteger, nullable=False),
    Column("expire_at", BigInteger),
)

# saq's statuses grouped as Immich reports them; 'new' is a job saq has not queued yet.
_ACTIVE = ("active", "aborting")
_FAILED = ("failed", "aborted")
_QUEUED = ("queued", "new")


def paused_key(queue: QueueName) -> str:
    return PAUSED_KEY_PREFIX + queue.value


class JobRepository:
    """Pause flags, and the admin reads and writes on jobs in saq's PostgreSQL table (the Redis
    back-end's subclass, jobs/redis_backend.py, does the latter on Redis). Get one from
    `JobQueue.repository(db)`, which picks the subclass of the configured back-end."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # -- pause flags ----------------------------------------------------------------------------------

    async def paused_queues(self) -> set[QueueName]:
        keys = await self.db.scalars(
            select(SystemMetadata.key).where(SystemMetadata.key.startswith(PAUSED_KEY_PREFIX))
        )
        known = {paused_key(queue): queue for queue in QueueName}
        return {known[key] for key in keys if key in known}

    async def is_paused(self, queue: QueueName) -> bool:
        return await SystemMetadataRepository(self.db).get(paused_key(queue)) is not None

    async def set_paused(self, queue: QueueName, paused: bool) -> None:
        flags = SystemMetadataRepository(self.db)
        if paused:
            await flags.set(paused_key(queue), {"paused": True})
        else:
            await flags.delete(paused_key(queue))

    # -- counts and listing ---------------------------------------------------------------------------

    async def counts(self) -> dict[QueueName, QueueCounts]:
        """Immich's six numbers for every queue, in one scan."""
        paused = await self.paused_queues()
        status, scheduled, now = saq_jobs.c.status, saq_jobs.c.scheduled, time.time()

        def count(condition: ColumnElement[bool]) -> Any:
            return func.count().filter(condition)

        rows = await self.db.execute(
            select(
                saq_jobs.c.queue,
                count(status.in_(_ACTIVE)),
                count(status == "complete"),
                count(status.in_(_FAILED)),
                count(and_(status.in_(_QUEUED), scheduled > now)),
                count(and_(status.in_(_QUEUED), scheduled <= now)),
            ).group_by(saq_jobs.c.queue)
        )
        found = {}
        for queue_name, active, completed, failed, delayed, ready in rows:
            if queue_name not in QueueName.__members__.values():
                continue
            queue = QueueName(queue_name)
            held = queue in paused  # BullMQ lists a paused queue's waiting jobs as 'paused'
            found[queue] = QueueCounts(
                active=active,
                completed=completed,
                failed=failed,
                delayed=delayed,
                waiting=0 if held else ready,
                paused=ready if held else 0,
            )
        return {queue: found.get(queue, QueueCounts()) for queue in QueueName}

    async def is_active(self, queue: QueueName) -> bool:
        found = await self.db.scalar(
            select(saq_jobs.c.key)
            .where(saq_jobs.c.queue == queue.value, saq_jobs.c.status.in_(_ACTIVE))
            .limit(1)
        )
        return found is not None

    async def list_jobs(self, queue: QueueName, states: Iterable[JobState] | None = None) -> list[JobInfo]:
        wanted = set(states) if states else set(JobState)
        paused = await self.is_paused(queue)
        status, scheduled, now = saq_jobs.c.status, saq_jobs.c.scheduled, time.time()
        ready = and_(status.in_(_QUEUED), scheduled <= now)
        conditions: dict[JobState, ColumnElement[bool]] = {
            JobState.active: status.in_(_ACTIVE),
            JobState.completed: status == "complete",
            JobState.failed: status.in_(_FAILED),
            JobState.delayed: and_(status.in_(_QUEUED), scheduled > now),
            JobState.waiting: false() if paused else ready,
            JobState.paused: ready if paused else false(),
        }
        rows = await self.db.execute(
            select(saq_jobs.c.key, saq_jobs.c.job, status, scheduled)
            .where(saq_jobs.c.queue == queue.value, or_(*(conditions[s] for s in wanted)))
            .order_by(saq_jobs.c.scheduled, saq_jobs.c.key)
            .limit(LIST_LIMIT)
        )
        return [
            job_info(queue, key, json.loads(raw), job_state(row_status, row_scheduled, now, paused))
            for key, raw, row_status, row_scheduled in rows
        ]

    # -- admin writes ---------------------------------------------------------------------------------

    async def empty(self, queue: QueueName) -> int:
        """Drops the waiting jobs (as BullMQ's drain: delayed jobs and retries in back-off stay)."""
        result = await self.db.execute(
            delete(saq_jobs).where(
                saq_jobs.c.queue == queue.value,
                saq_jobs.c.status.in_(_QUEUED),
                saq_jobs.c.scheduled <= time.time(),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def clear_failed(self, queue: QueueName) -> int:
        result = await self.db.execute(
            delete(saq_jobs).where(saq_jobs.c.queue == queue.value, saq_jobs.c.status.in_(_FAILED))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def job_state(status: str, scheduled: int, now: float, paused: bool) -> JobState:
    """Where a job of saq's `status`, due at `scheduled` (epoch seconds), shows in Immich's states."""
    if status in _ACTIVE:
        return JobState.active
    if status == "complete":
        return JobState.completed
    if status in _FAILED:
        return JobState.failed
    if scheduled > now:
        return JobState.delayed
    return JobState.paused if paused else JobState.waiting


def job_info(queue: QueueName, key: str, job: dict[str, Any], state: JobState) -> JobInfo:
    """A job as saq stores it (its JSON, parsed) in the shape the admin endpoints read."""
    return JobInfo(
        id=key,
        name=str(job.get("function", "")),
        queue=queue,
        state=state,
        data=dict((job.get("kwargs") or {}).get("data") or {}),
        attempts=int(job.get("attempts", 0)),
        error=job.get("error"),
        queued_at=int(job.get("queued", 0)),
    )
