"""Memory queries: the memories of one owner, their assets, and the "on this day" candidates.

Deletes leave memory_audit / memory_asset_audit rows in the same transaction, for the sync stream.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, cast, delete, exists, func, insert, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from albumen.kit.db import among
from albumen.models import (
    Asset,
    AssetExif,
    AssetFace,
    AssetFile,
    Memory,
    MemoryAsset,
    MemoryAssetAudit,
    MemoryAudit,
    Person,
    User,
)

TIMELINE = "timeline"
ON_THIS_DAY = "on_this_day"
# At most this many assets per year in one "on this day" memory, as Immich.
ON_THIS_DAY_LIMIT = 20
Shown = tuple[Asset, AssetExif | None]


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """GET /memories and /memories/statistics."""

    on: datetime | None = None  # shown then: showAt <= on <= hideAt (an unset bound is open)
    is_saved: bool | None = None
    is_trashed: bool | None = None
    type: str | None = None
    order: str = "desc"  # asc, desc or random, by memoryAt
    size: int | None = None


def _local_day() -> Any:
    """An asset's calendar day where it was taken (local_date_time holds local wall time as UTC)."""
    # A literal zone, so the expression is the one ix_asset_local_date_time_day indexes.
    return cast(func.timezone(literal_column("'UTC'::text"), Asset.local_date_time), Date)


class MemoryRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- memories ------------------------------------------------------------------------------

    def _filtered(self, owner_id: uuid.UUID, wanted: MemoryFilter) -> Select[Memory]:
        statement = select(Memory).where(Memory.owner_id == owner_id)
        statement = statement.where(
            Memory.deleted_at.is_not(None) if wanted.is_trashed else Memory.deleted_at.is_(None)
        )
        if wanted.is_saved is not None:
            statement = statement.where(Memory.is_saved.is_(wanted.is_saved))
        if wanted.type is not None:
            statement = statement.where(Memory.type == wanted.type)
        if wanted.on is not None:
            statement = statement.where(
                (Memory.show_at.is_(None)) | (Memory.show_at <= wanted.on),
                (Memory.hide_at.is_(None)) | (Memory.hide_at >= wanted.on),
            )
        return statement

    async def search(self, owner_id: uuid.UUID, wanted: MemoryFilter) -> Sequence[Memory]:
        statement = self._filtered(owner_id, wanted)
        if wanted.order == "random":
            statement = statement.order_by(func.random())
        elif wanted.order == "asc":
            statement = statement.order_by(Memory.memory_at.asc(), Memory.id)
        else:
            statement = statement.order_by(Memory.memory_at.desc(), Memory.id)
        if wanted.size is not None:
            statement = statement.limit(wanted.size)
        return (await self.db.scalars(statement)).all()

    async def count(self, owner_id: uuid.UUID, wanted: MemoryFilter) -> int:
        subquery = self._filtered(owner_id, wanted).subquery()
        return int(await self.db.scalar(select(func.count()).select_from(subquery)) or 0)

    async def get(self, memory_id: uuid.UUID) -> Memory | None:
        return await self.db.scalar(select(Memory).where(Memory.id == memory_id, Memory.deleted_at.is_(None)))

    async def create(self, memory: Memory, asset_ids: Iterable[uuid.UUID]) -> Memory:
        self.db.add(memory)
        await self.db.flush()
        await self.add_assets(memory.id, list(asset_ids))
        await self.db.refresh(memory)
        return memory

    async def update(self, memory_id: uuid.UUID, **values: Any) -> None:
        """Also just moves updated_at / update_id when called without values (assets changed)."""
        await self.db.execute(
            update(Memory).where(Memory.id == memory_id).values(updated_at=func.now(), **values)
        )

    async def delete(self, memory_ids: Sequence[uuid.UUID]) -> int:
        if not memory_ids:
            return 0
        rows = (
            await self.db.execute(
                delete(Memory).where(among(Memory.id, memory_ids)).returning(Memory.id, Memory.owner_id)
            )
        ).all()
        if rows:
            await self.db.execute(
                insert(MemoryAudit), [{"memory_id": memory_id, "user_id": owner} for memory_id, owner in rows]
            )
        return len(rows)

    # --- their assets --------------------------------------------------------------------------

    async def shown_assets(
        self, memory_ids: Sequence[uuid.UUID], *, without_hidden_people: bool = False
    ) -> dict[uuid.UUID, list[Shown]]:
        """Each memory's live timeline assets, oldest first. `without_hidden_people`: leave out assets
        showing a person the owner hid (the memory lane does, a single memory does not)."""
        found: dict[uuid.UUID, list[Shown]] = defaultdict(list)
        if not memory_ids:
            return found
        statement = (
            select(MemoryAsset.memory_id, Asset, AssetExif)
            .join(Asset, Asset.id == MemoryAsset.asset_id)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(
                among(MemoryAsset.memory_id, memory_ids),
                Asset.visibility == TIMELINE,
                Asset.deleted_at.is_(None),
            )
            .order_by(Asset.file_created_at, Asset.id)
        )
        if without_hidden_people:
            hidden_person = (
                select(AssetFace.id)
                .join(Person, Person.id == AssetFace.person_id)
                .where(AssetFace.asset_id == Asset.id, Person.is_hidden.is_(True))
            )
            statement = statement.where(~exists(hidden_person))
        for memory_id, asset, exif in (await self.db.execute(statement)).all():
            found[memory_id].append((asset, exif))
        return found

    async def asset_ids(self, memory_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of `asset_ids` the memory holds."""
        if not asset_ids:
            return set()
        statement = select(MemoryAsset.asset_id).where(
            MemoryAsset.memory_id == memory_id, among(MemoryAsset.asset_id, asset_ids)
        )
        return set((await self.db.scalars(statement)).all())

    async def add_assets(self, memory_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> None:
        if asset_ids:
            await self.db.execute(
                insert(MemoryAsset),
                [{"memory_id": memory_id, "asset_id": asset_id} for asset_id in asset_ids],
            )

    async def remove_assets(self, memory_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> None:
        if not asset_ids:
            return
        await self.db.execute(
            delete(MemoryAsset).where(
                MemoryAsset.memory_id == memory_id, among(MemoryAsset.asset_id, asset_ids)
            )
        )
        await self.db.execute(
            insert(MemoryAssetAudit),
            [{"memory_id": memory_id, "asset_id": asset_id} for asset_id in asset_ids],
        )

    # --- the nightly jobs ----------------------------------------------------------------------

    async def active_user_ids(self) -> list[uuid.UUID]:
        return list(
            (await self.db.scalars(select(User.id).where(User.deleted_at.is_(None)).order_by(User.id))).all()
        )

    async def earliest_year(self) -> int | None:
        """The year of the oldest asset of anyone (Immich looks back that far)."""
        first: date | None = await self.db.scalar(select(func.min(_local_day())))
        return first.year if first is not None else None

    async def taken_on(self, owner_id: uuid.UUID, days: Sequence[date]) -> dict[int, list[uuid.UUID]]:
        """For each of `days` (one per year), up to ON_THIS_DAY_LIMIT of the owner's live timeline
        assets taken that day that have a preview to show, oldest first; by year."""
        if not days:
            return {}
        has_preview = exists(
            select(AssetFile.id).where(AssetFile.asset_id == Asset.id, AssetFile.type == "preview")
        )
        day = _local_day()
        ranked = (
            select(
                Asset.id,
                day.label("day"),
                func.row_number()
                .over(partition_by=day, order_by=(Asset.local_date_time, Asset.id))
                .label("rank"),
            )
            .where(
                Asset.owner_id == owner_id,
                day.in_(days),
                Asset.visibility == TIMELINE,
                Asset.deleted_at.is_(None),
                has_preview,
            )
            .subquery()
        )
        statement = (
            select(ranked.c.id, ranked.c.day)
            .where(ranked.c.rank <= ON_THIS_DAY_LIMIT)
            .order_by(ranked.c.day, ranked.c.rank)
        )
        found: dict[int, list[uuid.UUID]] = defaultdict(list)
        for asset_id, taken in (await self.db.execute(statement)).all():
            found[taken.year].append(asset_id)
        return found

    async def has_on_this_day(self, owner_id: uuid.UUID, year: int, show_at: datetime) -> bool:
        statement = select(Memory.id).where(
            Memory.owner_id == owner_id,
            Memory.type == ON_THIS_DAY,
            Memory.show_at == show_at,
            Memory.data["year"].as_integer() == year,
        )
        return (await self.db.scalar(statement.limit(1))) is not None

    async def unsaved_created_before(self, moment: datetime) -> list[uuid.UUID]:
        statement = select(Memory.id).where(Memory.created_at < moment, Memory.is_saved.is_(False))
        return list((await self.db.scalars(statement)).all())

    async def drop_assets_off_the_timeline(self) -> int:
        """Memory entries of assets no longer on the timeline (archived, hidden, locked) go."""
        rows = (
            await self.db.execute(
                delete(MemoryAsset)
                .where(MemoryAsset.asset_id == Asset.id, Asset.visibility != TIMELINE)
                .returning(MemoryAsset.memory_id, MemoryAsset.asset_id)
            )
        ).all()
        if rows:
            await self.db.execute(
                insert(MemoryAssetAudit),
                [{"memory_id": memory_id, "asset_id": asset_id} for memory_id, asset_id in rows],
            )
        return len(rows)
