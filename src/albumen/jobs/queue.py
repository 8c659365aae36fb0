"""The job system: Immich's queues on saq, in the server's own PostgreSQL or on Redis (jobs/backend.py).

One `JobQueue` per process. Handlers are registered before `start`; `enqueue` puts a job on its queue;
`start(workers=...)` also runs a saq worker for each named queue that has handlers. The library stays
behind this class: nothing else in Albumen imports saq.

What saq does not do, and is added here:
- pause: a per-queue flag (in `system_metadata`, or in Redis with that broker), checked before each claim
  (any process may set it);
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
import os
import signal
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from saq import Job, Worker
from saq.types import Context, Function
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.config import Settings
from albumen.jobs.backend import DEFAULT_PRIORITY, BrokerQueue, JobBackend, QueueHooks, open_backend
from albumen.jobs.repository import JobRepository
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
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

log = logging.getLogger("albumen.jobs")

# Who ran a job, in its log line: the host and process of the worker.
WORKER_IDENTITY = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class _Registration:
    queue: QueueName
    handler: Handler
    retry: RetryPolicy


class _Worker(Worker[Context]):
    # The process owns its signals (uvicorn in `serve`, the worker command's own handler); saq's would
    # replace them and reset them to the default on stop.
    SIGNALS: list[signal.Signals] = []

    def __init__(self, queue: BrokerQueue, **kwargs: Any) -> None:
        super().__init__(queue, **kwargs)
        self.broker_queue = queue

    async def stop(self) -> None:
        # saq waits the grace period for every task; the upkeep loops and slots waiting for a job are
        # cancelled at once, so only running jobs get it (and are queued again if they overrun it).
        self.event.set()
        for task in list(self.tasks):
            if task.get_name() != "process" or task in self.broker_queue.idle:
                task.cancel()
        await super().stop()
        await self.broker_queue.release_unclaimed()


def _saq_function(name: AnyJobName, handler: Handler) -> tuple[str, Function[Context]]:
    async def run(ctx: Context, *, data: JobData) -> None:
        beat = asyncio.create_task(_keep_alive(ctx["job"]))
        try:
            await handler(data)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        log.info("job done", extra={"job": name.value, "job_key": ctx["job"].key, "worker": WORKER_IDENTITY})

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
        self.backend: JobBackend = open_backend(settings, database)
        self._started = False
        self._queues: dict[QueueName, BrokerQueue] = {}
        self._workers: list[tuple[_Worker, asyncio.Task[None]]] = []

    # -- handlers -------------------------------------------------------------------------------------

    def register(
        self, name: AnyJobName, queue: QueueName, handler: Handler, *, retry: RetryPolicy | None = None
    ) -> None:
        """Says which coroutine runs `name`. Immich fixes each job's queue; a different one is refused."""
        if self._started:
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
        return [worker.broker_queue.queue_name for worker, _ in self._workers]

    # -- life cycle -----------------------------------------------------------------------------------

    async def start(self, workers: Iterable[QueueName] = ()) -> None:
        """Connects (creating saq's tables on first use) and runs a worker for each of `workers` that
        has handlers, `job.<queue>.concurrency` jobs at a time (Immich's system config)."""
        if self._started:
            raise RuntimeError("the job queue is already started")
        if self.settings.log_level != "debug":
            # saq logs three lines per job; at library scale they drown the rest. Its errors still show.
            logging.getLogger("saq").setLevel(logging.WARNING)
        runnable = [q for q in dict.fromkeys(workers) if any(r.queue == q for r in self._handlers.values())]
        hooks = QueueHooks(
            is_paused=self._is_paused, abort_wait=self.timing.abort_wait, sweep_every=self.timing.sweep
        )
        self._started = True
        try:
            self._queues = await self.backend.open(len(runnable), hooks)
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
            dequeue_timeout=self.backend.dequeue_timeout,
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
        await self.backend.close()
        self._started = False

    async def _config(self) -> dict[str, Any]:
        async with self.database.unit_of_work() as db:
            return await load_config(SystemMetadataRepository(db), self.settings.config_file)

    def repository(self, db: AsyncSession) -> JobRepository:
        """Pause flags and the admin reads and writes on the jobs, wherever the queues live."""
        return self.backend.repository(db)

    async def _is_paused(self, queue: QueueName) -> bool:
        async with self.database.unit_of_work() as db:
            return await self.repository(db).is_paused(queue)

    # -- enqueue --------------------------------------------------------------------------------------

    async def enqueue(
        self,
        name: AnyJobName,
        data: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        delay: float | None = None,
        priority: int | None = None,
        replace: bool = False,
    ) -> str | None:
        """Queues `name` with JSON `data`; returns the job id, or None when nothing was queued: the same
        job with the same `key` is already waiting or running. `replace`: a waiting job with that key is
        dropped first, so the new one (with its delay) takes its place (a debounce). A name without a
        handler raises JobNotSupported: nothing would ever run it. Call it after the transaction that
        made the job's rows commits."""
        self.require(name)
        registration = self._handlers[name]
        queue = self._queues.get(registration.queue)
        if queue is None:
            raise RuntimeError("the job queue is not started")
        priority = DEFAULT_PRIORITY if priority is None else priority
        self.backend.check_priority(priority)
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
            if replace:
                await queue.drop_waiting(job.key)
            await queue.drop_finished(job.key)
        queued = await queue.enqueue(job)
        return queued.key if queued is not None else None
