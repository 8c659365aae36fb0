"""Download queries: asset sizes for splitting into archives, and where each original is stored."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Select, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from albumen.downloads.schemas import SizedAsset, StoredOriginal
from albumen.kit.db import among
from albumen.models import AlbumAsset, Asset, AssetExif, AssetFile

# asset id, size, motion part id, its size, its path (motion columns are NULL without one)
_Sized = Select[uuid.UUID, int, uuid.UUID, int, str]
# Rows fetched per round trip when a whole library is streamed out of the database.
_BATCH = 2000


def _sized() -> _Sized:
    """Live assets with their size and their motion part's; a missing EXIF row counts as 0 bytes."""
    motion = aliased(Asset)
    motion_exif = aliased(AssetExif)
    return (
        select(
            Asset.id,
            func.coalesce(AssetExif.file_size_in_byte, 0),
            motion.id,
            func.coalesce(motion_exif.file_size_in_byte, 0),
            motion.original_path,
        )
        .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
        .outerjoin(motion, (motion.id == Asset.live_photo_video_id) & motion.deleted_at.is_(None))
        .outerjoin(motion_exif, motion_exif.asset_id == motion.id)
        .where(Asset.deleted_at.is_(None))
    )


def _sized_asset(row: Any) -> SizedAsset:
    asset_id, size, motion_id, motion_size, motion_path = row
    return SizedAsset(asset_id, int(size), motion_id, int(motion_size), motion_path)


class DownloadRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def sized_assets(self, ids: Sequence[uuid.UUID]) -> list[SizedAsset]:
        """The listed assets that are not trashed, in the order asked for."""
        if not ids:
            return []
        rows = (await self.db.execute(_sized().where(among(Asset.id, ids)))).all()
        found = {asset.id: asset for asset in map(_sized_asset, rows)}
        return [found[asset_id] for asset_id in ids if asset_id in found]

    async def album_sized_assets(self, album_id: uuid.UUID) -> AsyncIterator[SizedAsset]:
        statement = (
            _sized()
            .join(AlbumAsset, AlbumAsset.asset_id == Asset.id)
            .where(AlbumAsset.album_id == album_id)
            .order_by(Asset.file_created_at, Asset.id)
        )
        async for asset in self._stream(statement):
            yield asset

    async def owner_sized_assets(
        self, owner_id: uuid.UUID, *, with_locked: bool
    ) -> AsyncIterator[SizedAsset]:
        """A whole library; hidden assets (motion parts) come with their still instead."""
        statement = _sized().where(Asset.owner_id == owner_id, Asset.visibility != "hidden")
        if not with_locked:
            statement = statement.where(Asset.visibility != "locked")
        async for asset in self._stream(statement.order_by(Asset.file_created_at, Asset.id)):
            yield asset

    async def _stream(self, statement: _Sized) -> AsyncIterator[SizedAsset]:
        # A server-side cursor: a million-asset library is never held as rows in memory at once.
        result = await self.db.stream(statement.execution_options(yield_per=_BATCH))
        async for row in result:
            yield _sized_asset(row)

    async def originals(self, ids: Sequence[uuid.UUID], *, edited: bool) -> list[StoredOriginal]:
        """File name, storage path and date of each listed asset (trashed ones too, as Immich does)."""
        if not ids:
            return []
        edited_file = aliased(AssetFile)
        statement = select(
            Asset.id,
            Asset.original_file_name,
            Asset.original_path,
            edited_file.path if edited else null(),
            Asset.file_modified_at,
        ).where(among(Asset.id, ids))
        if edited:
            # The edited image: the full-size rendition marked as edited.
            statement = statement.outerjoin(
                edited_file,
                (edited_file.asset_id == Asset.id)
                & edited_file.is_edited.is_(True)
                & (edited_file.type == "fullsize"),
            )
        rows = (await self.db.execute(statement)).all()
        return [StoredOriginal(*row) for row in rows]
