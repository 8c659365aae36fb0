"""The nightly memory jobs: MemoryGenerate makes "on this day" memories, MemoryCleanup removes old
unsaved ones. Both run in the nightly schedule and from `POST /jobs` (memory-create, memory-cleanup)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from albumen.jobs.schemas import JobName, QueueName
from albumen.kit.db import Database
from albumen.memories.service import MemoryService

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.memories")


async def generate_memories(database: Database, now: datetime | None = None) -> int:
    """`now`: the moment to generate for (tests pass one); its UTC day is "today", as in Immich."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    async with database.unit_of_work() as db:
        return await MemoryService(db).generate(today)


async def clean_up_memories(database: Database, now: datetime | None = None) -> tuple[int, int]:
    async with database.unit_of_work() as db:
        entries, memories = await MemoryService(db).clean_up(now or datetime.now(UTC))
    log.info("memories cleaned up", asset_entries=entries, memories=memories)
    return entries, memories


def register(container: Container) -> None:
    async def generate(_data: Any) -> None:
        await generate_memories(container.database)

    async def clean_up(_data: Any) -> None:
        await clean_up_memories(container.database)

    container.jobs.register(JobName.MemoryGenerate, QueueName.backgroundTask, generate)
    container.jobs.register(JobName.MemoryCleanup, QueueName.backgroundTask, clean_up)
