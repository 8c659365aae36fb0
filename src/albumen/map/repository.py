"""Map markers: assets with a position, newest first, as the JSON array Immich answers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Text, and_, cast, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import among
from albumen.map.schemas import MarkerFilter
from albumen.models import Album, AlbumAsset, AlbumUser, Asset, AssetExif, Partner, User

# Immich's keys in Immich's order: its controller returns the query's rows as they are.
_MARKER = func.json_build_object(
    literal_column("'id'"), Asset.id,
    literal_column("'lat'"), AssetExif.latitude,
    literal_column("'lon'"), AssetExif.longitude,
    literal_column("'city'"), AssetExif.city,
    literal_column("'state'"), AssetExif.state,
    literal_column("'country'"), AssetExif.country,
)  # fmt: skip


def _markers() -> Select[*tuple[Any, ...]]:
    """One row: the JSON array of markers, newest first, written by PostgreSQL."""
    ordered = aggregate_order_by(_MARKER, Asset.file_created_at.desc(), Asset.id)
    listed = func.coalesce(func.json_agg(ordered), literal_column("'[]'::json"))
    return (
        select(cast(listed, Text))
        .select_from(Asset)
        .join(
            AssetExif,
            (AssetExif.asset_id == Asset.id)
            & AssetExif.latitude.is_not(None)
            & AssetExif.longitude.is_not(None),
        )
        .where(Asset.deleted_at.is_(None))
    )


class MapRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def partner_ids(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Users who share their library with this one (all of them, not only those in the timeline)."""
        statement = (
            select(Partner.shared_by_id)
            .join(User, (User.id == Partner.shared_by_id) & User.deleted_at.is_(None))
            .where(Partner.shared_with_id == user_id)
        )
        return list((await self.db.scalars(statement)).all())

    async def album_ids(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Live albums the user belongs to, owned or shared with them."""
        statement = (
            select(Album.id)
            .join(AlbumUser, (AlbumUser.album_id == Album.id) & (AlbumUser.user_id == user_id))
            .where(Album.deleted_at.is_(None))
        )
        return list((await self.db.scalars(statement)).all())

    async def markers(
        self,
        user_id: uuid.UUID,
        owner_ids: Sequence[uuid.UUID],
        album_ids: Sequence[uuid.UUID],
        options: MarkerFilter,
    ) -> str:
        """Markers of the owners' assets and of the albums' assets. Only timeline assets, plus the
        caller's own archived ones when archived are asked for: never a partner's archive."""
        statement = _markers()
        if options.is_archived:
            statement = statement.where(
                or_(
                    Asset.visibility == "timeline",
                    and_(Asset.owner_id == user_id, Asset.visibility == "archive"),
                )
            )
        else:
            statement = statement.where(Asset.visibility == "timeline")
        if options.is_favorite is not None:
            statement = statement.where(Asset.is_favorite.is_(options.is_favorite))
        if options.created_after is not None:
            statement = statement.where(Asset.file_created_at >= options.created_after)
        if options.created_before is not None:
            statement = statement.where(Asset.file_created_at <= options.created_before)
        reach = [among(Asset.owner_id, owner_ids)]
        if album_ids:
            in_albums = exists().where(AlbumAsset.asset_id == Asset.id, among(AlbumAsset.album_id, album_ids))
            reach.append(in_albums)
        statement = statement.where(or_(*reach))
        return str(await self.db.scalar(statement))

    async def album_markers(self, album_id: uuid.UUID) -> str:
        """Every positioned asset in the album, whatever its visibility (as Immich)."""
        statement = (
            _markers()
            .join(AlbumAsset, AlbumAsset.asset_id == Asset.id)
            .where(AlbumAsset.album_id == album_id)
        )
        return str(await self.db.scalar(statement))
