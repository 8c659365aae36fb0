"""Comments and likes on albums and on assets in them (Immich v3.1.0's activity service).

Only members of an album with activity enabled add them; any member reads them (album.read); the
author deletes their own and the album owner deletes any. A second like on the same target returns
the first (the endpoint answers 200 instead of 201).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.activities.repository import ALBUM_LEVEL, ActivityFilter, ActivityRepository
from albumen.activities.schemas import activity_dto, create_issues
from albumen.albums.repository import AlbumRepository
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest

Level = dto.ReactionLevel
Kind = dto.ReactionType


class ActivityService:
    def __init__(self, db: AsyncSession) -> None:
        self.activities = ActivityRepository(db)
        self.albums = AlbumRepository(db)
        self.access = AccessService(db)

    async def search(
        self,
        auth: AuthContext,
        album_id: uuid.UUID,
        *,
        asset_id: uuid.UUID | None,
        kind: Kind | None,
        level: Level | None,
        user_id: uuid.UUID | None,
    ) -> list[dto.ActivityResponseDto]:
        await self.access.require(auth, dto.Permission.album_read, [album_id])
        where = ActivityFilter(
            album_id=album_id,
            user_id=user_id,
            asset_id=ALBUM_LEVEL if level == Level.album else asset_id,
            is_liked=None if kind is None else kind == Kind.like,
        )
        return [activity_dto(activity, author) for activity, author in await self.activities.search(where)]

    async def statistics(
        self, auth: AuthContext, album_id: uuid.UUID, asset_id: uuid.UUID | None
    ) -> dto.ActivityStatisticsResponseDto:
        await self.access.require(auth, dto.Permission.album_read, [album_id])
        comments, likes = await self.activities.statistics(album_id, asset_id)
        return dto.ActivityStatisticsResponseDto(comments=comments, likes=likes)

    async def create(
        self, auth: AuthContext, body: dto.ActivityCreateDto
    ) -> tuple[dto.ActivityResponseDto, bool]:
        """The activity, and whether it already existed (a repeated like)."""
        issues = create_issues(body)
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        await self.access.require(auth, dto.Permission.activity_create, [body.albumId])
        # Immich would fail on its foreign key (a 500); an asset-level activity needs the asset there.
        if body.assetId is not None and not await self.albums.asset_ids_in(body.albumId, [body.assetId]):
            raise BadRequest("Asset not found in album")
        is_like = body.type == Kind.like
        if is_like:
            existing = await self.activities.find_like(body.albumId, body.assetId, auth.user.id)
            if existing is not None:
                return activity_dto(*await self.activities.get(existing.id)), True
        activity = await self.activities.create(
            album_id=body.albumId,
            user_id=auth.user.id,
            asset_id=body.assetId,
            comment=None if is_like else body.comment,
            is_liked=is_like,
        )
        return activity_dto(*await self.activities.get(activity.id)), False

    async def delete(self, auth: AuthContext, activity_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.activity_delete, [activity_id])
        await self.activities.delete(activity_id)
