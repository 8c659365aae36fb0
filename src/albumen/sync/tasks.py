"""AuditTableCleanup (nightly): deletion records older than any usable checkpoint are dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from albumen.jobs.schemas import JobName, QueueName
from albumen.kit.db import Database
from albumen.sync.repository import SyncRepository
from albumen.sync.schemas import AUDIT_RETENTION_DAYS

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.sync")


async def prune_audit_tables(database: Database, older_than_days: int = AUDIT_RETENTION_DAYS) -> int:
    async with database.unit_of_work() as db:
        removed = await SyncRepository(db).prune_audit(older_than_days)
    log.info("audit rows pruned", count=removed)
    return removed


def register(container: Container) -> None:
    async def cleanup(_data: Any) -> None:
        await prune_audit_tables(container.database)

    container.jobs.register(JobName.AuditTableCleanup, QueueName.backgroundTask, cleanup)
