"""What the server runs on a clock: hourly housekeeping (trash past its retention, abandoned resumable
uploads, temporaries left by writers that crashed), and Immich's schedules: the nightly tasks at
`nightlyTasks.startTime` and database backups on `backup.database.cronExpression`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from croniter import croniter  # type: ignore[import-untyped]

from albumen.assets.tasks import finish_pending_moves, purge_expired_trash
from albumen.container import Container
from albumen.jobs.schemas import AlbumenJobName, AnyJobName, JobData, JobName
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository
from albumen.timeline.repository import TimelineRepository
from albumen.uploads.repository import PartialUploadStore

log = structlog.get_logger("albumen.housekeeping")


async def run_housekeeping(container: Container) -> dict[str, int]:
    async with container.database.unit_of_work() as db:
        config = await load_config(SystemMetadataRepository(db), container.settings.config_file)
    done = {"moves": await finish_pending_moves(container.database, container.storage)}
    async with container.database.unit_of_work() as db:
        done["month_count_rows"] = await TimelineRepository(db).compact_month_counts()
    done |= {"trash": 0, "uploads": 0, "temporaries": 0}
    if config["trash"]["enabled"]:
        done["trash"] = await purge_expired_trash(
            container.database, container.storage, int(config["trash"]["days"])
        )
    uploads = PartialUploadStore(container.settings.data_dir / "uploads")
    for upload_id in await uploads.expired():
        await uploads.remove(upload_id)
        done["uploads"] += 1
    stale = container.settings.stale_temporary_seconds  # older than any live writer's
    for backend in {id(b): b for b in container.storage.values()}.values():
        done["temporaries"] += await backend.delete_stale_temporaries(stale)
    return done


@contextlib.asynccontextmanager
async def housekeeping(container: Container, interval_seconds: float) -> AsyncIterator[None]:
    """Runs housekeeping now and every `interval_seconds` while the block is open (0 = never)."""

    async def loop() -> None:
        while True:
            try:
                log.info("housekeeping done", **await run_housekeeping(container))
            except Exception:  # one failed round must not stop the next
                log.exception("housekeeping failed")
            await asyncio.sleep(interval_seconds)

    task = asyncio.create_task(loop()) if interval_seconds > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# -- schedules ----------------------------------------------------------------------------------------

SCHEDULE_LOCK = "albumen:schedules"
SCHEDULE_KEY = "schedule:{name}"
# Immich's nightly jobs, by the `nightlyTasks` flag that turns them on (queue.service handleNightlyJobs).
NIGHTLY_JOBS: dict[str, list[tuple[AnyJobName, JobData]]] = {
    "databaseCleanup": [
        (JobName.AssetDeleteCheck, {}),
        (JobName.UserDeleteCheck, {}),
        (JobName.PersonCleanup, {}),
        (JobName.MemoryCleanup, {}),
        (JobName.SessionCleanup, {}),
        (JobName.HlsSessionCleanup, {}),
        (JobName.AuditTableCleanup, {}),
        (AlbumenJobName.OrphanFileSweep, {}),
        (JobName.NotificationsCleanup, {}),  # Immich 3.1.0 never queues it; old rows would pile up
    ],
    "generateMemories": [(JobName.MemoryGenerate, {})],
    "syncQuotaUsage": [(JobName.UserSyncUsage, {})],
    "missingThumbnails": [(JobName.AssetGenerateThumbnailsQueueAll, {"force": False})],
    "clusterNewFaces": [(JobName.FacialRecognitionQueueAll, {"force": False, "nightly": True})],
}
MACHINE_LEARNING_JOBS = {JobName.FacialRecognitionQueueAll}


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    cron: str
    jobs: list[tuple[AnyJobName, JobData]] = field(default_factory=list)


def schedules_of(config: dict[str, Any]) -> list[Schedule]:
    """The schedules the system config asks for (read afresh each round: a change needs no restart)."""
    hours, minutes = (int(part) for part in str(config["nightlyTasks"]["startTime"]).split(":"))
    nightly = [job for flag, jobs in NIGHTLY_JOBS.items() if config["nightlyTasks"].get(flag) for job in jobs]
    found = [Schedule("nightlyJobs", f"{minutes} {hours} * * *", nightly)]
    backup = config["backup"]["database"]
    if backup["enabled"]:
        backup_jobs: list[tuple[AnyJobName, JobData]] = [(JobName.DatabaseBackup, {})]
        found.append(Schedule("backupDatabase", str(backup["cronExpression"]), backup_jobs))
    return found


def _local_now() -> datetime:
    return datetime.now().astimezone()  # cron times are the server's local time, as in Immich


class Scheduler:
    """Fires each schedule once per occurrence, however many server processes share the database.

    The last occurrence each schedule fired for is kept in `system_metadata` and changed only under a
    transaction-scoped advisory lock, so of several processes looking at the same moment exactly one
    sees it new. An occurrence found later than `window` after its time (the server was down) is
    recorded without firing, as a cron daemon would have missed it too.
    """

    def __init__(
        self,
        container: Container,
        *,
        clock: Callable[[], datetime] = _local_now,
        window: timedelta = timedelta(minutes=2),
    ) -> None:
        self.container = container
        self.clock = clock
        self.window = window
        self._invalid: set[str] = set()

    async def tick(self) -> list[str]:
        """Queues the jobs of each schedule whose time came since the last look; returns their names."""
        async with self.container.database.unit_of_work() as db:
            config = await load_config(SystemMetadataRepository(db), self.container.settings.config_file)
        fired = []
        for schedule in schedules_of(config):
            if await self._claim(schedule):
                fired.append(schedule.name)
                await self._queue(schedule)
        return fired

    async def _claim(self, schedule: Schedule) -> bool:
        now = self.clock()
        if not croniter.is_valid(schedule.cron):
            if schedule.cron not in self._invalid:
                self._invalid.add(schedule.cron)
                log.error("invalid cron expression", schedule=schedule.name, cron=schedule.cron)
            return False
        due: datetime = croniter(schedule.cron, now).get_prev(datetime)
        key = SCHEDULE_KEY.format(name=schedule.name)
        async with self.container.database.unit_of_work() as db:
            metadata = SystemMetadataRepository(db)
            await metadata.hold(SCHEDULE_LOCK)
            state = await metadata.get(key)
            last = datetime.fromisoformat(state["last"]) if state else None
            if last is not None and last >= due:
                return False
            await metadata.set(key, {"last": due.isoformat()})
        return now - due <= self.window

    async def _queue(self, schedule: Schedule) -> None:
        jobs = self.container.jobs
        for name, data in schedule.jobs:
            if not jobs.has_handler(name):
                reason = "needs machine learning" if name in MACHINE_LEARNING_JOBS else "is not supported yet"
                log.info("scheduled job skipped", schedule=schedule.name, job=name.value, reason=reason)
                continue
            await jobs.enqueue(name, data)
        log.info("scheduled jobs queued", schedule=schedule.name)


@contextlib.asynccontextmanager
async def schedules(container: Container, interval_seconds: float) -> AsyncIterator[Scheduler]:
    """Looks every `interval_seconds` whether a schedule is due while the block is open."""
    scheduler = Scheduler(container, window=timedelta(seconds=max(120.0, 3 * interval_seconds)))

    async def loop() -> None:
        while True:
            try:
                await scheduler.tick()
            except Exception:  # one failed look must not stop the next
                log.exception("schedules failed")
            await asyncio.sleep(interval_seconds)

    task = asyncio.create_task(loop())
    try:
        yield scheduler
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
