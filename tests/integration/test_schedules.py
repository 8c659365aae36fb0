"""Immich's schedules in the server: the nightly tasks at `nightlyTasks.startTime` and database backups on
`backup.database.cronExpression`, fired once per occurrence however many processes share the database,
following config changes without a restart. The clock is the test's, not the wall's."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from albumen.config import Settings
from albumen.container import Container
from albumen.jobs.repository import JobRepository
from albumen.jobs.schemas import QueueName
from albumen.jobs.tasks import register_handlers
from albumen.kit.db import Database, create_engine
from albumen.kit.startup import close_storage, prepare_storage
from albumen.system.config import SYSTEM_CONFIG_KEY
from albumen.system.repository import SystemMetadataRepository
from albumen.system.tasks import Scheduler

NIGHT = datetime(2026, 1, 10, 2, 59, 30).astimezone()  # local time, as the config's times are


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextlib.asynccontextmanager
async def server_process(settings: Settings, database_url: str) -> AsyncIterator[Container]:
    """What one `serve` process brings to scheduling: its own connections and job queue (no workers,
    so queued jobs stay where the test can count them)."""
    database = Database(create_engine(database_url, pool_size=2))
    storage = await prepare_storage(settings)
    container = Container.build(settings, database, storage)
    register_handlers(container)
    await container.jobs.start(workers=())
    try:
        yield container
    finally:
        await container.jobs.stop()
        await database.dispose()
        close_storage(storage)


async def set_config(container: Container, config: dict[str, Any]) -> None:
    async with container.database.unit_of_work() as db:
        await SystemMetadataRepository(db).set(SYSTEM_CONFIG_KEY, config)


async def queued(container: Container) -> list[str]:
    async with container.database.unit_of_work() as db:
        repository = JobRepository(db)
        names = [job.name for queue in QueueName for job in await repository.list_jobs(queue)]
        return sorted(names)


async def empty_all(container: Container) -> None:
    async with container.database.unit_of_work() as db:
        repository = JobRepository(db)
        for queue in QueueName:
            await repository.empty(queue)


@pytest.fixture
async def two_processes(settings: Settings, database_url: str) -> AsyncIterator[tuple[Container, Container]]:
    async with server_process(settings, database_url) as one, server_process(settings, database_url) as two:
        yield one, two


async def test_nightly_tasks_fire_once_at_the_start_time_across_processes(
    two_processes: tuple[Container, Container],
) -> None:
    one, two = two_processes
    clock = Clock(NIGHT)
    schedulers = [Scheduler(one, clock=clock), Scheduler(two, clock=clock)]

    async def tick_both() -> list[str]:
        fired = await asyncio.gather(*(scheduler.tick() for scheduler in schedulers))
        return sorted(name for names in fired for name in names)

    await set_config(one, {"nightlyTasks": {"startTime": "03:00"}})
    assert await tick_both() == []  # yesterday's 03:00 and today's 02:00 backup are long past
    assert await queued(one) == []

    clock.now = NIGHT + timedelta(seconds=35)  # 03:00:05
    assert await tick_both() == ["nightlyJobs"]  # one process fired, the other saw it done
    nightly = await queued(one)
    # Of Immich's nightly jobs, those with a handler: the orphan sweep and memory cleanup (with
    # databaseCleanup), memories and missing thumbnails; face clustering needs machine learning and is
    # skipped, as is what is not built yet.
    assert "AssetGenerateThumbnailsQueueAll" in nightly
    assert "AlbumenOrphanFileSweep" in nightly
    assert {"MemoryGenerate", "MemoryCleanup"} <= set(nightly)
    assert "FacialRecognitionQueueAll" not in nightly
    assert len(nightly) == len(set(nightly))
    for _ in range(3):
        clock.now += timedelta(seconds=20)
        assert await tick_both() == []
    assert await queued(one) == nightly

    # A new start time takes effect at the next look, without a restart; flags are honoured.
    await empty_all(one)
    await set_config(
        one, {"nightlyTasks": {"startTime": "03:05", "databaseCleanup": False, "generateMemories": False}}
    )
    clock.now = NIGHT + timedelta(minutes=5, seconds=31)  # 03:05:01
    assert await tick_both() == ["nightlyJobs"]
    assert await queued(one) == ["AssetGenerateThumbnailsQueueAll"]
    clock.now += timedelta(hours=1)
    assert await tick_both() == []


async def test_database_backups_follow_their_cron_expression(
    two_processes: tuple[Container, Container],
) -> None:
    one, two = two_processes
    clock = Clock(NIGHT)
    schedulers = [Scheduler(one, clock=clock), Scheduler(two, clock=clock)]
    every_ten = {
        "backup": {"database": {"cronExpression": "*/10 * * * *"}},
        "nightlyTasks": {"startTime": "12:00"},
    }
    await set_config(one, every_ten)
    for scheduler in schedulers:
        await scheduler.tick()  # first look at 02:59:30: 02:50 is past the window

    clock.now = NIGHT + timedelta(seconds=40)  # 03:00:10
    fired = await asyncio.gather(*(scheduler.tick() for scheduler in schedulers))
    assert sorted(name for names in fired for name in names) == ["backupDatabase"]
    assert await queued(one) == ["DatabaseBackup"]

    await empty_all(one)
    await set_config(one, {**every_ten, "backup": {"database": {"enabled": False}}})
    clock.now = NIGHT + timedelta(minutes=10, seconds=40)  # 03:10:10
    assert [await scheduler.tick() for scheduler in schedulers] == [[], []]
    assert await queued(one) == []


async def test_the_server_runs_the_scheduler(app: Any) -> None:
    """`serve` looks at the schedules from its start: the first look records where each one stands."""
    container = app.state.container
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        async with container.database.unit_of_work() as db:
            state = await SystemMetadataRepository(db).get("schedule:nightlyJobs")
        if state is not None:
            break
        assert asyncio.get_running_loop().time() < deadline, "the scheduler never looked"
        await asyncio.sleep(0.1)
    last = datetime.fromisoformat(state["last"])
    assert (last.hour, last.minute) == (0, 0)  # Immich's default startTime 00:00
