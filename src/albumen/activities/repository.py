"""Activity rows (comments and likes) with their authors; authors who were deleted are left out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import Activity, Asset, User


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    album_id: uuid.UUID
    user_id: uuid.UUID | None = None
    # None: any target; ALBUM_LEVEL: only the album's own activities; an id: that asset's.
    asset_id: uuid.UUID | object | None = None
    is_liked: bool | None = None


ALBUM_LEVEL = object()


def _asset_visible() -> ColumnElement[bool]:
    return or_(Asset.id.is_(None), Asset.deleted_at.is_(None))


class ActivityRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def search(self, where: ActivityFilter) -> list[tuple[Activity, User]]:
        """Oldest first, as Immich lists them."""
        statement = (
            select(Activity, User)
            .join(User, and_(User.id == Activity.user_id, User.deleted_at.is_(None)))
            .outerjoin(Asset, Asset.id == Activity.asset_id)
            .where(Activity.album_id == where.album_id, _asset_visible())
            .order_by(Activity.created_at, Activity.id)
        )
        if where.user_id is not None:
            statement = statement.where(Activity.user_id == where.user_id)
        if where.asset_id is ALBUM_LEVEL:
            statement = statement.where(Activity.asset_id.is_(None))
        elif isinstance(where.asset_id, uuid.UUID):
            statement = statement.where(Activity.asset_id == where.asset_id)
        if where.is_liked is not None:
            statement = statement.where(Activity.is_liked.is_(where.is_liked))
        return [(activity, user) for activity, user in (await self.db.execute(statement)).all()]

    async def get(self, activity_id: uuid.UUID) -> tuple[Activity, User]:
        statement = select(Activity, User).join(User, User.id == Activity.user_id)
        activity, author = (await self.db.execute(statement.where(Activity.id == activity_id))).one()
        return activity, author

    async def find_like(
        self, album_id: uuid.UUID, asset_id: uuid.UUID | None, user_id: uuid.UUID
    ) -> Activity | None:
        target = Activity.asset_id.is_(None) if asset_id is None else Activity.asset_id == asset_id
        statement = select(Activity).where(
            Activity.album_id == album_id, Activity.user_id == user_id, Activity.is_liked.is_(True), target
        )
        return await self.db.scalar(statement)

    async def create(
        self,
        *,
        album_id: uuid.UUID,
        user_id: uuid.UUID,
        asset_id: uuid.UUID | None,
        comment: str | None,
        is_liked: bool,
    ) -> Activity:
        activity = Activity(
            album_id=album_id, user_id=user_id, asset_id=asset_id, comment=comment, is_liked=is_liked
        )
        self.db.add(activity)
        await self.db.flush()
        await self.db.refresh(activity)
        return activity

    async def delete(self, activity_id: uuid.UUID) -> None:
        await self.db.execute(delete(Activity).where(Activity.id == activity_id))

    async def statistics(self, album_id: uuid.UUID, asset_id: uuid.UUID | None) -> tuple[int, int]:
        """(comments, likes) on the album, or on one asset in it; locked assets' activity not counted."""
        statement = (
            select(
                func.count().filter(Activity.is_liked.is_(False)),
                func.count().filter(Activity.is_liked.is_(True)),
            )
            .select_from(Activity)
            .join(User, and_(User.id == Activity.user_id, User.deleted_at.is_(None)))
            .outerjoin(Asset, Asset.id == Activity.asset_id)
            .where(
                Activity.album_id == album_id,
                or_(Asset.id.is_(None), and_(Asset.deleted_at.is_(None), Asset.visibility != "locked")),
            )
        )
        if asset_id is not None:
            statement = statement.where(Activity.asset_id == asset_id)
        comments, likes = (await self.db.execute(statement)).one()
        return int(comments), int(likes)
