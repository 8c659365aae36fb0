"""Waiting for the background jobs an action queued, as a test must before it looks at their results:
in-process through the database (`settle`), or from outside through the admin API (`wait_until_idle`)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tests.support.server import RunningServer
    from tests.support.users import LoggedIn


async def settle(app: Any, timeout: float = 60) -> None:
    """Returns once no queue has an active, waiting or delayed job (failed ones stay failed)."""
    database = app.state.container.database
    deadline = time.monotonic() + timeout
    while True:
        async with database.unit_of_work() as db:
            counts = await app.state.container.jobs.repository(db).counts()
        busy = {q.value: c for q, c in counts.items() if c.active or c.waiting or c.delayed}
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
            if not any(c["active"] or c["waiting"] or c["delayed"] for c in counts.values()):
                return counts
            assert time.monotonic() < deadline, counts
            time.sleep(0.5)
