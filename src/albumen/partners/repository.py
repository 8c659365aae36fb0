"""Partner rows with the user on the other side; a removed partnership leaves an audit row for sync."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from albumen.models import Partner, PartnerAudit, User


class PartnerRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, shared_by_id: uuid.UUID, shared_with_id: uuid.UUID) -> Partner | None:
        return await self.db.get(Partner, (shared_by_id, shared_with_id))

    async def shared_by(self, user_id: uuid.UUID) -> list[tuple[Partner, User]]:
        """Partnerships where `user_id` shares, with the user shared with."""
        return await self._with_other(user_id, Partner.shared_by_id, Partner.shared_with_id)

    async def shared_with(self, user_id: uuid.UUID) -> list[tuple[Partner, User]]:
        """Partnerships where someone shares with `user_id`, with that someone."""
        return await self._with_other(user_id, Partner.shared_with_id, Partner.shared_by_id)

    async def _with_other(
        self,
        user_id: uuid.UUID,
        mine: InstrumentedAttribute[uuid.UUID],
        theirs: InstrumentedAttribute[uuid.UUID],
    ) -> list[tuple[Partner, User]]:
        """Both users live: a partnership with a deleted user is left out, as in Immich."""
        other, me = aliased(User), aliased(User)
        statement = (
            select(Partner, other)
            .join(other, (other.id == theirs) & other.deleted_at.is_(None))
            .join(me, (me.id == mine) & me.deleted_at.is_(None))
            .where(mine == user_id)
            .order_by(Partner.created_at)
        )
        return [(partner, user) for partner, user in (await self.db.execute(statement)).tuples().all()]

    async def create(self, shared_by_id: uuid.UUID, shared_with_id: uuid.UUID) -> Partner:
        partner = Partner(shared_by_id=shared_by_id, shared_with_id=shared_with_id, in_timeline=False)
        self.db.add(partner)
        await self.db.flush()
        return partner

    async def set_in_timeline(self, shared_by_id: uuid.UUID, shared_with_id: uuid.UUID, value: bool) -> None:
        await self.db.execute(
            update(Partner)
            .where(Partner.shared_by_id == shared_by_id, Partner.shared_with_id == shared_with_id)
            .values(in_timeline=value)
        )

    async def remove(self, shared_by_id: uuid.UUID, shared_with_id: uuid.UUID) -> None:
        await self.db.execute(
            delete(Partner).where(
                Partner.shared_by_id == shared_by_id, Partner.shared_with_id == shared_with_id
            )
        )
        self.db.add(PartnerAudit(shared_by_id=shared_by_id, shared_with_id=shared_with_id))
