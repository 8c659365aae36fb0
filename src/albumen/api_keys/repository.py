"""API key rows, always scoped by the owning user's id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import ApiKey, User


class ApiKeyRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(self, **values: Any) -> ApiKey:
        key = ApiKey(**values)
        self.db.add(key)
        await self.db.flush()
        await self.db.refresh(key)
        return key

    async def get_by_key(self, digest: bytes) -> tuple[ApiKey, User] | None:
        row = (
            await self.db.execute(
                select(ApiKey, User)
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.key == digest, User.deleted_at.is_(None))
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def get(self, user_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
        return await self.db.scalar(select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.id == key_id))

    async def list_for_user(self, user_id: uuid.UUID) -> Sequence[ApiKey]:
        result = await self.db.scalars(
            select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc())
        )
        return result.all()

    async def update(self, user_id: uuid.UUID, key_id: uuid.UUID, **values: Any) -> ApiKey | None:
        changes = {name: value for name, value in values.items() if value is not None}
        if changes:
            await self.db.execute(
                update(ApiKey).where(ApiKey.user_id == user_id, ApiKey.id == key_id).values(**changes)
            )
        return await self.db.get(ApiKey, key_id, populate_existing=True)

    async def delete(self, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
        await self.db.execute(delete(ApiKey).where(ApiKey.user_id == user_id, ApiKey.id == key_id))
