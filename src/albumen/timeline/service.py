"""The web timeline (month buckets, then one month's assets as parallel arrays) and the folder view.

Checks follow Immich v3.1.0's timeline service: a locked timeline needs a PIN-elevated session and
only ever the caller's own; an album needs album access, otherwise the timeline is a user's (the
caller's by default, or a partner's who shares with them); archives are never a partner's; tags and
people must be the caller's; `withPartners` only goes with the plain, unfiltered timeline.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.assets.schemas import asset_response
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest, Unauthorized
from albumen.timeline.repository import AssetScope, BucketRequest, TimelineRepository
from albumen.timeline.schemas import TimelineQuery, is_month_start, next_month, parse_time_bucket

Visibility = dto.AssetVisibility
PARTNERS_REFUSED = (
    "withPartners is only supported for non-archived, non-trashed, non-favorited, non-locked assets"
)


class TimelineService:
    def __init__(self, db: AsyncSession) -> None:
        self.timeline = TimelineRepository(db)
        self.access = AccessService(db)

    async def buckets(self, auth: AuthContext, query: TimelineQuery) -> str:
        scope = await self._scope(auth, query)
        return await self.timeline.buckets_json(
            scope,
            by_created_at=query.order_by == dto.AssetOrderBy.createdAt,
            ascending=query.order == dto.AssetOrder.asc,
        )

    async def bucket(self, auth: AuthContext, query: TimelineQuery, time_bucket: str) -> str:
        start = parse_time_bucket(time_bucket)
        scope = await self._scope(auth, query)
        # Immich compares the value with each asset's month start: any other instant matches nothing.
        end = next_month(start) if is_month_start(start) else start
        with_metadata = auth.shows_metadata  # a link without metadata shows no place or position
        request = BucketRequest(
            start=start,
            end=end,
            caller_id=auth.user.id,
            by_created_at=query.order_by == dto.AssetOrderBy.createdAt,
            ascending=query.order == dto.AssetOrder.asc,
            with_place=with_metadata,
            with_coordinates=query.with_coordinates and with_metadata,
            with_stack=query.with_stacked,
        )
        return await self.timeline.bucket_json(scope, request)

    async def _scope(self, auth: AuthContext, query: TimelineQuery) -> AssetScope:
        await self._check(auth, query)
        owner_ids: list[uuid.UUID] | None = None
        user_id = query.user_id if query.album_id is not None else query.user_id or auth.user.id
        if user_id is not None:
            owner_ids = [user_id]
            if query.with_partners:
                owner_ids += await self.timeline.timeline_partners(auth.user.id)
        return AssetScope(
            owner_ids=owner_ids,
            album_id=query.album_id,
            person_id=query.person_id,
            tag_id=query.tag_id,
            is_favorite=query.is_favorite,
            is_trashed=bool(query.is_trashed),
            visibility=query.visibility.value if query.visibility is not None else None,
            primaries_only=query.with_stacked,
            bbox=query.bbox,
        )

    async def _check(self, auth: AuthContext, query: TimelineQuery) -> None:
        locked = query.visibility == Visibility.locked
        if locked and (auth.session is None or not auth.session.has_elevated_permission):
            raise Unauthorized("Elevated permission is required")
        if query.album_id is not None:
            await self.access.require(auth, dto.Permission.album_read, [query.album_id])
        user_id = query.user_id if query.album_id is not None else query.user_id or auth.user.id
        if user_id is not None:
            await self.access.require(auth, dto.Permission.timeline_read, [user_id])
            if query.visibility == Visibility.archive:
                await self.access.require(auth, dto.Permission.archive_read, [user_id])
            if locked and user_id != auth.user.id:
                raise BadRequest("You may not access another user's locked timeline")
        if query.tag_id is not None:
            await self.access.require(auth, dto.Permission.tag_read, [query.tag_id])
        if query.person_id is not None:
            await self.access.require(auth, dto.Permission.person_read, [query.person_id])
        if query.with_partners and (
            locked
            or query.visibility in (Visibility.archive, None)
            or query.is_favorite is not None
            or query.is_trashed
        ):
            raise BadRequest(PARTNERS_REFUSED)

    # -- folders ------------------------------------------------------------------------------------

    async def unique_folders(self, auth: AuthContext) -> list[str]:
        return await self.timeline.unique_folders(auth.user.id)

    async def folder(self, auth: AuthContext, path: str) -> list[dto.AssetResponseDto]:
        found = await self.timeline.folder_assets(auth.user.id, path)
        return [asset_response(asset, exif) for asset, exif in found]
