"""Album rows, their members and their assets, and the audit rows the sync stream replays.

Immich writes the audit rows with triggers; here each delete writes them in the same statement batch:
- an album deleted: one album_audit row per member (the album is gone for each of them);
- a member removed: album_audit (gone for that user) and album_user_audit (gone from the member list);
- an asset removed from an album that stays: album_asset_audit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from albumen.models import (
    Album,
    AlbumAsset,
    AlbumAssetAudit,
    AlbumAudit,
    AlbumUser,
    AlbumUserAudit,
    Asset,
    SharedLink,
    User,
)

OWNER = "owner"
# What an album counts and dates by: Immich's default visibility (hidden motion parts and locked
# assets stay out), trashed assets excluded.
COUNTED_VISIBILITY = ("timeline", "archive")


@dataclass(frozen=True, slots=True)
class AssetSummary:
    asset_count: int
    start_date: date | None
    end_date: date | None
    last_modified: datetime | None


@dataclass(frozen=True, slots=True)
class Member:
    role: str
    user: User


def _is_shared() -> ColumnElement[bool]:
    """Shared: someone besides the owner is a member, or a shared link opens the album."""
    other = aliased(AlbumUser)
    return or_(
        exists().where(other.album_id == Album.id, other.role != OWNER),
        exists().where(SharedLink.album_id == Album.id),
    )


def _live_album_assets() -> Any:
    """The album's assets that are not trashed, correlated to the enclosing album row."""
    return (
        select(AlbumAsset.asset_id)
        .join(Asset, and_(Asset.id == AlbumAsset.asset_id, Asset.deleted_at.is_(None)))
        .where(AlbumAsset.album_id == Album.id)
        .correlate(Album)
    )


class AlbumRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # -- reading albums -----------------------------------------------------------------------------

    async def get(self, album_id: uuid.UUID) -> Album | None:
        statement = select(Album).where(Album.id == album_id, Album.deleted_at.is_(None))
        return await self.db.scalar(statement.execution_options(populate_existing=True))

    async def list_for_member(
        self,
        user_id: uuid.UUID,
        *,
        is_owned: bool | None = None,
        is_shared: bool | None = None,
        album_id: uuid.UUID | None = None,
        name: str | None = None,
    ) -> Sequence[Album]:
        """The live albums the user belongs to, newest first, narrowed by the given filters."""
        statement = (
            select(Album)
            .join(AlbumUser, and_(AlbumUser.album_id == Album.id, AlbumUser.user_id == user_id))
            .where(Album.deleted_at.is_(None))
            .order_by(Album.created_at.desc())
        )
        if is_owned is not None:
            statement = statement.where(AlbumUser.role == OWNER if is_owned else AlbumUser.role != OWNER)
        if is_shared is not None:
            statement = statement.where(_is_shared() if is_shared else ~_is_shared())
        if album_id is not None:
            statement = statement.where(Album.id == album_id)
        if name:
            statement = statement.where(Album.album_name == name)
        result = await self.db.scalars(statement.execution_options(populate_existing=True))
        return result.all()

    async def list_with_asset(self, user_id: uuid.UUID, asset_id: uuid.UUID) -> Sequence[Album]:
        statement = (
            select(Album)
            .join(AlbumAsset, and_(AlbumAsset.album_id == Album.id, AlbumAsset.asset_id == asset_id))
            .join(AlbumUser, and_(AlbumUser.album_id == Album.id, AlbumUser.user_id == user_id))
            .where(Album.deleted_at.is_(None))
            .order_by(Album.created_at.desc())
        )
        result = await self.db.scalars(statement.execution_options(populate_existing=True))
        return result.all()

    async def members(self, album_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Member]]:
        found: dict[uuid.UUID, list[Member]] = {album_id: [] for album_id in album_ids}
        if album_ids:
            statement = (
                select(AlbumUser.album_id, AlbumUser.role, User)
                .join(User, User.id == AlbumUser.user_id)
                .where(AlbumUser.album_id.in_(album_ids))
            )
            for album_id, role, user in (await self.db.execute(statement)).all():
                found[album_id].append(Member(role=role, user=user))
        return found

    async def with_shared_links(self, album_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not album_ids:
            return set()
        statement = select(SharedLink.album_id).where(SharedLink.album_id.in_(album_ids)).distinct()
        return {album_id for album_id in (await self.db.scalars(statement)).all() if album_id is not None}

    async def asset_summaries(self, album_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AssetSummary]:
        """Count and date range per album; the dates are days of the assets' local time, like Immich."""
        if not album_ids:
            return {}
        day = cast(func.timezone("UTC", Asset.local_date_time), Date)
        statement = (
            select(
                AlbumAsset.album_id,
                func.count(Asset.id),
                func.min(day),
                func.max(day),
                func.max(Asset.updated_at),
            )
            .join(Asset, Asset.id == AlbumAsset.asset_id)
            .where(
                AlbumAsset.album_id.in_(album_ids),
                Asset.deleted_at.is_(None),
                Asset.visibility.in_(COUNTED_VISIBILITY),
            )
            .group_by(AlbumAsset.album_id)
        )
        return {
            album_id: AssetSummary(count, start, end, modified)
            for album_id, count, start, end, modified in (await self.db.execute(statement)).all()
        }

    async def contributor_counts(self, album_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        """Untrashed assets per owner, most first."""
        count = func.count()
        statement = (
            select(Asset.owner_id, count)
            .join(AlbumAsset, AlbumAsset.asset_id == Asset.id)
            .where(AlbumAsset.album_id == album_id, Asset.deleted_at.is_(None))
            .group_by(Asset.owner_id)
            .order_by(count.desc(), Asset.owner_id)
        )
        return [(owner_id, total) for owner_id, total in (await self.db.execute(statement)).all()]

    async def statistics(self, user_id: uuid.UUID) -> tuple[int, int, int]:
        """(owned, shared, owned and not shared) among the user's live albums, in one pass."""
        shared = _is_shared()
        owned = AlbumUser.role == OWNER
        statement = (
            select(
                func.count().filter(owned),
                func.count().filter(shared),
                func.count().filter(and_(owned, ~shared)),
            )
            .select_from(Album)
            .join(AlbumUser, and_(AlbumUser.album_id == Album.id, AlbumUser.user_id == user_id))
            .where(Album.deleted_at.is_(None))
        )
        row = (await self.db.execute(statement)).one()
        return int(row[0]), int(row[1]), int(row[2])

    # -- writing albums -----------------------------------------------------------------------------

    async def create(
        self,
        *,
        members: Sequence[tuple[uuid.UUID, str]],
        asset_ids: Sequence[uuid.UUID],
        **values: Any,
    ) -> Album:
        """The album, its members (the owner among them) and its first assets, in one flush."""
        album = Album(**values)
        self.db.add(album)
        await self.db.flush()
        self.db.add_all(AlbumUser(album_id=album.id, user_id=user_id, role=role) for user_id, role in members)
        await self.db.flush()
        await self.add_assets((album.id, asset_id) for asset_id in asset_ids)
        await self.db.refresh(album)
        return album

    async def update(self, album_id: uuid.UUID, **values: Any) -> Album:
        """Always writes, so updatedAt and the sync update id move even when nothing else changes."""
        changes = {name: value for name, value in values.items() if value is not None}
        await self.db.execute(
            update(Album).where(Album.id == album_id).values(updated_at=func.now(), **changes)
        )
        album = await self.db.get(Album, album_id, populate_existing=True)
        assert album is not None
        return album

    async def delete(self, album_id: uuid.UUID) -> None:
        """Gone for every member; its member and asset rows go with it (no per-row audit, as Immich)."""
        # Values rather than INSERT … SELECT: the audit id is a per-row uuid7 made here, not in SQL.
        user_ids = (
            await self.db.scalars(select(AlbumUser.user_id).where(AlbumUser.album_id == album_id))
        ).all()
        if user_ids:
            await self.db.execute(
                insert(AlbumAudit).values(
                    [{"album_id": album_id, "user_id": user_id} for user_id in user_ids]
                )
            )
        await self.db.execute(delete(Album).where(Album.id == album_id))

    async def refresh_thumbnails(
        self, *, album_ids: Sequence[uuid.UUID] | None = None, member_id: uuid.UUID | None = None
    ) -> None:
        """Give a thumbnail to albums that have assets but none, drop one that left the album or the
        trash took; the newest asset by file date is chosen. Limited to the given albums or member."""
        live = _live_album_assets()
        newest = live.order_by(Asset.file_created_at.desc()).limit(1).scalar_subquery()
        statement = (
            update(Album)
            .where(
                Album.deleted_at.is_(None),
                or_(
                    and_(Album.album_thumbnail_asset_id.is_(None), exists(live)),
                    and_(
                        Album.album_thumbnail_asset_id.is_not(None),
                        ~exists(live.where(AlbumAsset.asset_id == Album.album_thumbnail_asset_id)),
                    ),
                ),
            )
            .values(album_thumbnail_asset_id=newest)
        )
        if album_ids is not None:
            statement = statement.where(Album.id.in_(album_ids))
        if member_id is not None:
            statement = statement.where(
                Album.id.in_(select(AlbumUser.album_id).where(AlbumUser.user_id == member_id))
            )
        await self.db.execute(statement.execution_options(synchronize_session=False))

    # -- album assets -------------------------------------------------------------------------------

    async def asset_ids_in(self, album_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        wanted = set(asset_ids)
        if not wanted:
            return set()
        statement = select(AlbumAsset.asset_id).where(
            AlbumAsset.album_id == album_id, AlbumAsset.asset_id.in_(wanted)
        )
        return set((await self.db.scalars(statement)).all())

    async def add_assets(self, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
        """(album id, asset id) pairs; a pair already there (a concurrent add) is left alone."""
        rows = [{"album_id": album_id, "asset_id": asset_id} for album_id, asset_id in pairs]
        if rows:
            await self.db.execute(pg_insert(AlbumAsset).values(rows).on_conflict_do_nothing())

    async def remove_assets(self, album_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> None:
        if not asset_ids:
            return
        removed = (
            await self.db.scalars(
                delete(AlbumAsset)
                .where(AlbumAsset.album_id == album_id, AlbumAsset.asset_id.in_(asset_ids))
                .returning(AlbumAsset.asset_id)
            )
        ).all()
        if removed:
            await self.db.execute(
                insert(AlbumAssetAudit).values(
                    [{"album_id": album_id, "asset_id": asset_id} for asset_id in removed]
                )
            )

    # -- members ------------------------------------------------------------------------------------

    async def add_member(self, album_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
        self.db.add(AlbumUser(album_id=album_id, user_id=user_id, role=role))
        await self.db.flush()
        if role != "owner":
            # A new member's phone learns of the album from its changed update id (the sync stream).
            await self.db.execute(
                update(Album)
                .where(Album.id == album_id)
                .values(updated_at=func.now())
                .execution_options(synchronize_session=False)
            )

    async def set_member_role(self, album_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
        await self.db.execute(
            update(AlbumUser)
            .where(AlbumUser.album_id == album_id, AlbumUser.user_id == user_id)
            .values(role=role)
            .execution_options(synchronize_session=False)
        )

    async def remove_member(self, album_id: uuid.UUID, user_id: uuid.UUID) -> None:
        removed = (
            await self.db.scalars(
                delete(AlbumUser)
                .where(AlbumUser.album_id == album_id, AlbumUser.user_id == user_id)
                .returning(AlbumUser.user_id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if removed:
            await self.db.execute(insert(AlbumAudit).values(album_id=album_id, user_id=user_id))
            await self.db.execute(insert(AlbumUserAudit).values(album_id=album_id, user_id=user_id))
