"""Bulk ownership queries: given many ids, which belong to (or are shared with) this user."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import ApiKey, Session


class AccessRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def owned_sessions(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Session.id).where(Session.user_id == user_id, Session.id.in_(ids))
        )
        return set(result.all())

    async def owned_api_keys(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(select(ApiKey.id).where(ApiKey.user_id == user_id, ApiKey.id.in_(ids)))
        return set(result.all())
