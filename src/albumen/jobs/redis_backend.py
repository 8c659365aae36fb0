"""The job queues on Redis (ALBUMEN_REDIS_URL): saq's Redis queue, for servers and workers on several
hosts. The pause flags live there too (`albumen:paused:<queue>`), so a slot reads one in a round trip.

saq's Redis layout, which the admin reads below rely on (and tests/unit/test_saq_pin.py holds):
job bodies at `saq:job:<queue>:<key>` (JSON, finished ones with their ttl), `saq:<queue>:queued` (a
list: due, waiting for a slot), `saq:<queue>:active` (a list: claimed) and `saq:<queue>:incomplete` (a
sorted set of every job not finished, scored by when it is due; 0 once queued).

Not on Redis: job priorities (saq's Redis queue is first in, first out); `enqueue` refuses any but the
default rather than ignore it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError
from saq import Job, Status
from saq.queue.redis import ID_PREFIX, RedisQueue

from albumen.jobs.backend import DEFAULT_PRIORITY, SWEPT_ERROR, BrokerQueue, JobBackend, QueueHooks
from albumen.jobs.repository import LIST_LIMIT, JobRepository, job_info, job_state
from albumen.jobs.schemas import JobInfo, JobState, QueueCounts, QueueName
from albumen.kit.startup import StartupError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("albumen.jobs")
PAUSED_KEY_PREFIX = "albumen:paused:"
SCAN_BATCH = 500
# Drops a queue's waiting jobs in one step, so no worker claims one half-way.
_EMPTY_SCRIPT = """
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
    redis.call('ZREM', KEYS[2], id)
    redis.call('DEL', id)
end
redis.call('DEL', KEYS[1])
return #ids
"""

# Drops one job that waits (scheduled or due), in one step; one a worker claimed stays.
_DROP_WAITING_SCRIPT = """
if not redis.call('ZSCORE', KEYS[1], KEYS[2]) then return 0 end
if redis.call('LPOS', KEYS[3], KEYS[2]) then return 0 end
redis.call('ZREM', KEYS[1], KEYS[2])
redis.call('LREM', KEYS[4], 0, KEYS[2])
redis.call('DEL', KEYS[2])
return 1
"""


def paused_key(queue: QueueName) -> str:
    return PAUSED_KEY_PREFIX + queue.value


async def is_paused(redis: aioredis.Redis, queue: QueueName) -> bool:
    return bool(await redis.exists(paused_key(queue)))


class RedisBrokerQueue(BrokerQueue, RedisQueue):
    """saq's Redis queue with pause, kept failures and a sweep that spares a job being claimed; its
    de-duplication already lets a finished key be queued again (it refuses a key waiting or running)."""

    _suspects: dict[bytes, tuple[str, int]] = {}

    async def held(self) -> bool:
        return await is_paused(self.redis, self.queue_name)

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109
        # A slot may have been waiting in Redis since before a pause landed: the flag is read again for
        # the job it got, which goes back to the head of the queue if the queue is paused now.
        job = await super().dequeue(timeout, poll_interval)
        if job is None or not await self.held():
            return job
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrem(self.namespace("active"), 1, job.id)
            pipe.lpush(self.namespace("queued"), job.id)
            await pipe.execute()
        return None

    async def drop_finished(self, key: str) -> None:
        return None  # saq's Redis enqueue overwrites a finished job with the same key

    async def drop_waiting(self, key: str) -> None:
        incomplete, active, queued = (self.namespace(name) for name in ("incomplete", "active", "queued"))
        keys = [incomplete, self.job_id(key), active, queued]
        await self.redis.eval(_DROP_WAITING_SCRIPT, len(keys), *keys)  # type: ignore[misc]

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """saq's Redis sweep, except for a job claimed (in the active list) but not marked active: saq
        sweeps it at once, yet a slot that just claimed a job is in that state for a moment. Such a job
        is swept only when this process's previous sweep saw it so too, unchanged. One process sweeps a
        queue per sweep interval."""
        if not await self.redis.set(self.namespace("sweep"), 1, ex=self.hooks.sweep_every, nx=True):
            return []
        active = self.namespace("active")
        job_ids: list[bytes] = await self.redis.lrange(active, 0, -1)  # type: ignore[misc]
        bodies = await self.redis.mget(job_ids) if job_ids else []
        suspects: dict[bytes, tuple[str, int]] = {}
        swept: list[str] = []
        for job_id, raw in zip(job_ids, bodies, strict=True):
            job = self.deserialize(raw)
            if job is None:  # its body is gone: nothing to run
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.lrem(active, 0, job_id.decode())
                    pipe.zrem(self.namespace("incomplete"), job_id)
                    await pipe.execute()
                swept.append(job_id.decode())
                continue
            if job.status == Status.ACTIVE and not job.stuck:
                continue
            if job.status != Status.ACTIVE:
                seen = (str(job.status), job.touched)
                if self._suspects.get(job_id) != seen:
                    suspects[job_id] = seen
                    continue
            swept.append(job_id.decode())
            await self._sweep_job(job, self.hooks.abort_wait)
        self._suspects = suspects
        return swept

    async def _sweep_job(self, job: Job, abort: float) -> None:
        """As saq sweeps one job: abort it, give its worker `abort` seconds, then retry or fail it."""
        log.info("sweeping a lost job", extra={"job": job.key, "queue": self.name})
        await self.abort(job, error=self.swept_error_message)
        with contextlib.suppress(TimeoutError):
            await job.refresh(abort)
        if job.retryable:
            await self.retry(job, error=self.swept_error_message)
        else:
            await self.finish(job, Status.ABORTED, error=self.swept_error_message)

    async def close(self) -> None:
        await self.disconnect()


class RedisBackend(JobBackend):
    # Slots wait for a job in Redis at most this long, then read the pause flag again.
    dequeue_timeout = 1.0

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: aioredis.Redis | None = None
        self._queues: dict[QueueName, RedisBrokerQueue] = {}

    async def open(self, worker_queues: int, hooks: QueueHooks) -> dict[QueueName, BrokerQueue]:
        client: aioredis.Redis = aioredis.from_url(self.url)
        try:
            await client.ping()  # type: ignore[misc]  # redis-py types it sync or async
        except (RedisError, OSError) as error:
            await client.aclose()
            raise StartupError(f"the job queue cannot reach Redis (ALBUMEN_REDIS_URL): {error}") from None
        self._redis = client
        for queue in QueueName:
            broker = RedisBrokerQueue(client, name=queue.value, swept_error_message=SWEPT_ERROR)
            broker.bind(queue, hooks)
            await broker.connect()
            self._queues[queue] = broker
        return dict(self._queues)

    async def close(self) -> None:
        self._queues = {}
        client, self._redis = self._redis, None
        if client is not None:
            await client.aclose()

    def check_priority(self, priority: int) -> None:
        super().check_priority(priority)
        if priority != DEFAULT_PRIORITY:
            raise ValueError("job priorities need the PostgreSQL job queue (ALBUMEN_REDIS_URL is set)")

    def repository(self, db: AsyncSession) -> JobRepository:
        if self._redis is None:
            raise RuntimeError("the job queue is not started")
        return RedisJobRepository(db, self._redis, self._queues)


class RedisJobRepository(JobRepository):
    """The admin reads and writes of JobRepository, on saq's Redis keys, and the pause flags in Redis."""

    def __init__(
        self, db: AsyncSession, redis: aioredis.Redis, queues: Mapping[QueueName, RedisBrokerQueue]
    ) -> None:
        super().__init__(db)
        self.redis = redis
        self.queues = queues

    async def _jobs(self, queue: QueueName | None = None) -> AsyncIterator[tuple[QueueName, dict[str, Any]]]:
        """Every stored job (of one queue), as saq's JSON, with its queue; one scan of the key space."""
        pattern = f"{ID_PREFIX}{queue.value if queue else '*'}:*"
        known = {q.value: q for q in QueueName}
        batch: list[bytes] = []

        async def read(ids: list[bytes]) -> list[tuple[QueueName, dict[str, Any]]]:
            found = []
            for job_id, raw in zip(ids, await self.redis.mget(ids), strict=True):
                name = job_id.decode()[len(ID_PREFIX) :].split(":", 1)[0]
                if raw is not None and name in known:
                    found.append((known[name], json.loads(raw)))
            return found

        async for job_id in self.redis.scan_iter(match=pattern, count=SCAN_BATCH):
            batch.append(job_id)
            if len(batch) >= SCAN_BATCH:
                for item in await read(batch):
                    yield item
                batch = []
        if batch:
            for item in await read(batch):
                yield item

    async def paused_queues(self) -> set[QueueName]:
        flags = await self.redis.mget([paused_key(queue) for queue in QueueName])
        return {queue for queue, flag in zip(QueueName, flags, strict=True) if flag is not None}

    async def is_paused(self, queue: QueueName) -> bool:
        return await is_paused(self.redis, queue)

    async def set_paused(self, queue: QueueName, paused: bool) -> None:
        if paused:
            await self.redis.set(paused_key(queue), 1)
        else:
            await self.redis.delete(paused_key(queue))

    async def counts(self) -> dict[QueueName, QueueCounts]:
        paused = await self.paused_queues()
        now = time.time()
        tally: dict[QueueName, dict[JobState, int]] = defaultdict(lambda: dict.fromkeys(JobState, 0))
        async for queue, job in self._jobs():
            state = job_state(str(job.get("status")), int(job.get("scheduled") or 0), now, queue in paused)
            tally[queue][state] += 1
        return {
            queue: QueueCounts(**{state.value: count for state, count in tally[queue].items()})
            for queue in QueueName
        }

    async def is_active(self, queue: QueueName) -> bool:
        return await self.queues[queue].count("active") > 0

    async def list_jobs(self, queue: QueueName, states: Iterable[JobState] | None = None) -> list[JobInfo]:
        wanted = set(states) if states else set(JobState)
        paused = await self.is_paused(queue)
        now = time.time()
        found = []
        async for _, job in self._jobs(queue):
            scheduled, key = int(job.get("scheduled") or 0), str(job.get("key"))
            state = job_state(str(job.get("status")), scheduled, now, paused)
            if state in wanted:
                found.append((scheduled, key, job_info(queue, key, job, state)))
        found.sort(key=lambda row: (row[0], row[1]))  # as the PostgreSQL listing
        return [info for _, _, info in found[:LIST_LIMIT]]

    async def empty(self, queue: QueueName) -> int:
        broker = self.queues[queue]
        dropped = await self.redis.eval(  # type: ignore[misc]
            _EMPTY_SCRIPT, 2, broker.namespace("queued"), broker.namespace("incomplete")
        )
        return int(dropped)

    async def clear_failed(self, queue: QueueName) -> int:
        broker = self.queues[queue]
        failed = [
            broker.job_id(str(job.get("key")))
            async for _, job in self._jobs(queue)
            if job.get("status") in ("failed", "aborted")
        ]
        return int(await self.redis.delete(*failed)) if failed else 0
