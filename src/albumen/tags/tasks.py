"""TagCleanup: tags left on no asset (neither they nor a tag below them) are deleted. As in Immich it
runs when asked for (`POST /jobs {name: tag-cleanup}`); Immich's nightly tasks do not include it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from albumen.jobs.schemas import JobName, QueueName
from albumen.kit.db import Database
from albumen.tags.service import TagService

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.tags")


async def clean_up_tags(database: Database) -> int:
    async with database.unit_of_work() as db:
        removed = await TagService(db).clean_up()
    if removed:
        log.info("empty tags deleted", count=removed)
    return removed


def register(container: Container) -> None:
    async def cleanup(_data: Any) -> None:
        await clean_up_tags(container.database)

    container.jobs.register(JobName.TagCleanup, QueueName.backgroundTask, cleanup)
