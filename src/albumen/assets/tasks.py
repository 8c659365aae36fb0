"""Scheduled asset work: trash older than `trash.days` is deleted for good, rows first, files after."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import structlog

from albumen.assets.service import AssetService
from albumen.kit.db import Database
from albumen.storage.base import StorageBackend

log = structlog.get_logger("albumen.assets")
PURGE_BATCH = 500


async def purge_expired_trash(
    database: Database, storage: Mapping[str, StorageBackend], days: int, *, now: datetime | None = None
) -> int:
    """Deletes assets trashed more than `days` ago, a batch per transaction; each batch's files go
    only after its rows are committed, so a crash never leaves a row pointing at a deleted file."""
    before = (now or datetime.now(UTC)) - timedelta(days=days)
    purged = 0
    while True:
        async with database.unit_of_work() as db:
            service = AssetService(db, storage)
            ids = await service.repository.expired_trash(before, PURGE_BATCH)
            files = await service.purge(ids) if ids else []
        if not ids:
            break
        await service.remove_files(files)
        purged += len(ids)
    if purged:
        log.info("trash purged", count=purged, older_than_days=days)
    return purged
