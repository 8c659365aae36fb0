"""Notification rows. Deleting only stamps deleted_at; a stamped row is gone for every reader."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import among
from albumen.kit.time import utcnow
from albumen.models import Notification


class NotificationRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def search(
        self,
        user_id: uuid.UUID,
        *,
        notification_id: uuid.UUID | None,
        level: str | None,
        type_: str | None,
        unread: bool,
    ) -> Sequence[Notification]:
        statement = select(Notification).where(
            Notification.user_id == user_id, Notification.deleted_at.is_(None)
        )
        if notification_id is not None:
            statement = statement.where(Notification.id == notification_id)
        if level is not None:
            statement = statement.where(Notification.level == level)
        if type_ is not None:
            statement = statement.where(Notification.type == type_)
        if unread:
            statement = statement.where(Notification.read_at.is_(None))
        return (await self.db.scalars(statement.order_by(Notification.created_at.desc()))).all()

    async def get(self, notification_id: uuid.UUID) -> Notification | None:
        return await self.db.scalar(
            select(Notification).where(Notification.id == notification_id, Notification.deleted_at.is_(None))
        )

    async def create(self, **values: Any) -> Notification:
        notification = Notification(**values)
        self.db.add(notification)
        await self.db.flush()
        await self.db.refresh(notification)
        return notification

    async def set_read_at(self, ids: set[uuid.UUID], read_at: datetime | None) -> None:
        await self.db.execute(
            update(Notification)
            .where(among(Notification.id, ids), Notification.deleted_at.is_(None))
            .values(read_at=read_at)  # updated_at and update_id bump through their onupdate
        )

    async def soft_delete(self, ids: set[uuid.UUID]) -> None:
        await self.db.execute(
            update(Notification)
            .where(among(Notification.id, ids), Notification.deleted_at.is_(None))
            .values(deleted_at=utcnow())
        )

    async def cleanup(self, now: datetime) -> int:
        """Drops what nobody will look at again: dismissed over 3 days ago, read over 2 days ago and
        older than 15 days, unread and older than 30 days (Immich's intent; its query misses the last
        two, comparing with `= NULL` and keeping recently read rows the wrong way round)."""
        day = timedelta(days=1)
        result = await self.db.execute(
            delete(Notification).where(
                or_(
                    Notification.deleted_at < now - 3 * day,
                    and_(Notification.read_at < now - 2 * day, Notification.created_at < now - 15 * day),
                    and_(Notification.read_at.is_(None), Notification.created_at < now - 30 * day),
                )
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
