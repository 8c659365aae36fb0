"""Tag queries: hierarchical values ("People/Marie Curie") with their parents and the closure table."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import Tag, TagAsset, TagClosure


class TagRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def upsert_path(self, user_id: uuid.UUID, value: str) -> uuid.UUID:
        """The tag for `value` and every ancestor ("a", "a/b", "a/b/c"), created as needed, with their
        closure rows; returns the leaf's id. Safe against a concurrent upsert of the same path."""
        parts = [part.strip() for part in value.split("/") if part.strip()]
        chain: list[uuid.UUID] = []
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            parent = chain[-1] if chain else None
            await self.db.execute(
                insert(Tag).values(user_id=user_id, value=path, parent_id=parent).on_conflict_do_nothing()
            )
            tag_id = await self.db.scalar(select(Tag.id).where(Tag.user_id == user_id, Tag.value == path))
            assert tag_id is not None
            chain.append(tag_id)
            rows = [{"id_ancestor": ancestor, "id_descendant": tag_id} for ancestor in chain]
            await self.db.execute(insert(TagClosure).values(rows).on_conflict_do_nothing())
        return chain[-1]

    async def replace_asset_tags(
        self, user_id: uuid.UUID, asset_id: uuid.UUID, values: Sequence[str]
    ) -> None:
        """The asset's tags become exactly `values` (as Immich does with the tags read from a file)."""
        leaves = {await self.upsert_path(user_id, value) for value in values if value.strip("/ ")}
        await self.db.execute(delete(TagAsset).where(TagAsset.asset_id == asset_id))
        if leaves:
            await self.db.execute(
                insert(TagAsset)
                .values([{"asset_id": asset_id, "tag_id": tag} for tag in leaves])
                .on_conflict_do_nothing()
            )

    async def values_of(self, asset_id: uuid.UUID) -> list[str]:
        statement = (
            select(Tag.value).join(TagAsset, TagAsset.tag_id == Tag.id).where(TagAsset.asset_id == asset_id)
        )
        return sorted((await self.db.scalars(statement)).all())
