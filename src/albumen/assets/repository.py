"""Asset queries. Each is scoped to the owner it is asked for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import Asset, AssetExif, User

IMAGE = "IMAGE"
VIDEO = "VIDEO"


@dataclass(frozen=True, slots=True)
class AssetCounts:
    images: int
    videos: int

    @property
    def total(self) -> int:
        return self.images + self.videos


@dataclass(frozen=True, slots=True)
class UserUsage:
    user_id: uuid.UUID
    user_name: str
    quota_size_in_bytes: int | None
    photos: int
    videos: int
    usage_photos: int
    usage_videos: int


class AssetRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def count_by_type(
        self,
        owner_id: uuid.UUID,
        *,
        is_favorite: bool | None = None,
        is_trashed: bool | None = None,
        visibility: str | None = None,
    ) -> AssetCounts:
        statement = select(
            func.count().filter(Asset.type == IMAGE), func.count().filter(Asset.type == VIDEO)
        ).where(Asset.owner_id == owner_id)
        if is_favorite is not None:
            statement = statement.where(Asset.is_favorite.is_(is_favorite))
        if is_trashed is not None:
            trashed = Asset.deleted_at.is_not(None)
            statement = statement.where(trashed if is_trashed else ~trashed)
        if visibility is not None:
            statement = statement.where(Asset.visibility == visibility)
        images, videos = (await self.db.execute(statement)).one()
        return AssetCounts(images=images, videos=videos)

    async def usage_by_user(self) -> list[UserUsage]:
        """Photos, videos and bytes per user (deleted users excluded), in one grouped query."""
        size = func.coalesce(AssetExif.file_size_in_byte, 0)
        live = Asset.deleted_at.is_(None)
        statement = (
            select(
                User.id,
                User.name,
                User.quota_size_in_bytes,
                func.count(Asset.id).filter(Asset.type == IMAGE, live),
                func.count(Asset.id).filter(Asset.type == VIDEO, live),
                func.coalesce(func.sum(case((Asset.type == IMAGE, size), else_=0)).filter(live), 0),
                func.coalesce(func.sum(case((Asset.type == VIDEO, size), else_=0)).filter(live), 0),
            )
            .select_from(User)
            .outerjoin(Asset, Asset.owner_id == User.id)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(User.deleted_at.is_(None))
            .group_by(User.id)
            .order_by(User.created_at)
        )
        rows = (await self.db.execute(statement)).all()
        return [UserUsage(*row) for row in rows]
