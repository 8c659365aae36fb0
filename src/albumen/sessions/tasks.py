"""SessionCleanup (nightly in Immich): drops sessions past their expiry and those unused for 90 days,
so a lost phone's login does not stay valid for ever."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from albumen.jobs.schemas import JobName, QueueName
from albumen.kit.db import Database
from albumen.kit.time import utcnow
from albumen.sessions.repository import SessionRepository

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.sessions")
UNUSED_FOR = timedelta(days=90)


async def clean_up_sessions(database: Database) -> int:
    async with database.unit_of_work() as db:
        removed = await SessionRepository(db).delete_stale(utcnow(), UNUSED_FOR)
    log.info("stale sessions deleted", count=removed)
    return removed


def register(container: Container) -> None:
    async def cleanup(_data: Any) -> None:
        await clean_up_sessions(container.database)

    container.jobs.register(JobName.SessionCleanup, QueueName.backgroundTask, cleanup)
