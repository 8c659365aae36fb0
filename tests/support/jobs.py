"""Waiting for the background jobs an action queued, as a test must before it looks at their results:
in-process through the database (`settle`), or from outside through the admin API (`wait_until_idle`)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import httpx

from albumen.jobs.schemas import QueueName

# Album update notifications wait on purpose (Immich's 5-minute debounce): their delayed jobs are not work
# in progress.
DEBOUNCED = {QueueName.notifications.value}


def _busy(queue: str, active: int, waiting: int, delayed: int) -> bool:
    return bool(active or waiting or (delayed and queue not in DEBOUNCED))


if TYPE_CHECKING:
    from tests.support.server import RunningServer
    from tests.support.users import LoggedIn


async def settle(app: Any, timeout: float = 60) -> None:
    """Returns once no queue has an active, waiting or delayed job (failed ones stay failed); DEBOUNCED
    queues' delayed jobs don't count."""
    database = app.state.container.database
    deadline = time.monotonic() + timeout
    while True:
        async with database.unit_of_work() as db:
            counts = await app.state.container.jobs.repository(db).counts()
        busy = {q.value: c for q, c in counts.items() if _busy(q.value, c.active, c.waiting, c.delayed)}
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs still running after {timeout} s: {busy}")
        await asyncio.sleep(0.1)


def wait_until_idle(server: RunningServer, admin: LoggedIn, timeout: float) -> dict[str, dict[str, int]]:
    """Each queue's counts (GET /api/jobs) once none has an active, waiting or delayed job; fails past
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.api, headers=admin.headers, timeout=30) as http:
        while True:
            counts = {name: queue["jobCounts"] for name, queue in http.get("/jobs").json().items()}
            if not any(_busy(name, c["active"], c["waiting"], c["delayed"]) for name, c in counts.items()):
                return counts
            assert time.monotonic() < deadline, counts
            time.sleep(0.5)
