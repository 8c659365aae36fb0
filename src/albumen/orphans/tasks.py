"""The orphan sweep as a job (Albumen's own, on the background queue; the nightly tasks queue it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from albumen.jobs.schemas import AlbumenJobName, QueueName
from albumen.orphans.service import OrphanSweep

if TYPE_CHECKING:
    from albumen.container import Container


def register(container: Container) -> None:
    async def sweep(_: Any) -> None:
        grace = container.settings.orphan_file_grace_seconds
        await OrphanSweep(container.database, container.storage, grace).run()

    container.jobs.register(AlbumenJobName.OrphanFileSweep, QueueName.backgroundTask, sweep)
