"""Tag queries: hierarchical values ("People/Marie Curie") with their parents, the closure table (one row
per ancestor/descendant pair, each tag with itself included) and the tagged assets."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, literal, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import among
from albumen.kit.ids import uuid7
from albumen.models import AssetExif, Tag, TagAsset, TagClosure
from albumen.tags.schemas import fits

# The asset_exif lock that keeps hand-set tags over what a later metadata extraction reads.
TAGS_LOCK = "tags"


def _uuids(values: Sequence[uuid.UUID]) -> ColumnElement[Any]:
    return literal(list(dict.fromkeys(values)), ARRAY(UUID(as_uuid=True)))


def path_parts(value: str) -> list[str]:
    """ "a//b/" → ["a", "b"]: empty levels are dropped, the rest kept as written (as Immich does)."""
    return [part for part in value.split("/") if part]


class TagRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- tags ----------------------------------------------------------------------------------

    async def get(self, tag_id: uuid.UUID) -> Tag | None:
        return await self.db.scalar(
            select(Tag).where(Tag.id == tag_id).execution_options(populate_existing=True)
        )

    async def by_value(self, user_id: uuid.UUID, value: str) -> Tag | None:
        return await self.db.scalar(select(Tag).where(Tag.user_id == user_id, Tag.value == value))

    async def all_of(self, user_id: uuid.UUID) -> list[Tag]:
        statement = select(Tag).where(Tag.user_id == user_id).order_by(Tag.value)
        return list((await self.db.scalars(statement)).all())

    async def create(
        self, user_id: uuid.UUID, value: str, color: str | None, parent_id: uuid.UUID | None
    ) -> Tag | None:
        """The new tag, or None when the user already has one with this value (a concurrent create)."""
        statement = (
            insert(Tag)
            .values(user_id=user_id, value=value, color=color, parent_id=parent_id)
            .on_conflict_do_nothing(index_elements=[Tag.user_id, Tag.value])
            .returning(Tag)
        )
        tag = await self.db.scalar(statement)
        if tag is not None:
            await self._link(tag.id, parent_id)
        return tag

    async def upsert_value(self, user_id: uuid.UUID, value: str, parent_id: uuid.UUID | None) -> Tag:
        """The user's tag with this value under `parent_id`, made if missing. Concurrent upserts of the
        same value wait for each other on the unique index and all answer the same row."""
        statement = (
            insert(Tag)
            .values(user_id=user_id, value=value, parent_id=parent_id)
            .on_conflict_do_update(
                index_elements=[Tag.user_id, Tag.value],
                set_={"parent_id": parent_id, "updated_at": func.now(), "update_id": uuid7()},
            )
            .returning(Tag)
            .execution_options(populate_existing=True)
        )
        tag = await self.db.scalar(statement)
        assert tag is not None
        await self._link(tag.id, parent_id)
        return tag

    async def upsert_levels(self, user_id: uuid.UUID, value: str) -> Tag | None:
        """The tag for `value` ("a/b/c") with every ancestor ("a", "a/b") made as needed; None when the
        value has no level at all ("/")."""
        tag: Tag | None = None
        for part in path_parts(value):
            path, parent = (f"{tag.value}/{part}", tag.id) if tag else (part, None)
            tag = await self.upsert_value(user_id, path, parent)
        return tag

    async def upsert_path(self, user_id: uuid.UUID, value: str) -> uuid.UUID:
        """The id of `value`'s tag, made with its ancestors as needed; `value` must name a level."""
        tag = await self.upsert_levels(user_id, value)
        if tag is None:
            raise ValueError(f"tag value without a level: {value!r}")
        return tag.id

    async def set_color(self, tag_id: uuid.UUID, color: str | None) -> None:
        await self.db.execute(
            update(Tag).where(Tag.id == tag_id).values(color=color, updated_at=func.now(), update_id=uuid7())
        )

    async def delete(self, tag_id: uuid.UUID) -> None:
        """The tag and, through the parent key, every tag below it."""
        await self.db.execute(delete(Tag).where(Tag.id == tag_id))

    async def delete_unused(self) -> int:
        """Tags neither they nor any tag below them is on an asset (Immich's TagCleanup)."""
        used = (
            select(TagClosure.id_ancestor)
            .join(TagAsset, TagAsset.tag_id == TagClosure.id_descendant)
            .where(TagClosure.id_ancestor == Tag.id)
        )
        result = await self.db.execute(delete(Tag).where(~exists(used)).returning(Tag.id))
        return len(result.all())

    async def _link(self, tag_id: uuid.UUID, parent_id: uuid.UUID | None) -> None:
        """Closure rows: the tag with itself, and with every ancestor of its parent."""
        tag = literal(tag_id, UUID(as_uuid=True))
        rows = select(tag.label("id_ancestor"), tag.label("id_descendant"))
        if parent_id is not None:
            ancestors = select(TagClosure.id_ancestor, tag).where(TagClosure.id_descendant == parent_id)
            rows = rows.union_all(ancestors)  # type: ignore[assignment]
        statement = insert(TagClosure).from_select(["id_ancestor", "id_descendant"], rows)
        await self.db.execute(statement.on_conflict_do_nothing())

    # --- tagged assets -------------------------------------------------------------------------

    async def assets_under(self, tag_id: uuid.UUID) -> list[uuid.UUID]:
        """Assets carrying the tag or any tag below it."""
        statement = (
            select(TagAsset.asset_id)
            .join(TagClosure, TagClosure.id_descendant == TagAsset.tag_id)
            .where(TagClosure.id_ancestor == tag_id)
            .distinct()
        )
        return list((await self.db.scalars(statement)).all())

    async def tagged(self, tag_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Of `asset_ids`, those that carry the tag itself."""
        wanted = set(asset_ids)
        if not wanted:
            return set()
        statement = select(TagAsset.asset_id).where(
            TagAsset.tag_id == tag_id, among(TagAsset.asset_id, wanted)
        )
        return set((await self.db.scalars(statement)).all())

    async def add(self, tag_ids: Sequence[uuid.UUID], asset_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """Every tag on every asset; returns the asset of each pair that was not there before."""
        if not tag_ids or not asset_ids:
            return []
        # Two arrays crossed in SQL: one parameter each, however many pairs.
        tags = select(func.unnest(_uuids(tag_ids)).label("tag_id")).subquery()
        assets = select(func.unnest(_uuids(asset_ids)).label("asset_id")).subquery()
        pairs = select(tags.c.tag_id, assets.c.asset_id).join(assets, true())
        statement = (
            insert(TagAsset)
            .from_select(["tag_id", "asset_id"], pairs)
            .on_conflict_do_nothing()
            .returning(TagAsset.asset_id)
        )
        return list((await self.db.scalars(statement)).all())

    async def remove(self, tag_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> None:
        if asset_ids:
            await self.db.execute(
                delete(TagAsset).where(TagAsset.tag_id == tag_id, among(TagAsset.asset_id, asset_ids))
            )

    async def replace_asset_tags(
        self, user_id: uuid.UUID, asset_id: uuid.UUID, values: Sequence[str]
    ) -> None:
        """The asset's tags become exactly `values` (as Immich does with the tags read from a file);
        a value too long to be stored is left out."""
        leaves = set()
        for value in dict.fromkeys(value for value in values if fits(value)):
            if (tag := await self.upsert_levels(user_id, value)) is not None:
                leaves.add(tag.id)
        await self.db.execute(delete(TagAsset).where(TagAsset.asset_id == asset_id))
        if leaves:
            await self.db.execute(
                insert(TagAsset)
                .values([{"asset_id": asset_id, "tag_id": tag} for tag in leaves])
                .on_conflict_do_nothing()
            )

    async def of_assets(self, asset_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Tag]]:
        """Each asset's tags, by value."""
        wanted = set(asset_ids)
        found: dict[uuid.UUID, list[Tag]] = {asset_id: [] for asset_id in wanted}
        if not wanted:
            return found
        statement = (
            select(TagAsset.asset_id, Tag)
            .join(Tag, Tag.id == TagAsset.tag_id)
            .where(among(TagAsset.asset_id, wanted))
            .order_by(Tag.value)
        )
        for asset_id, tag in (await self.db.execute(statement)).all():
            found[asset_id].append(tag)
        return found

    async def values_of(self, asset_id: uuid.UUID) -> list[str]:
        return [tag.value for tag in (await self.of_assets([asset_id]))[asset_id]]

    async def record_on_exif(self, asset_ids: Iterable[uuid.UUID]) -> None:
        """The assets' tag values go into asset_exif.tags, locked, so the sidecar gets them and a later
        metadata extraction keeps them (as Immich's updateTags). Bumps the rows' update_id."""
        tags = await self.of_assets(asset_ids)
        if not tags:
            return
        rows = await self.db.scalars(select(AssetExif).where(among(AssetExif.asset_id, tags.keys())))
        existing = {row.asset_id: row for row in rows.all()}
        for asset_id, assigned in tags.items():
            row = existing.get(asset_id)
            if row is None:
                row = AssetExif(asset_id=asset_id)
                self.db.add(row)
            row.tags = [tag.value for tag in assigned]
            row.locked_properties = sorted({*(row.locked_properties or ()), TAGS_LOCK})
        await self.db.flush()
