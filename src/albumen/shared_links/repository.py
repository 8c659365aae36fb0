"""Shared-link rows: the owner's list, one link with what it opens, and a link found by key or slug."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.models import Album, AlbumAsset, Asset, AssetExif, SharedLink, SharedLinkAsset, User

SLUG_CONSTRAINT = "uq_shared_link_slug"


class SlugTaken(Exception):
    """Another link already has this slug."""


def _live(statement: Any) -> Any:
    """An ALBUM link lives as long as its album; Immich hides links of trashed or deleted albums."""
    return statement.outerjoin(Album, Album.id == SharedLink.album_id).where(
        or_(SharedLink.type == "INDIVIDUAL", Album.id.is_not(None) & Album.deleted_at.is_(None))
    )


class SharedLinkRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # -- reading ------------------------------------------------------------------------------------

    async def credential(
        self, *, key: bytes | None = None, slug: str | None = None
    ) -> tuple[SharedLink, User] | None:
        """The link a key or slug opens, with its owner, when both are live (expiry is the caller's)."""
        statement = _live(select(SharedLink, User).join(User, User.id == SharedLink.user_id)).where(
            User.deleted_at.is_(None)
        )
        if key is not None:
            statement = statement.where(SharedLink.key == key)
        elif slug is not None:
            statement = statement.where(SharedLink.slug == slug)
        else:
            return None
        row = (await self.db.execute(statement)).first()
        return (row[0], row[1]) if row else None

    async def owned(
        self, user_id: uuid.UUID, *, link_id: uuid.UUID | None = None, album_id: uuid.UUID | None = None
    ) -> Sequence[SharedLink]:
        statement = _live(select(SharedLink)).where(SharedLink.user_id == user_id)
        if link_id is not None:
            statement = statement.where(SharedLink.id == link_id)
        if album_id is not None:
            statement = statement.where(SharedLink.album_id == album_id)
        return (await self.db.scalars(statement.order_by(SharedLink.created_at.desc()))).all()

    async def get_owned(self, user_id: uuid.UUID, link_id: uuid.UUID) -> SharedLink | None:
        found = await self.owned(user_id, link_id=link_id)
        return found[0] if found else None

    async def get(self, link_id: uuid.UUID) -> SharedLink | None:
        return await self.db.get(SharedLink, link_id)

    async def assets(
        self, link_ids: Sequence[uuid.UUID], *, per_link: int | None = None
    ) -> dict[uuid.UUID, list[tuple[Asset, AssetExif | None]]]:
        """The live assets of INDIVIDUAL links, oldest first; `per_link` keeps the first few of each."""
        found: dict[uuid.UUID, list[tuple[Asset, AssetExif | None]]] = {link_id: [] for link_id in link_ids}
        if not link_ids:
            return found
        position = (
            func.row_number()
            .over(partition_by=SharedLinkAsset.shared_link_id, order_by=(Asset.file_created_at, Asset.id))
            .label("position")
        )
        ranked = (
            select(SharedLinkAsset.shared_link_id, Asset.id.label("asset_id"), position)
            .join(Asset, Asset.id == SharedLinkAsset.asset_id)
            .where(SharedLinkAsset.shared_link_id.in_(link_ids), Asset.deleted_at.is_(None))
            .subquery()
        )
        statement = (
            select(ranked.c.shared_link_id, Asset, AssetExif)
            .join(Asset, Asset.id == ranked.c.asset_id)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .order_by(ranked.c.shared_link_id, ranked.c.position)
        )
        if per_link is not None:
            statement = statement.where(ranked.c.position <= per_link)
        for link_id, asset, exif in (await self.db.execute(statement)).all():
            found[link_id].append((asset, exif))
        return found

    async def albums(self, album_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Album]:
        wanted = set(album_ids)
        if not wanted:
            return {}
        statement = select(Album).where(Album.id.in_(wanted), Album.deleted_at.is_(None))
        return {album.id: album for album in (await self.db.scalars(statement)).all()}

    async def album_asset_count(self, album_id: uuid.UUID) -> int:
        statement = (
            select(func.count())
            .select_from(AlbumAsset)
            .join(Asset, Asset.id == AlbumAsset.asset_id)
            .where(AlbumAsset.album_id == album_id, Asset.deleted_at.is_(None))
        )
        return int(await self.db.scalar(statement) or 0)

    async def linked_asset_ids(self, link_id: uuid.UUID) -> set[uuid.UUID]:
        statement = select(SharedLinkAsset.asset_id).where(SharedLinkAsset.shared_link_id == link_id)
        return set((await self.db.scalars(statement)).all())

    # -- writing ------------------------------------------------------------------------------------

    async def create(self, link: SharedLink, asset_ids: Sequence[uuid.UUID]) -> SharedLink:
        try:
            async with self.db.begin_nested():
                self.db.add(link)
                await self.db.flush()
        except IntegrityError as error:
            if SLUG_CONSTRAINT in str(error.orig):
                raise SlugTaken from None
            raise
        await self.add_assets(link.id, asset_ids)
        return link

    async def update(self, link: SharedLink, changes: dict[str, Any]) -> SharedLink:
        try:
            async with self.db.begin_nested():
                for name, value in changes.items():
                    setattr(link, name, value)
                await self.db.flush()
        except IntegrityError as error:
            await self.db.refresh(link)
            if SLUG_CONSTRAINT in str(error.orig):
                raise SlugTaken from None
            raise
        return link

    async def delete(self, link_id: uuid.UUID) -> None:
        await self.db.execute(delete(SharedLink).where(SharedLink.id == link_id))

    async def add_assets(self, link_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> None:
        rows = [{"shared_link_id": link_id, "asset_id": asset_id} for asset_id in dict.fromkeys(asset_ids)]
        if rows:
            await self.db.execute(insert(SharedLinkAsset).values(rows).on_conflict_do_nothing())

    async def remove_assets(self, link_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        wanted = set(asset_ids)
        if not wanted:
            return set()
        statement = (
            delete(SharedLinkAsset)
            .where(SharedLinkAsset.shared_link_id == link_id, SharedLinkAsset.asset_id.in_(wanted))
            .returning(SharedLinkAsset.asset_id)
        )
        return set((await self.db.scalars(statement)).all())
