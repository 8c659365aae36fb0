"""What a backup needs to know about the database server."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class DatabaseInfoRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def server_version(self) -> tuple[int, str]:
        """(major version, version as PostgreSQL spells it, e.g. "18.1")."""
        number = int(await self.db.scalar(text("SELECT current_setting('server_version_num')")) or 0)
        version = str(await self.db.scalar(text("SELECT current_setting('server_version')")) or "")
        return number // 10000, version.split(" ", 1)[0]
