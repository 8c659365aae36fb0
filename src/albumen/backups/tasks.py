"""The DatabaseBackup job (its schedule, `backup.database.cronExpression`, is kept by system/tasks.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from albumen.backups.service import DatabaseBackupService
from albumen.jobs.schemas import JobName, QueueName
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

if TYPE_CHECKING:
    from albumen.container import Container


def register(container: Container) -> None:
    async def backup(_: Any) -> None:
        service = DatabaseBackupService(container.database, container.storage["backups"])
        await service.create()
        async with container.database.unit_of_work() as db:
            config = await load_config(SystemMetadataRepository(db), container.settings.config_file)
        await service.prune(int(config["backup"]["database"]["keepLastAmount"]))

    container.jobs.register(JobName.DatabaseBackup, QueueName.backupDatabase, backup)
