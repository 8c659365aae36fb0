"""The job system on the real PostgreSQL: per-queue concurrency, retries with back-off, the failed list,
pause/resume, empty, clear-failed, de-duplication by key, graceful stop, a SIGKILLed worker's job coming
back, `albumen worker`, and Immich's admin endpoints (/jobs, /queues), admins only."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from albumen.config import Settings
from albumen.container import Container
from albumen.jobs import tasks
from albumen.jobs.queue import JobQueue
from albumen.jobs.schemas import (
    JobData,
    JobName,
    JobNotSupported,
    JobState,
    QueueName,
    RetryPolicy,
    WorkerTiming,
)
from albumen.kit.db import Database, create_engine
from albumen.main import create_app
from albumen.system.config import SYSTEM_CONFIG_KEY
from albumen.system.repository import SystemMetadataRepository
from tests.support.users import LoggedIn, create_user, sign_up_admin

REPO_ROOT = Path(__file__).resolve().parents[2]
J, Q = JobName, QueueName
FAST = WorkerTiming(heartbeat=1, sweep=1, abort_wait=0.5, schedule=1, grace=0.5)
QUICK_RETRY = RetryPolicy(attempts=3, delay=0.05, max_delay=0.1)


class Handlers:
    """Handlers the app's own (in-process) workers run; what each call does is chosen by the job data."""

    def __init__(self, timing: WorkerTiming = FAST) -> None:
        self.timing = timing
        self.calls: dict[str, int] = defaultdict(int)
        self.seen: list[tuple[JobName, JobData]] = []
        self.done: list[str] = []
        self.running = 0
        self.max_running = 0
        self.gates: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def run(self, name: JobName, data: JobData) -> None:
        job_id = str(data.get("id", name.value))
        self.calls[job_id] += 1
        self.seen.append((name, data))
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            mode = data.get("mode", "ok")
            if mode == "sleep":
                await asyncio.sleep(float(data["seconds"]))
            elif mode == "gate":
                await self.gates[job_id].wait()
            elif mode == "fail" and self.calls[job_id] <= int(data.get("times", 1_000_000)):
                raise RuntimeError(f"boom {job_id} attempt {self.calls[job_id]}")
        finally:
            self.running -= 1
        self.done.append(job_id)

    def register(self, container: Container) -> None:
        container.jobs.timing = self.timing
        for name, queue in [
            (J.TagCleanup, Q.backgroundTask),
            (J.PersonCleanup, Q.backgroundTask),
            (J.SendMail, Q.notifications),
            (J.AssetExtractMetadata, Q.metadataExtraction),
            (J.AssetExtractMetadataQueueAll, Q.metadataExtraction),
        ]:
            container.jobs.register(name, queue, functools.partial(self.run, name), retry=QUICK_RETRY)


async def store_config(database_url: str, config: dict[str, Any]) -> None:
    database = Database(create_engine(database_url, pool_size=1))
    try:
        async with database.unit_of_work() as db:
            await SystemMetadataRepository(db).set(SYSTEM_CONFIG_KEY, config)
    finally:
        await database.dispose()


@pytest.fixture(params=["postgres", "redis"])
def settings(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Settings:
    """Every job test runs on both brokers: the queues in PostgreSQL, and on Redis."""
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return Settings(  # type: ignore[call-arg]
        database_url=database_url, redis_url=redis_url, data_dir=tmp_path / "data", log_format="console"
    )


@pytest.fixture
def handlers(request: pytest.FixtureRequest) -> Handlers:
    """`@pytest.mark.job_timing(WorkerTiming(...))` replaces FAST for one test."""
    marker = request.node.get_closest_marker("job_timing")
    return Handlers(marker.args[0]) if marker else Handlers()


@pytest.fixture
async def app(
    settings: Settings, database_url: str, handlers: Handlers, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    """The server with test handlers registered where `serve` registers them (its lifespan hook)."""
    config = {"job": {"backgroundTask": {"concurrency": 2}, "notifications": {"concurrency": 1}}}
    await store_config(database_url, config)
    monkeypatch.setattr(tasks, "register_handlers", handlers.register)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> LoggedIn:
    return await sign_up_admin(client)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(create_engine(database_url, pool_size=2))
    try:
        yield db
    finally:
        await db.dispose()


def jobs_of(app: Any) -> JobQueue:
    queue: JobQueue = app.state.container.jobs
    return queue


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def statistics(client: httpx.AsyncClient, admin: LoggedIn, queue: QueueName) -> dict[str, Any]:
    response = await client.get(f"/queues/{queue.value}", headers=admin.headers)
    assert response.status_code == 200, response.text
    stats: dict[str, Any] = response.json()["statistics"]
    return stats


async def listed(client: httpx.AsyncClient, admin: LoggedIn, queue: QueueName, *states: str) -> list[Any]:
    response = await client.get(
        f"/queues/{queue.value}/jobs", headers=admin.headers, params=[("status", s) for s in states]
    )
    assert response.status_code == 200, response.text
    jobs: list[Any] = response.json()
    return jobs


async def pause(client: httpx.AsyncClient, admin: LoggedIn, queue: QueueName, paused: bool = True) -> None:
    response = await client.put(f"/queues/{queue.value}", headers=admin.headers, json={"isPaused": paused})
    assert response.status_code == 200, response.text
    assert response.json()["isPaused"] is paused


# -- running jobs ------------------------------------------------------------------------------------


# A 1 s heartbeat lets a loaded machine's stalled event loop pass for a dead worker: the sweep would
# then queue a running job again and the count would see it twice. Nothing here tests recovery.
@pytest.mark.job_timing(WorkerTiming(heartbeat=30, sweep=15, abort_wait=0.5, schedule=1, grace=0.5))
async def test_a_queue_runs_at_most_its_configured_concurrency(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    seen_active: list[int] = []
    for n in range(6):
        await jobs_of(app).enqueue(J.TagCleanup, {"id": f"c{n}", "mode": "sleep", "seconds": 0.4})

    async def all_done() -> bool:
        seen_active.append((await statistics(client, admin, Q.backgroundTask))["active"])
        return len(handlers.done) == 6

    await eventually(all_done)
    assert handlers.max_running == 2  # job.backgroundTask.concurrency in the stored system config
    assert max(seen_active) <= 2
    assert set(handlers.calls.values()) == {1}
    final = {"active": 0, "completed": 6, "failed": 0, "delayed": 0, "waiting": 0, "paused": 0}

    async def recorded() -> bool:  # a handler returns a moment before its job is marked complete
        return await statistics(client, admin, Q.backgroundTask) == final

    await eventually(recorded, timeout=5)


async def test_a_failing_job_is_retried_until_it_succeeds(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    await jobs_of(app).enqueue(J.TagCleanup, {"id": "flaky", "mode": "fail", "times": 2})
    await eventually(lambda: "flaky" in handlers.done)
    assert handlers.calls["flaky"] == 3

    async def recorded() -> bool:  # a handler returns a moment before its job is marked complete
        return len(await listed(client, admin, Q.backgroundTask, "completed")) == 1

    await eventually(recorded, timeout=5)
    [job] = await listed(client, admin, Q.backgroundTask, "completed")
    assert job["name"] == "TagCleanup"
    assert job["data"] == {"id": "flaky", "mode": "fail", "times": 2}


async def test_a_job_that_always_fails_ends_in_the_failed_list_with_its_error(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    job_id = await jobs_of(app).enqueue(J.TagCleanup, {"id": "doomed", "mode": "fail"})
    assert job_id is not None

    async def failed() -> bool:
        return (await statistics(client, admin, Q.backgroundTask))["failed"] == 1

    await eventually(failed)
    assert handlers.calls["doomed"] == QUICK_RETRY.attempts
    [job] = await listed(client, admin, Q.backgroundTask, "failed")
    assert job["id"] == job_id
    assert job["name"] == "TagCleanup"
    assert job["data"] == {"id": "doomed", "mode": "fail"}
    assert isinstance(job["timestamp"], int)
    assert await listed(client, admin, Q.backgroundTask, "waiting", "active") == []
    async with app.state.container.database.unit_of_work() as db:
        [info] = await jobs_of(app).repository(db).list_jobs(Q.backgroundTask, [JobState.failed])
    assert info.attempts == 3
    assert info.error is not None
    assert "RuntimeError: boom doomed attempt 3" in info.error

    legacy = (await client.get("/jobs", headers=admin.headers)).json()
    assert legacy["backgroundTask"]["jobCounts"]["failed"] == 1
    assert legacy["backgroundTask"]["queueStatus"] == {"isActive": False, "isPaused": False}

    # clear-failed empties the list
    response = await client.put(
        "/jobs/backgroundTask", headers=admin.headers, json={"command": "clear-failed", "force": False}
    )
    assert response.status_code == 200, response.text
    assert response.json()["jobCounts"]["failed"] == 0
    assert await listed(client, admin, Q.backgroundTask, "failed") == []


# -- pause, empty, de-duplication --------------------------------------------------------------------


async def test_a_paused_queue_holds_new_jobs_until_resumed(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    await pause(client, admin, Q.notifications)
    await jobs_of(app).enqueue(J.SendMail, {"id": "held"})
    await asyncio.sleep(2.5)  # more than two claim rounds of the worker
    assert handlers.calls["held"] == 0
    stats = await statistics(client, admin, Q.notifications)
    assert (stats["paused"], stats["waiting"], stats["active"]) == (1, 0, 0)
    assert [job["data"]["id"] for job in await listed(client, admin, Q.notifications, "paused")] == ["held"]
    legacy = (await client.get("/jobs", headers=admin.headers)).json()["notifications"]
    assert legacy["queueStatus"]["isPaused"] is True

    await pause(client, admin, Q.notifications, False)
    await eventually(lambda: "held" in handlers.done)


async def test_the_legacy_commands_pause_and_resume_too(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    for command, paused in [("pause", True), ("resume", False)]:
        response = await client.put(
            "/jobs/backgroundTask", headers=admin.headers, json={"command": command, "force": False}
        )
        assert response.status_code == 200, response.text
        assert response.json()["queueStatus"]["isPaused"] is paused


async def test_empty_drops_waiting_jobs_and_keeps_delayed_ones(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    await pause(client, admin, Q.notifications)
    for n in range(3):
        await jobs_of(app).enqueue(J.SendMail, {"id": f"drop{n}"})
    await jobs_of(app).enqueue(J.SendMail, {"id": "later"}, delay=60)
    stats = await statistics(client, admin, Q.notifications)
    assert (stats["paused"], stats["delayed"]) == (3, 1)

    response = await client.request(
        "DELETE", "/queues/notifications/jobs", headers=admin.headers, json={"failed": False}
    )
    assert response.status_code == 204, response.text
    stats = await statistics(client, admin, Q.notifications)
    assert (stats["paused"], stats["waiting"], stats["delayed"]) == (0, 0, 1)
    await pause(client, admin, Q.notifications, False)
    await asyncio.sleep(1.5)
    assert handlers.done == []

    # the legacy command does the same
    await pause(client, admin, Q.notifications)
    await jobs_of(app).enqueue(J.SendMail, {"id": "drop-again"})
    response = await client.put(
        "/jobs/notifications", headers=admin.headers, json={"command": "empty", "force": False}
    )
    assert response.status_code == 200, response.text
    assert response.json()["jobCounts"]["paused"] == 0


async def test_the_same_key_is_not_queued_twice_while_waiting_or_running(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    jobs = jobs_of(app)
    await pause(client, admin, Q.notifications)
    first = await jobs.enqueue(J.SendMail, {"id": "asset-1"}, key="asset-1")
    assert first is not None
    assert await jobs.enqueue(J.SendMail, {"id": "asset-1"}, key="asset-1") is None
    other = await jobs.enqueue(J.SendMail, {"id": "asset-2"}, key="asset-2")
    assert other is not None
    assert (await statistics(client, admin, Q.notifications))["paused"] == 2

    await pause(client, admin, Q.notifications, False)
    await eventually(lambda: sorted(handlers.done) == ["asset-1", "asset-2"])
    # Once finished, the key is free again, even within the same second.
    assert await jobs.enqueue(J.SendMail, {"id": "asset-1"}, key="asset-1") == first
    await eventually(lambda: handlers.calls["asset-1"] == 2)

    # A running job counts too.
    await jobs.enqueue(J.SendMail, {"id": "busy", "mode": "gate"}, key="busy")
    await eventually(lambda: handlers.running == 1)
    assert await jobs.enqueue(J.SendMail, {"id": "busy", "mode": "gate"}, key="busy") is None
    handlers.gates["busy"].set()
    await eventually(lambda: "busy" in handlers.done)


@pytest.mark.job_timing(WorkerTiming(heartbeat=30, sweep=15, abort_wait=0.5, schedule=1, grace=0.5))
async def test_replace_drops_the_waiting_job_of_a_key_for_the_new_one(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    """The debounce of album update notifications: each change queues the keyed job again, later."""
    jobs = jobs_of(app)
    await jobs.enqueue(J.SendMail, {"id": "first"}, key="album/bob", delay=60)
    assert await jobs.enqueue(J.SendMail, {"id": "second"}, key="album/bob", delay=60) is None
    assert await jobs.enqueue(J.SendMail, {"id": "second"}, key="album/bob", delay=2, replace=True)
    assert (await statistics(client, admin, Q.notifications))["delayed"] == 1
    await eventually(lambda: handlers.done == ["second"])
    await asyncio.sleep(0.5)
    assert handlers.done == ["second"]  # the first never runs

    # A job already running is not taken away; the new one is refused as without `replace`.
    await jobs.enqueue(J.SendMail, {"id": "busy", "mode": "gate"}, key="busy")
    await eventually(lambda: handlers.running == 1)
    assert await jobs.enqueue(J.SendMail, {"id": "later"}, key="busy", replace=True) is None
    handlers.gates["busy"].set()
    await eventually(lambda: "busy" in handlers.done)
    await asyncio.sleep(0.5)
    assert "later" not in handlers.done


async def test_priority_and_delay(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers, settings: Settings
) -> None:
    jobs = jobs_of(app)
    if settings.redis_url:  # saq's Redis queue is first in, first out: a priority is refused, not ignored
        with pytest.raises(ValueError, match="PostgreSQL"):
            await jobs.enqueue(J.SendMail, {"id": "urgent"}, priority=0)
    else:
        await pause(client, admin, Q.notifications)  # one job at a time there (its concurrency is 1)
        await jobs.enqueue(J.SendMail, {"id": "low"}, priority=200)
        await jobs.enqueue(J.SendMail, {"id": "default"})
        await jobs.enqueue(J.SendMail, {"id": "urgent"}, priority=0)
        await pause(client, admin, Q.notifications, False)
        await eventually(lambda: len(handlers.done) == 3)
        assert handlers.done == ["urgent", "default", "low"]

    await jobs.enqueue(J.SendMail, {"id": "later"}, delay=4)
    assert (await statistics(client, admin, Q.notifications))["delayed"] == 1
    await asyncio.sleep(1)
    assert "later" not in handlers.done
    await eventually(lambda: "later" in handlers.done)
    assert handlers.done[-1] == "later"
    with pytest.raises(ValueError, match="priority"):
        await jobs.enqueue(J.SendMail, {"id": "x"}, priority=-1)


async def test_a_job_without_a_handler_is_refused_not_queued(app: Any) -> None:
    with pytest.raises(JobNotSupported, match="Job 'MemoryGenerate' is not supported yet"):
        await jobs_of(app).enqueue(J.MemoryGenerate, {})
    async with app.state.container.database.unit_of_work() as db:
        assert await jobs_of(app).repository(db).list_jobs(Q.backgroundTask) == []


# -- the admin commands -------------------------------------------------------------------------------


async def test_start_queues_the_queue_all_job_or_says_it_is_running(
    client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers
) -> None:
    response = await client.put(
        "/jobs/metadataExtraction", headers=admin.headers, json={"command": "start", "force": True}
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"jobCounts", "queueStatus"}
    await eventually(lambda: (J.AssetExtractMetadataQueueAll, {"force": True}) in handlers.seen)

    await jobs_of(app).enqueue(J.AssetExtractMetadata, {"id": "long", "mode": "gate"})
    await eventually(lambda: handlers.running == 1)
    response = await client.put(
        "/jobs/metadataExtraction", headers=admin.headers, json={"command": "start", "force": False}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Job is already running"
    legacy = (await client.get("/jobs", headers=admin.headers)).json()["metadataExtraction"]
    assert legacy["queueStatus"]["isActive"] is True
    handlers.gates["long"].set()
    await eventually(lambda: "long" in handlers.done)

    # A queue whose 'queue all' job has no handler yet is refused, as is one without such a job.
    response = await client.put(
        "/jobs/smartSearch", headers=admin.headers, json={"command": "start", "force": False}
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Job 'SmartSearchQueueAll' is not supported yet"
    assert (await statistics(client, admin, Q.smartSearch))["waiting"] == 0
    response = await client.put(
        "/jobs/notifications", headers=admin.headers, json={"command": "start", "force": False}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid job name: notifications"


async def test_manual_jobs(client: httpx.AsyncClient, app: Any, admin: LoggedIn, handlers: Handlers) -> None:
    for name, job in [("tag-cleanup", J.TagCleanup), ("person-cleanup", J.PersonCleanup)]:
        response = await client.post("/jobs", headers=admin.headers, json={"name": name})
        assert response.status_code == 204, response.text
        await eventually(lambda job=job: (job, {}) in handlers.seen)  # type: ignore[misc]
    # No handler yet: refused, nothing queued.
    response = await client.post("/jobs", headers=admin.headers, json={"name": "memory-create"})
    assert response.status_code == 400
    assert response.json()["message"] == "Job 'MemoryGenerate' is not supported yet"
    assert (await statistics(client, admin, Q.backgroundTask))["waiting"] == 0
    response = await client.post("/jobs", headers=admin.headers, json={"name": "no-such-job"})
    assert response.status_code == 400


async def test_queue_views_and_updates(client: httpx.AsyncClient, app: Any, admin: LoggedIn) -> None:
    response = await client.get("/queues", headers=admin.headers)
    assert response.status_code == 200
    assert [q["name"] for q in response.json()] == [q.value for q in QueueName]
    legacy = (await client.get("/jobs", headers=admin.headers)).json()
    assert set(legacy) == {q.value for q in QueueName}
    # Immich refuses to pause the background queue through the new API.
    response = await client.put("/queues/backgroundTask", headers=admin.headers, json={"isPaused": True})
    assert response.status_code == 400
    assert response.json()["message"] == "The BackgroundTask queue cannot be paused"
    response = await client.get("/queues/nope", headers=admin.headers)
    assert response.status_code == 400


async def test_only_admins_reach_the_job_apis(client: httpx.AsyncClient, app: Any, admin: LoggedIn) -> None:
    user = await create_user(client, admin, "user@example.com")
    for method, path, body in [
        ("GET", "/jobs", None),
        ("POST", "/jobs", {"name": "tag-cleanup"}),
        ("PUT", "/jobs/backgroundTask", {"command": "pause"}),
        ("GET", "/queues", None),
        ("GET", "/queues/backgroundTask", None),
        ("PUT", "/queues/notifications", {"isPaused": True}),
        ("GET", "/queues/backgroundTask/jobs", None),
        ("DELETE", "/queues/backgroundTask/jobs", {}),
    ]:
        response = await client.request(method, path, headers=user.headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        response = await client.request(method, path, json=body)
        assert response.status_code == 401, (method, path)


# -- stopping and dying workers ------------------------------------------------------------------------


async def test_a_graceful_stop_queues_an_unfinished_job_again(
    client: httpx.AsyncClient, admin: LoggedIn, database: Database, settings: Settings
) -> None:
    started = asyncio.Event()

    async def slow(data: JobData) -> None:
        started.set()
        await asyncio.sleep(60)

    jobs = JobQueue(database, settings, timing=FAST)
    jobs.register(J.LibraryRemoveAsset, Q.library, slow)
    await jobs.start(workers=[Q.library])
    try:
        await jobs.enqueue(J.LibraryRemoveAsset, {"id": "cut-short"})
        await asyncio.wait_for(started.wait(), 10)
    finally:
        began = time.monotonic()
        await jobs.stop()
    assert time.monotonic() - began < 5  # the grace period (0.5 s), not saq's idle loops
    stats = await statistics(client, admin, Q.library)
    assert (stats["active"], stats["waiting"] + stats["delayed"]) == (0, 1)


def child_worker() -> None:
    """A worker process on the test database (run by the SIGKILL test): its handler announces itself
    through a file, then runs for a minute."""

    async def main() -> None:
        settings = Settings(  # type: ignore[call-arg]
            database_url=os.environ["JOBS_TEST_DATABASE_URL"],
            redis_url=os.environ.get("JOBS_TEST_REDIS_URL"),
            data_dir=Path("unused"),
        )
        database = Database(create_engine(os.environ["JOBS_TEST_DATABASE_URL"], pool_size=2))
        marker = Path(os.environ["JOBS_TEST_MARKER"])

        async def handler(data: JobData) -> None:
            marker.write_text(str(data["id"]))
            await asyncio.sleep(60)

        jobs = JobQueue(database, settings, timing=FAST)
        jobs.register(J.LibraryRemoveAsset, Q.library, handler)
        await jobs.start(workers=[Q.library])
        await asyncio.Event().wait()

    asyncio.run(main())


async def test_the_job_of_a_killed_worker_is_run_again(
    client: httpx.AsyncClient,
    admin: LoggedIn,
    database: Database,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
) -> None:
    completed: list[JobData] = []

    async def finish(data: JobData) -> None:
        completed.append(data)

    producer = JobQueue(database, settings, timing=FAST)
    producer.register(J.LibraryRemoveAsset, Q.library, finish)
    await producer.start()  # no workers: only the child runs the queue at first
    marker = tmp_path / "started"
    child = subprocess.Popen(
        [sys.executable, "-c", "from tests.integration.test_jobs import child_worker; child_worker()"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "JOBS_TEST_DATABASE_URL": database_url,
            "JOBS_TEST_REDIS_URL": settings.redis_url or "",
            "JOBS_TEST_MARKER": str(marker),
        },
    )
    rescuer = JobQueue(database, settings, timing=FAST)
    try:
        job_id = await producer.enqueue(J.LibraryRemoveAsset, {"id": "survivor"})
        await eventually(marker.exists, timeout=240)  # a child process starts slowly on a loaded machine
        assert (await statistics(client, admin, Q.library))["active"] == 1
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL

        rescuer.register(J.LibraryRemoveAsset, Q.library, finish)
        await rescuer.start(workers=[Q.library])
        await eventually(lambda: completed == [{"id": "survivor"}], timeout=60)
        async with database.unit_of_work() as db:
            [info] = await rescuer.repository(db).list_jobs(Q.library, [JobState.completed])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        await rescuer.stop()
        await producer.stop()
    assert info.id == job_id
    assert info.attempts == 2  # the killed attempt counts


async def test_the_worker_command(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "ALBUMEN_DATABASE_URL": database_url, "ALBUMEN_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "albumen.cli.main", "worker"]
    refused = subprocess.run(
        [*command, "--queues", "thumbnailGeneration,nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "unknown queue nope" in refused.stderr

    worker = subprocess.Popen(
        [*command, "--queues", "library,ocr"], env=env, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    try:
        assert worker.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("albumen worker ready" in line for line in lines) and time.monotonic() < deadline:
            line = await asyncio.to_thread(worker.stderr.readline)
            if not line:
                break
            lines.append(line)
        assert any("albumen worker ready" in line for line in lines), lines
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
