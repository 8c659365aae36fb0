"""Which storage keys the database still points at."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import Asset, AssetFile, MoveHistory, Person


class ReferenceRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def referenced(self, keys: Sequence[str]) -> set[str]:
        """The subset of `keys` some row names: an original, a derived file, a person's thumbnail, or
        either side of a move still under way."""
        if not keys:
            return set()
        wanted = list(keys)
        statement = union(
            select(Asset.original_path).where(Asset.original_path.in_(wanted)),
            select(AssetFile.path).where(AssetFile.path.in_(wanted)),
            select(Person.thumbnail_path).where(Person.thumbnail_path.in_(wanted)),
            select(MoveHistory.old_path).where(MoveHistory.old_path.in_(wanted)),
            select(MoveHistory.new_path).where(MoveHistory.new_path.in_(wanted)),
        )
        return {str(key) for key in (await self.db.scalars(statement)).all()}
