"""Waiting for the background jobs an action queued, as a test must before it looks at their results."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from albumen.jobs.repository import JobRepository


async def settle(app: Any, timeout: float = 60) -> None:
    """Returns once no queue has an active, waiting or delayed job (failed ones stay failed)."""
    database = app.state.container.database
    deadline = time.monotonic() + timeout
    while True:
        async with database.unit_of_work() as db:
            counts = await JobRepository(db).counts()
        busy = {q.value: c for q, c in counts.items() if c.active or c.waiting or c.delayed}
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs still running after {timeout} s: {busy}")
        await asyncio.sleep(0.1)
