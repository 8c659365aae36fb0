"""Stack queries. Membership lives on asset.stack_id; every change to it goes through a Core UPDATE so
the members' update_id moves (the sync stream pages assets by it), and every removed stack leaves a
stack_audit row in the same transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import among
from albumen.models import Asset, AssetExif, Stack, StackAudit

# What a stack shows of its members (Immich's default visibility: the timeline and the archive).
SHOWN_VISIBILITIES = ("timeline", "archive")
Member = tuple[Asset, AssetExif | None]


@dataclass(frozen=True, slots=True)
class StackSummary:
    """The `stack` of an asset response: the primary plus its live timeline siblings."""

    id: uuid.UUID
    primary_asset_id: uuid.UUID
    asset_count: int


@dataclass(frozen=True, slots=True)
class StackMembership:
    stack_id: uuid.UUID
    owner_id: uuid.UUID
    primary_asset_id: uuid.UUID
    members: list[uuid.UUID]  # every asset row pointing at the stack, best primary candidates first


class StackRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- reads -------------------------------------------------------------------------------

    async def get(self, stack_id: uuid.UUID) -> Stack | None:
        return await self.db.get(Stack, stack_id)

    async def search(self, owner_id: uuid.UUID, primary_asset_id: uuid.UUID | None) -> Sequence[Stack]:
        statement = select(Stack).where(Stack.owner_id == owner_id).order_by(Stack.created_at, Stack.id)
        if primary_asset_id is not None:
            statement = statement.where(Stack.primary_asset_id == primary_asset_id)
        return (await self.db.scalars(statement)).all()

    async def shown_members(self, stack_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Member]]:
        """The live (untrashed, timeline or archived) members of each stack, oldest first."""
        ids = list(stack_ids)
        found: dict[uuid.UUID, list[Member]] = defaultdict(list)
        if not ids:
            return found
        statement = (
            select(Asset, AssetExif)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(
                among(Asset.stack_id, ids),
                Asset.deleted_at.is_(None),
                Asset.visibility.in_(SHOWN_VISIBILITIES),
            )
            .order_by(Asset.file_created_at, Asset.id)
        )
        for asset, exif in (await self.db.execute(statement)).all():
            assert asset.stack_id is not None
            found[asset.stack_id].append((asset, exif))
        return found

    async def summary(self, stack_id: uuid.UUID) -> StackSummary | None:
        """As Immich counts for an asset's `stack`: the primary, plus siblings on the live timeline."""
        stack = await self.get(stack_id)
        if stack is None:
            return None
        siblings = await self.db.scalar(
            select(func.count())
            .select_from(Asset)
            .where(
                Asset.stack_id == stack_id,
                Asset.id != stack.primary_asset_id,
                Asset.deleted_at.is_(None),
                Asset.visibility == "timeline",
            )
        )
        return StackSummary(stack.id, stack.primary_asset_id, int(siblings or 0) + 1)

    async def stack_of(self, asset_id: uuid.UUID) -> uuid.UUID | None:
        return await self.db.scalar(select(Asset.stack_id).where(Asset.id == asset_id))

    async def memberships(self, asset_ids: Sequence[uuid.UUID]) -> list[StackMembership]:
        """The stacks any of `asset_ids` belongs to, each with all its members; live timeline assets
        come first, so the first survivor is the best new primary."""
        if not asset_ids:
            return []
        touched = select(Asset.stack_id).where(among(Asset.id, asset_ids), Asset.stack_id.is_not(None))
        statement = (
            select(Stack.id, Stack.owner_id, Stack.primary_asset_id, Asset.id)
            .join(Asset, Asset.stack_id == Stack.id)
            .where(Stack.id.in_(touched))
            .order_by(
                Stack.id,
                Asset.deleted_at.is_not(None),
                Asset.visibility != "timeline",
                Asset.file_created_at,
                Asset.id,
            )
        )
        found: dict[uuid.UUID, StackMembership] = {}
        for stack_id, owner_id, primary_id, asset_id in (await self.db.execute(statement)).all():
            entry = found.setdefault(stack_id, StackMembership(stack_id, owner_id, primary_id, []))
            entry.members.append(asset_id)
        return list(found.values())

    async def stacks_led_by(self, owner_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """The owner's stacks whose primary is one of `asset_ids` (they merge into a new stack)."""
        statement = select(Stack.id).where(
            Stack.owner_id == owner_id, among(Stack.primary_asset_id, asset_ids)
        )
        return list((await self.db.scalars(statement)).all())

    async def live_members(self, stack_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        if not stack_ids:
            return []
        statement = select(Asset.id).where(among(Asset.stack_id, stack_ids), Asset.deleted_at.is_(None))
        return list((await self.db.scalars(statement)).all())

    # --- writes ------------------------------------------------------------------------------

    async def create(self, owner_id: uuid.UUID, primary_asset_id: uuid.UUID) -> Stack:
        stack = Stack(owner_id=owner_id, primary_asset_id=primary_asset_id)
        self.db.add(stack)
        await self.db.flush()
        await self.db.refresh(stack)
        return stack

    async def assign(self, asset_ids: Sequence[uuid.UUID], stack_id: uuid.UUID | None) -> None:
        if asset_ids:
            await self.db.execute(update(Asset).where(among(Asset.id, asset_ids)).values(stack_id=stack_id))

    async def set_primary(self, stack_id: uuid.UUID, primary_asset_id: uuid.UUID) -> None:
        await self.db.execute(
            update(Stack).where(Stack.id == stack_id).values(primary_asset_id=primary_asset_id)
        )

    async def delete(self, stack_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """Dissolves the stacks: members are let go first (so their update_id moves; the foreign key's
        SET NULL would not), then the rows go and stack_audit remembers them. Returns the owners."""
        if not stack_ids:
            return []
        await self.db.execute(update(Asset).where(among(Asset.stack_id, stack_ids)).values(stack_id=None))
        rows = (
            await self.db.execute(
                delete(Stack).where(among(Stack.id, stack_ids)).returning(Stack.id, Stack.owner_id)
            )
        ).all()
        if rows:
            await self.db.execute(
                insert(StackAudit), [{"stack_id": stack_id, "user_id": owner} for stack_id, owner in rows]
            )
        return list({owner for _, owner in rows})
