"""Deleting files no row points at.

Files are written before the row that names them (assets/service.py), so a crash in between leaves a
file nothing refers to. Only files older than the grace period go: a younger one may belong to a write
whose row has not committed yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog

from albumen.kit.db import Database
from albumen.orphans.repository import ReferenceRepository
from albumen.storage.base import ObjectInfo, StorageBackend
from albumen.storage.layout import REFERENCED_FOLDERS

log = structlog.get_logger("albumen.orphans")
BATCH = 500


class OrphanSweep:
    def __init__(
        self,
        database: Database,
        storage: Mapping[str, StorageBackend],
        grace_seconds: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.storage = storage
        self.grace_seconds = grace_seconds
        self.clock = clock

    async def run(self) -> int:
        """Deletes every unreferenced file older than the grace period; returns how many."""
        cutoff = datetime.fromtimestamp(self.clock() - self.grace_seconds, UTC)
        swept: set[tuple[int, str]] = set()  # kinds sharing a location share its folders
        deleted = 0
        for kind, folders in REFERENCED_FOLDERS.items():
            backend = self.storage.get(kind)
            if backend is None:
                continue
            for folder in folders:
                if (id(backend), folder) in swept:
                    continue
                swept.add((id(backend), folder))
                deleted += await self._sweep(backend, folder, cutoff)
        if deleted:
            log.warning("unreferenced files deleted", count=deleted)
        return deleted

    async def _sweep(self, backend: StorageBackend, folder: str, cutoff: datetime) -> int:
        deleted = 0
        batch: list[ObjectInfo] = []
        async for item in backend.list(folder):
            if item.modified_at < cutoff and not item.key.rsplit("/", 1)[-1].startswith("."):
                batch.append(item)
            if len(batch) >= BATCH:
                deleted += await self._delete_unreferenced(backend, batch)
                batch = []
        return deleted + await self._delete_unreferenced(backend, batch)

    async def _delete_unreferenced(self, backend: StorageBackend, batch: list[ObjectInfo]) -> int:
        if not batch:
            return 0
        async with self.database.unit_of_work() as db:
            referenced = await ReferenceRepository(db).referenced([item.key for item in batch])
        deleted = 0
        for item in batch:
            if item.key not in referenced and await backend.delete(item.key):
                log.info("unreferenced file deleted", key=item.key, size=item.size)
                deleted += 1
        return deleted
