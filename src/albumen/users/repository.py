"""User rows and their key/value metadata."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import User, UserMetadata


class UserRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, user_id: uuid.UUID, *, with_deleted: bool = False) -> User | None:
        statement = select(User).where(User.id == user_id)
        if not with_deleted:
            statement = statement.where(User.deleted_at.is_(None))
        return await self.db.scalar(statement)

    async def get_by_email(self, email: str, *, with_deleted: bool = False) -> User | None:
        statement = select(User).where(func.lower(User.email) == email.strip().lower())
        if not with_deleted:
            statement = statement.where(User.deleted_at.is_(None))
        return await self.db.scalar(statement)

    async def get_by_oauth_id(self, oauth_id: str) -> User | None:
        return await self.db.scalar(select(User).where(User.oauth_id == oauth_id, User.deleted_at.is_(None)))

    async def get_by_storage_label(self, label: str) -> User | None:
        return await self.db.scalar(select(User).where(User.storage_label == label))

    async def get_admin(self) -> User | None:
        return await self.db.scalar(select(User).where(User.is_admin.is_(True), User.deleted_at.is_(None)).limit(1))

    async def has_admin(self) -> bool:
        return await self.get_admin() is not None

    async def create(self, **values: Any) -> User:
        user = User(**values)
        self.db.add(user)
        await self.db.flush()
        await self.db.refresh(user)
        return user

    async def update(self, user_id: uuid.UUID, **values: Any) -> User:
        await self.db.execute(update(User).where(User.id == user_id).values(**values))
        user = await self.db.get(User, user_id, populate_existing=True)
        assert user is not None
        return user

    async def list(self, *, with_deleted: bool = False, user_id: uuid.UUID | None = None) -> Sequence[User]:
        statement = select(User).order_by(User.created_at)
        if not with_deleted:
            statement = statement.where(User.deleted_at.is_(None))
        if user_id is not None:
            statement = statement.where(User.id == user_id)
        return (await self.db.scalars(statement)).all()

    async def deleted_before(self, cutoff: datetime) -> Sequence[User]:
        statement = select(User).where(User.deleted_at.is_not(None), User.deleted_at < cutoff)
        return (await self.db.scalars(statement)).all()

    async def hard_delete(self, user: User) -> None:
        await self.db.delete(user)
        await self.db.flush()

    async def get_metadata(self, user_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        rows = await self.db.scalars(select(UserMetadata).where(UserMetadata.user_id == user_id))
        return {row.key: row.value for row in rows}

    async def upsert_metadata(self, user_id: uuid.UUID, key: str, value: dict[str, Any]) -> None:
        statement = insert(UserMetadata).values(user_id=user_id, key=key, value=value)
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=[UserMetadata.user_id, UserMetadata.key],
                set_={"value": statement.excluded.value, "updated_at": func.now()},
            )
        )

    async def delete_metadata(self, user_id: uuid.UUID, key: str) -> None:
        row = await self.db.get(UserMetadata, (user_id, key))
        if row is not None:
            await self.db.delete(row)
            await self.db.flush()
