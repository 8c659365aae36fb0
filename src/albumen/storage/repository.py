"""Moves under way (move_history) and the PostgreSQL advisory locks that keep two movers apart, across
processes too (`albumen serve`, `albumen worker`, `albumen admin apply-storage-template`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import delete, exists, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from albumen.models import MoveHistory

# First keys of the two-key advisory locks, apart from the job queue's (jobs/queue.py).
_ENTITY_LOCKS = 0x6D6F76  # "mov": one mover per asset, held for the whole move
_TARGET_LOCKS = 0x746770  # "tgp": one claim at a time per wanted target name

Move = tuple[str, str, str]
"""(path_type, old key, new key)"""


@asynccontextmanager
async def entity_locked(engine: AsyncEngine, entity_id: uuid.UUID) -> AsyncIterator[None]:
    """Holds the entity's move lock on a connection of its own while the block runs: a second mover of
    the same asset waits here, then finds the asset already where it belongs. The database frees the
    lock if this process dies."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        key = {"space": _ENTITY_LOCKS, "key": str(entity_id)}
        await autocommit.execute(text("SELECT pg_advisory_lock(:space, hashtext(:key))"), key)
        try:
            yield
        finally:
            await autocommit.execute(text("SELECT pg_advisory_unlock(:space, hashtext(:key))"), key)


class MoveRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def lock_target(self, key: str) -> None:
        """Until this transaction ends, nobody else resolves a collision for `key` (claims on its
        `+N` variants are decided under the same lock)."""
        await self.db.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"), {"space": _TARGET_LOCKS, "key": key}
        )

    async def claimed(self, key: str) -> bool:
        """Whether an unfinished move is headed for `key` (its file may not be there yet)."""
        return bool(await self.db.scalar(select(exists().where(MoveHistory.new_path == key))))

    async def pending(self, entity_id: uuid.UUID) -> list[Move]:
        rows = await self.db.scalars(
            select(MoveHistory).where(MoveHistory.entity_id == entity_id).order_by(MoveHistory.path_type)
        )
        return [(row.path_type, row.old_path, row.new_path) for row in rows]

    async def pending_entities(self) -> list[uuid.UUID]:
        rows = await self.db.scalars(select(MoveHistory.entity_id).distinct().order_by(MoveHistory.entity_id))
        return list(rows)

    def record(self, entity_id: uuid.UUID, moves: list[Move]) -> None:
        for path_type, old, new in moves:
            self.db.add(MoveHistory(entity_id=entity_id, path_type=path_type, old_path=old, new_path=new))

    async def clear(self, entity_id: uuid.UUID) -> None:
        await self.db.execute(delete(MoveHistory).where(MoveHistory.entity_id == entity_id))
