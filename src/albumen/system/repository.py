"""Server-wide key/value metadata and the version history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import SystemMetadata, VersionHistory


class SystemMetadataRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, key: str) -> dict[str, Any] | None:
        row = await self.db.get(SystemMetadata, key)
        return row.value if row else None

    async def set(self, key: str, value: dict[str, Any]) -> None:
        statement = insert(SystemMetadata).values(key=key, value=value)
        await self.db.execute(
            statement.on_conflict_do_update(index_elements=[SystemMetadata.key], set_={"value": value})
        )

    async def hold(self, name: str) -> None:
        """Takes a lock named `name` until the transaction ends; another process asking for it waits."""
        await self.db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})

    async def delete(self, key: str) -> None:
        await self.db.execute(delete(SystemMetadata).where(SystemMetadata.key == key))

    async def version_history(self) -> Sequence[VersionHistory]:
        return (
            await self.db.scalars(select(VersionHistory).order_by(VersionHistory.created_at.desc()))
        ).all()

    async def record_version(self, version: str) -> None:
        latest = await self.db.scalar(
            select(VersionHistory.version).order_by(VersionHistory.created_at.desc()).limit(1)
        )
        if latest != version:
            self.db.add(VersionHistory(version=version, created_at=func.now()))
            await self.db.flush()
