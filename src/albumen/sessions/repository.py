"""Session rows. Every query that reads or changes a user's sessions is scoped by that user's id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.time import utcnow
from albumen.models import Session, User


class SessionRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(self, **values: Any) -> Session:
        session = Session(**values)
        self.db.add(session)
        await self.db.flush()
        await self.db.refresh(session)
        return session

    async def get_by_token(self, digest: bytes) -> tuple[Session, User] | None:
        """A usable session: not expired, and its user not deleted."""
        now = utcnow()
        row = (
            await self.db.execute(
                select(Session, User)
                .join(User, User.id == Session.user_id)
                .where(Session.token == digest, User.deleted_at.is_(None))
                .where((Session.expires_at.is_(None)) | (Session.expires_at > now))
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def get(self, session_id: uuid.UUID) -> Session | None:
        return await self.db.get(Session, session_id)

    async def list_for_user(self, user_id: uuid.UUID) -> Sequence[Session]:
        now = utcnow()
        result = await self.db.scalars(
            select(Session)
            .where(Session.user_id == user_id)
            .where((Session.expires_at.is_(None)) | (Session.expires_at > now))
            .order_by(Session.updated_at.desc(), Session.created_at.desc())
        )
        return result.all()

    async def owned_ids(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Session.id).where(Session.user_id == user_id, Session.id.in_(ids))
        )
        return set(result.all())

    async def update(self, session_id: uuid.UUID, **values: Any) -> Session | None:
        await self.db.execute(update(Session).where(Session.id == session_id).values(**values))
        session = await self.db.get(Session, session_id, populate_existing=True)
        return session

    async def delete(self, session_id: uuid.UUID) -> None:
        await self.db.execute(delete(Session).where(Session.id == session_id))

    async def delete_all_for_user(self, user_id: uuid.UUID, keep: uuid.UUID | None = None) -> list[uuid.UUID]:
        statement = delete(Session).where(Session.user_id == user_id)
        if keep is not None:
            statement = statement.where(Session.id != keep)
        result = await self.db.execute(statement.returning(Session.id))
        return list(result.scalars().all())

    async def delete_for_oauth(self, *, oauth_sid: str | None, oauth_id: str | None) -> list[uuid.UUID]:
        """Sessions of the provider session `oauth_sid` and/or of the user linked to `oauth_id`."""
        if not oauth_sid and not oauth_id:
            raise ValueError("oauth_sid or oauth_id is required")
        statement = delete(Session)
        if oauth_sid:
            statement = statement.where(Session.oauth_sid == oauth_sid)
        if oauth_id:
            statement = statement.where(Session.user_id.in_(select(User.id).where(User.oauth_id == oauth_id)))
        result = await self.db.execute(statement.returning(Session.id))
        return list(result.scalars().all())

    async def lock_all(self, user_id: uuid.UUID) -> None:
        await self.db.execute(update(Session).where(Session.user_id == user_id).values(pin_expires_at=None))

    async def delete_stale(self, now: datetime, unused_for: timedelta) -> int:
        """Sessions past their expiry, or not used within `unused_for` (Immich: 90 days)."""
        result = await self.db.execute(
            delete(Session)
            .where(
                (Session.updated_at <= now - unused_for)
                | (Session.expires_at.is_not(None) & (Session.expires_at <= now))
            )
            .returning(Session.id)
        )
        return len(result.scalars().all())
