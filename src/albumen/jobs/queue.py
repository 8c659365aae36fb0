"""The job system: Immich's queues on saq, in the server's own PostgreSQL.

One `JobQueue` per process. Handlers are registered before `start`; `enqueue` puts a job on its queue;
`start(workers=...)` also runs a saq worker for each named queue that has handlers. The library stays
behind this class: nothing else in Albumen imports saq.

What saq does not do, and is added here:
- pause: a per-queue flag in `system_metadata`, checked right before each claim (any process may set it);
- de-duplication that also works right after a job finished (saq only refuses a key still queued/active);
- failed jobs kept until cleared (the dead-letter list; saq expires every finished job after its ttl);
- a heartbeat while a handler runs, so the sweeper queues the jobs of a killed worker again;
- a stop that waits only for running jobs (saq's waits the whole grace period for idle loops too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from saq import Job, Status, Worker
from saq.queue.postgres import PostgresQueue
from saq.types import Context, Function
from sqlalchemy.engine import URL

from albumen.config import Settings
from albumen.jobs.repository import JOBS_TABLE, JobRepository
from albumen.jobs.schemas import (
    JOB_QUEUES,
    AnyJobName,
    Handler,
    JobData,
    JobNotSupported,
    QueueName,
    RetryPolicy,
    WorkerTiming,
    concurrency_of,
)
from albumen.kit.db import Database
from albumen.kit.startup import StartupError
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

log = logging.getLogger("albumen.jobs")

# saq's advisory locks (schema set-up, one sweeper per queue) use this first key, away from 0.
LOCK_KEYSPACE = 0x616C62
CONNECT_TIMEOUT_SECONDS = 15.0
# Lower runs first (saq orders by priority, then by when the job is due); 0..32767.
DEFAULT_PRIORITY = 100
SWEPT_ERROR = "worker lost: no heartbeat"


def backend_conninfo(settings: Settings, database: Database) -> str:
    """The one place that picks where the queues live. Redis (ALBUMEN_REDIS_URL) is for a later
    version; until then every process keeps using the PostgreSQL they all share anyway, so setting it
    (as Socket.IO fan-out does) changes nothing here but a warning."""
    if settings.redis_url:
        log.warning("job queues stay in PostgreSQL: this version has no Redis queue back-end yet")
    return libpq_conninfo(database.engine.url)


def libpq_conninfo(url: URL) -> str:
    """The engine's URL as psycopg's connection string (a socket folder in `?host=` survives intact)."""
    params: dict[str, Any] = {
        key: value[-1] if isinstance(value, tuple) else value for key, value in url.query.items()
    }
    for key, value in (
        ("host", url.host),
        ("port", url.port),
        ("user", url.username),
        ("password", url.password),
        ("dbname", url.database),
    ):
        if value not in (None, ""):
            params[key] = value
    return make_conninfo("", **params)


@dataclass(frozen=True, slots=True)
class _Registration:
    queue: QueueName
    handler: Handler
    retry: RetryPolicy


class _SchemaOnce:
    """saq creates its tables on connect; 19 queue objects of one process need that done once."""

    def __init__(self) -> None:
        self.ready = False


class _PgQueue(PostgresQueue):
    """saq's PostgreSQL queue with pause, a full de-duplication, kept failures and a clean release."""

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        queue: QueueName,
        *,
        is_paused: Callable[[QueueName], Awaitable[bool]],
        schema: _SchemaOnce,
        abort_wait: float,
    ) -> None:
        super().__init__(
            pool=pool,
            name=queue.value,
            saq_lock_keyspace=LOCK_KEYSPACE,
            swept_error_message=SWEPT_ERROR,
            manage_pool_lifecycle=False,
        )
        self.queue_name = queue
        self._is_paused = is_paused
        self._schema = schema
        self._abort_wait = abort_wait
        # Worker slots waiting in `dequeue` (holding no job): `stop` cancels these at once.
        self.idle: set[asyncio.Task[Any]] = set()

    async def init_db(self) -> None:
        if self._schema.ready:
            return
        for _ in range(50):
            await super().init_db()
            # saq skips the migration when another process holds its lock; wait for that one to finish.
            if await self._table_exists():
                self._schema.ready = True
                return
            await asyncio.sleep(0.2)
        raise StartupError(f"the job tables ({JOBS_TABLE}) were not created in time")

    async def _table_exists(self) -> bool:
        async with self.pool.connection() as conn, conn.cursor() as cursor:
            await cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (JOBS_TABLE,))
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def _dequeue(self) -> None:
        # Checked right before saq's claim query: a pause set by any process holds back every worker
        # from its next claim on (a claim already under way when the flag lands still completes).
        if self._dequeue_lock.locked() or not self._waiting:
            return
        if await self._is_paused(self.queue_name):
            return
        await super()._dequeue()

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109
        task = asyncio.current_task()
        if task is not None:
            self.idle.add(task)
        try:
            return await super().dequeue(timeout, poll_interval)
        finally:
            if task is not None:
                self.idle.discard(task)

    async def drop_finished(self, key: str) -> None:
        """Removes a finished (completed, failed) job with this key, so the key can be queued again even
        within the second it finished in (saq would refuse: it only replaces an older `scheduled`)."""
        async with self.pool.connection() as conn:
            await conn.execute(
                f"DELETE FROM {JOBS_TABLE} "  # noqa: S608 - a constant table name, values are bound
                "WHERE key = %s AND status IN ('aborted', 'complete', 'failed')",
                (key,),
            )

    async def _finish(
        self,
        job: Job,
        status: Status,
        *,
        result: Any = None,
        error: str | None = None,
        connection: AsyncConnection[Any] | None = None,
    ) -> None:
        if status in (Status.FAILED, Status.ABORTED):
            job.ttl = 0  # the dead-letter list: kept, with its error, until an admin clears it
        await super()._finish(job, status, result=result, error=error, connection=connection)

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        return await super().sweep(lock, abort=self._abort_wait)

    async def release_unclaimed(self) -> None:
        """Jobs this process claimed for slots that stopped before taking them go back to waiting."""
        while not self._job_queue.empty():
            job: Job = self._job_queue.get_nowait()
            await self.update(job, status=Status.QUEUED)

    async def close(self) -> None:
        await self._listener.close()
        await self.disconnect()


class _Worker(Worker[Context]):
    # The process owns its signals (uvicorn in `serve`, the worker command's own handler); saq's would
    # replace them and reset them to the default on stop.
    SIGNALS: list[signal.Signals] = []

    def __init__(self, queue: _PgQueue, **kwargs: Any) -> None:
        super().__init__(queue, **kwargs)
        self.pg_queue = queue

    async def stop(self) -> None:
        # saq waits the grace period for every task; the upkeep loops and slots waiting for a job are
        # cancelled at once, so only running jobs get it (and are queued again if they overrun it).
        self.event.set()
        for task in list(self.tasks):
            if task.get_name() != "process" or task in self.pg_queue.idle:
                task.cancel()
        await super().stop()
        await self.pg_queue.release_unclaimed()


def _saq_function(name: AnyJobName, handler: Handler) -> tuple[str, Function[Context]]:
    async def run(ctx: Context, *, data: JobData) -> None:
        beat = asyncio.create_task(_keep_alive(ctx["job"]))
        try:
            await handler(data)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    return name.value, run


async def _keep_alive(job: Job) -> None:
    """Touches the running job's row so the sweeper can tell it from one whose worker died."""
    if not job.heartbeat:
        return
    while True:
        await asyncio.sleep(job.heartbeat / 3)
        try:
            await job.update()
        except Exception:  # a missed beat is not the job's failure; the next one may get through
            log.warning("job heartbeat failed", extra={"job": job.key}, exc_info=True)


class JobQueue:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        timing: WorkerTiming | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.retry = retry or RetryPolicy()
        heartbeat = settings.job_heartbeat_seconds
        # The sweeper frees lost jobs one at a time, each after waiting abort_wait for a live owner to let
        # go: a short heartbeat (tests, chaos) needs a short wait too, or dozens of lost jobs take minutes.
        self.timing = timing or WorkerTiming(
            grace=settings.shutdown_grace_seconds,
            heartbeat=heartbeat,
            sweep=max(1, min(30, heartbeat // 2)),
            abort_wait=min(5.0, max(0.5, heartbeat / 4)),
        )
        self._handlers: dict[AnyJobName, _Registration] = {}
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._queues: dict[QueueName, _PgQueue] = {}
        self._workers: list[tuple[_Worker, asyncio.Task[None]]] = []

    # -- handlers -------------------------------------------------------------------------------------

    def register(
        self, name: AnyJobName, queue: QueueName, handler: Handler, *, retry: RetryPolicy | None = None
    ) -> None:
        """Says which coroutine runs `name`. Immich fixes each job's queue; a different one is refused."""
        if self._pool is not None:
            raise RuntimeError("register job handlers before the job queue starts")
        if JOB_QUEUES[name] != queue:
            raise ValueError(f"{name} runs on the {JOB_QUEUES[name]} queue, not {queue}")
        if name in self._handlers:
            raise ValueError(f"{name} already has a handler")
        self._handlers[name] = _Registration(queue, handler, retry or self.retry)

    def has_handler(self, name: AnyJobName) -> bool:
        return name in self._handlers

    def require(self, *names: AnyJobName) -> None:
        """Raises JobNotSupported (a 400) for the first name without a handler: call it before queueing
        anything, so a request is refused whole rather than half done."""
        for name in names:
            if name not in self._handlers:
                raise JobNotSupported(name)

    @property
    def worker_queues(self) -> list[QueueName]:
        """The queues this process runs workers for."""
        return [worker.pg_queue.queue_name for worker, _ in self._workers]

    # -- life cycle -----------------------------------------------------------------------------------

    async def start(self, workers: Iterable[QueueName] = ()) -> None:
        """Connects (creating saq's tables on first use) and runs a worker for each of `workers` that
        has handlers, `job.<queue>.concurrency` jobs at a time (Immich's system config)."""
        if self._pool is not None:
            raise RuntimeError("the job queue is already started")
        conninfo = backend_conninfo(self.settings, self.database)
        if self.settings.log_level != "debug":
            # saq logs three lines per job; at library scale they drown the rest. Its errors still show.
            logging.getLogger("saq").setLevel(logging.WARNING)
        runnable = [q for q in dict.fromkeys(workers) if any(r.queue == q for r in self._handlers.values())]
        # Each worker holds one connection for LISTEN and briefly more to claim and update jobs.
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=4 + 2 * len(runnable),
            open=False,
            kwargs={"autocommit": True},
            name="albumen-jobs",
            check=AsyncConnectionPool.check_connection,
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except PoolTimeout:
            await pool.close()
            raise StartupError("the job queue cannot connect to the database") from None
        self._pool = pool
        try:
            schema = _SchemaOnce()
            for queue in QueueName:
                self._queues[queue] = _PgQueue(
                    pool, queue, is_paused=self._is_paused, schema=schema, abort_wait=self.timing.abort_wait
                )
                await self._queues[queue].connect()
            config = await self._config()
            for queue in runnable:
                self._start_worker(queue, concurrency_of(queue, config))
        except BaseException:
            await self.stop()
            raise
        if runnable:
            log.info("job workers started", extra={"queues": [q.value for q in runnable]})

    def _start_worker(self, queue: QueueName, concurrency: int) -> None:
        functions = [_saq_function(n, r.handler) for n, r in self._handlers.items() if r.queue == queue]
        timing = self.timing
        worker = _Worker(
            self._queues[queue],
            functions=functions,
            concurrency=concurrency,
            timers={"schedule": timing.schedule, "sweep": timing.sweep, "worker_info": 10, "abort": 1},
            shutdown_grace_period_s=math.ceil(timing.grace),
            metadata={"queue": queue.value},
        )
        self._workers.append((worker, asyncio.create_task(worker.start(), name=f"jobs:{queue}")))

    async def stop(self) -> None:
        """Lets running jobs finish for up to the grace period, queues the rest again, disconnects."""
        workers, self._workers = self._workers, []
        await asyncio.gather(*(worker.stop() for worker, _ in workers), return_exceptions=True)
        await asyncio.gather(*(task for _, task in workers), return_exceptions=True)
        queues, self._queues = self._queues, {}
        for queue in queues.values():
            with contextlib.suppress(Exception):
                await queue.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _config(self) -> dict[str, Any]:
        async with self.database.unit_of_work() as db:
            return await load_config(SystemMetadataRepository(db), self.settings.config_file)

    async def _is_paused(self, queue: QueueName) -> bool:
        async with self.database.unit_of_work() as db:
            return await JobRepository(db).is_paused(queue)

    # -- enqueue --------------------------------------------------------------------------------------

    async def enqueue(
        self,
        name: AnyJobName,
        data: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        delay: float | None = None,
        priority: int | None = None,
    ) -> str | None:
        """Queues `name` with JSON `data`; returns the job id, or None when nothing was queued: the same
        job with the same `key` is already waiting or running. A name without a handler raises
        JobNotSupported: nothing would ever run it. Call it after the transaction that made the job's
        rows commits."""
        self.require(name)
        registration = self._handlers[name]
        queue = self._queues.get(registration.queue)
        if queue is None:
            raise RuntimeError("the job queue is not started")
        priority = DEFAULT_PRIORITY if priority is None else priority
        if not 0 <= priority <= 32767:
            raise ValueError("priority must be within 0..32767 (lower runs first)")
        retry = registration.retry
        job = Job(
            function=name.value,
            kwargs={"data": dict(data or {})},
            timeout=0,  # Immich has no time limit; a stuck job is found by its heartbeat
            heartbeat=self.timing.heartbeat,
            retries=retry.attempts,
            retry_delay=retry.delay,
            retry_backoff=retry.max_delay,
            ttl=self.timing.completed_ttl,
            scheduled=math.ceil(time.time() + delay) if delay else 0,
            priority=priority,
        )
        if key is not None:
            job.key = f"{name.value}:{key}"
            await queue.drop_finished(job.key)
        queued = await queue.enqueue(job)
        return queued.key if queued is not None else None
