"""Asset queries. Each is scoped to the owner it is asked for, or to ids access/ already checked."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, UUID, all_, case, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from albumen.kit.db import among
from albumen.kit.ids import uuid7
from albumen.models import (
    Album,
    AlbumAsset,
    AlbumAssetAudit,
    Asset,
    AssetAudit,
    AssetExif,
    AssetFile,
    AssetMetadata,
    AssetMetadataAudit,
    MemoryAsset,
    MemoryAssetAudit,
    MoveHistory,
    SharedLinkAsset,
    User,
)
from albumen.models.asset import ASSET_CHECKSUM_CONSTRAINT

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


@dataclass(frozen=True, slots=True)
class ExistingUpload:
    id: uuid.UUID
    is_trashed: bool


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file some asset owns, by storage kind of its asset_file type (or "originals")."""

    asset_file_type: str
    key: str


class DuplicateAsset(Exception):
    pass


class AssetRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- reads -------------------------------------------------------------------------------

    async def get(self, asset_id: uuid.UUID) -> Asset | None:
        return await self.db.get(Asset, asset_id)

    async def get_many(self, ids: Iterable[uuid.UUID]) -> Sequence[Asset]:
        return (await self.db.scalars(select(Asset).where(among(Asset.id, list(ids))))).all()

    async def exif(self, asset_id: uuid.UUID) -> AssetExif | None:
        return await self.db.get(AssetExif, asset_id)

    async def files(self, asset_id: uuid.UUID) -> Sequence[AssetFile]:
        return (await self.db.scalars(select(AssetFile).where(AssetFile.asset_id == asset_id))).all()

    async def file(self, asset_id: uuid.UUID, file_type: str, *, edited: bool = False) -> AssetFile | None:
        statement = select(AssetFile).where(
            AssetFile.asset_id == asset_id, AssetFile.type == file_type, AssetFile.is_edited.is_(edited)
        )
        return await self.db.scalar(statement)

    async def uploads_by_checksum(
        self, owner_id: uuid.UUID, checksums: Sequence[bytes]
    ) -> dict[bytes, ExistingUpload]:
        """One query for a whole batch (the CLI sends 5,000 at a time); trashed assets count."""
        if not checksums:
            return {}
        statement = select(Asset.checksum, Asset.id, Asset.deleted_at.is_not(None)).where(
            Asset.owner_id == owner_id, Asset.library_id.is_(None), among(Asset.checksum, set(checksums))
        )
        rows = (await self.db.execute(statement)).all()
        return {checksum: ExistingUpload(asset_id, trashed) for checksum, asset_id, trashed in rows}

    async def random(self, owner_ids: Sequence[uuid.UUID], count: int) -> Sequence[Asset]:
        statement = (
            select(Asset)
            .where(
                among(Asset.owner_id, owner_ids), Asset.deleted_at.is_(None), Asset.visibility == "timeline"
            )
            .order_by(func.random())
            .limit(count)
        )
        return (await self.db.scalars(statement)).all()

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
        # As Immich: trashed assets count only when asked for, and without a visibility only what the
        # timeline and the archive show (hidden motion parts and the locked folder never count).
        statement = statement.where(
            Asset.deleted_at.is_not(None) if is_trashed else Asset.deleted_at.is_(None)
        )
        if visibility is not None:
            statement = statement.where(Asset.visibility == visibility)
        else:
            statement = statement.where(Asset.visibility.in_(("timeline", "archive")))
        images, videos = (await self.db.execute(statement)).one()
        return AssetCounts(images=images, videos=videos)

    async def first_album(self, asset_id: uuid.UUID) -> tuple[str, datetime | None, datetime | None] | None:
        """The first album (by when the asset was added) holding the asset, with its assets' date span."""
        first = (
            await self.db.execute(
                select(Album.id, Album.album_name)
                .join(AlbumAsset, AlbumAsset.album_id == Album.id)
                .where(AlbumAsset.asset_id == asset_id, Album.deleted_at.is_(None))
                .order_by(AlbumAsset.created_at)
                .limit(1)
            )
        ).first()
        if first is None:
            return None
        start, end = (
            await self.db.execute(
                select(func.min(Asset.local_date_time), func.max(Asset.local_date_time))
                .join(AlbumAsset, AlbumAsset.asset_id == Asset.id)
                .where(AlbumAsset.album_id == first[0], Asset.deleted_at.is_(None))
            )
        ).one()
        return first[1], start, end

    async def copy_memberships(
        self, source_id: uuid.UUID, target_id: uuid.UUID, *, albums: bool, links: bool
    ) -> None:
        """The target joins every album and shared link the source is in (where it is not already)."""
        if albums:
            await self.db.execute(
                insert(AlbumAsset)
                .from_select(
                    ["album_id", "asset_id"],
                    select(AlbumAsset.album_id, literal(target_id)).where(AlbumAsset.asset_id == source_id),
                )
                .on_conflict_do_nothing()
            )
        if links:
            await self.db.execute(
                insert(SharedLinkAsset)
                .from_select(
                    ["shared_link_id", "asset_id"],
                    select(SharedLinkAsset.shared_link_id, literal(target_id)).where(
                        SharedLinkAsset.asset_id == source_id
                    ),
                )
                .on_conflict_do_nothing()
            )

    async def pair_live_photo(self, asset_id: uuid.UUID, content_id: str) -> Asset | None:
        """Links a still and a video of one owner that share a live-photo content identifier (whichever
        of the two arrives second finds the first); the video is hidden, as Immich does, and returned."""
        asset = await self.get(asset_id)
        if asset is None:
            return None
        wanted = "VIDEO" if asset.type == "IMAGE" else "IMAGE"
        partner = await self.db.scalar(
            select(Asset)
            .join(AssetExif, AssetExif.asset_id == Asset.id)
            .where(
                Asset.owner_id == asset.owner_id,
                Asset.type == wanted,
                Asset.id != asset.id,
                Asset.deleted_at.is_(None),
                AssetExif.live_photo_cid == content_id,
            )
            .limit(1)
        )
        if partner is None:
            return None
        still, video = (asset, partner) if asset.type == "IMAGE" else (partner, asset)
        await self.update([still.id], live_photo_video_id=video.id)
        await self.update([video.id], visibility="hidden")
        return video

    async def fill_dimensions(self, asset_id: uuid.UUID, width: int, height: int) -> None:
        """Metadata's dimensions win; the decoder's fill in when the file declared none."""
        await self.db.execute(
            update(Asset)
            .where(Asset.id == asset_id, Asset.width.is_(None))
            .values(width=width, height=height)
        )

    async def needing(
        self, work: str, *, force: bool, after: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]:
        """A page (by id) of live assets a 'queue all' job should visit: every one when forced, else those
        still missing the work's result — "metadata" (no date read), "thumbnails" (no thumbhash), or
        "transcode" (videos without an encoded file)."""
        statement = select(Asset.id).where(Asset.deleted_at.is_(None))
        if work == "transcode":
            statement = statement.where(Asset.type == "VIDEO")
        if not force:
            if work == "metadata":
                statement = statement.outerjoin(AssetExif, AssetExif.asset_id == Asset.id).where(
                    AssetExif.date_time_original.is_(None)
                )
            elif work == "thumbnails":
                statement = statement.where(Asset.thumbhash.is_(None))
            else:
                encoded = select(AssetFile.id).where(
                    AssetFile.asset_id == Asset.id, AssetFile.type == "encoded_video"
                )
                statement = statement.where(~encoded.exists())
        if after is not None:
            statement = statement.where(Asset.id > after)
        return list((await self.db.scalars(statement.order_by(Asset.id).limit(limit))).all())

    async def storage_label(self, user_id: uuid.UUID) -> str | None:
        label: str | None = await self.db.scalar(select(User.storage_label).where(User.id == user_id))
        return label

    async def template_candidates(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        """Uploaded (not external-library) assets, in id order, for the bulk migration to page through."""
        statement = select(Asset.id).where(Asset.library_id.is_(None), Asset.is_external.is_(False))
        if after is not None:
            statement = statement.where(Asset.id > after)
        return list((await self.db.scalars(statement.order_by(Asset.id).limit(limit))).all())

    async def count_uploaded(self) -> int:
        """How many assets `template_candidates` pages through (for a progress bar)."""
        statement = select(func.count(Asset.id)).where(Asset.library_id.is_(None))
        return int(await self.db.scalar(statement) or 0)

    # --- storage template moves in progress -------------------------------------------------

    def record_move(self, asset_id: uuid.UUID, path_type: str, old_path: str, new_path: str) -> None:
        self.db.add(
            MoveHistory(entity_id=asset_id, path_type=path_type, old_path=old_path, new_path=new_path)
        )

    async def pending_moves(self) -> list[MoveHistory]:
        return list((await self.db.scalars(select(MoveHistory).order_by(MoveHistory.entity_id))).all())

    async def forget_moves(self, asset_id: uuid.UUID) -> None:
        await self.db.execute(delete(MoveHistory).where(MoveHistory.entity_id == asset_id))

    async def original_totals(self) -> tuple[int, int]:
        """Assets and bytes of originals (trash included: its files are still stored)."""
        statement = select(
            func.count(Asset.id), func.coalesce(func.sum(AssetExif.file_size_in_byte), 0)
        ).outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
        count, total = (await self.db.execute(statement)).one()
        return int(count), int(total or 0)

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

    # --- writes ------------------------------------------------------------------------------

    async def create_upload(self, asset: Asset, file_size: int) -> Asset:
        """Inserts the asset and its first EXIF row. Raises DuplicateAsset when the owner already
        has this checksum (a concurrent upload of the same file won the race)."""
        try:
            async with self.db.begin_nested():
                self.db.add(asset)
                await self.db.flush()
        except IntegrityError as error:
            if ASSET_CHECKSUM_CONSTRAINT in str(error.orig):
                raise DuplicateAsset from None
            raise
        self.db.add(AssetExif(asset_id=asset.id, file_size_in_byte=file_size))
        return asset

    async def add_file(self, asset_id: uuid.UUID, file_type: str, key: str) -> None:
        statement = insert(AssetFile).values(asset_id=asset_id, type=file_type, path=key, is_edited=False)
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=[AssetFile.asset_id, AssetFile.type, AssetFile.is_edited], set_={"path": key}
            )
        )

    async def remove_file(self, asset_id: uuid.UUID, file_type: str) -> None:
        await self.db.execute(
            delete(AssetFile).where(AssetFile.asset_id == asset_id, AssetFile.type == file_type)
        )

    async def add_usage(self, user_id: uuid.UUID, delta: int) -> None:
        if delta:
            await self.db.execute(
                update(User)
                .where(User.id == user_id)
                .values(quota_usage_in_bytes=func.greatest(User.quota_usage_in_bytes + delta, 0))
            )

    async def update(self, ids: Sequence[uuid.UUID], **values: Any) -> None:
        if ids and values:
            await self.db.execute(update(Asset).where(among(Asset.id, ids)).values(**values))

    async def update_exif(
        self, ids: Sequence[uuid.UUID], values: dict[str, Any], locked: Sequence[str]
    ) -> None:
        """Hand edits win over later metadata extraction: their columns are recorded as locked."""
        rows = await self.db.scalars(select(AssetExif).where(among(AssetExif.asset_id, ids)))
        existing = {row.asset_id: row for row in rows.all()}
        for asset_id in ids:
            row = existing.get(asset_id)
            if row is None:
                row = AssetExif(asset_id=asset_id)
                self.db.add(row)
            for column, value in values.items():
                setattr(row, column, value)
            row.locked_properties = sorted(set(row.locked_properties or ()) | set(locked))
        await self.db.flush()

    async def trash(self, ids: Sequence[uuid.UUID], now: datetime) -> None:
        await self.update(ids, deleted_at=now, status="trashed")

    async def restore(self, ids: Sequence[uuid.UUID]) -> None:
        await self.update(ids, deleted_at=None, status="active")

    async def trashed_ids(self, owner_id: uuid.UUID, before: datetime | None = None) -> list[uuid.UUID]:
        statement = select(Asset.id).where(Asset.owner_id == owner_id, Asset.status == "trashed")
        if before is not None:
            statement = statement.where(Asset.deleted_at < before)
        return list((await self.db.scalars(statement)).all())

    async def expired_trash(self, before: datetime, limit: int) -> list[uuid.UUID]:
        statement = (
            select(Asset.id)
            .where(Asset.status == "trashed", Asset.deleted_at < before)
            .order_by(Asset.deleted_at)
            .limit(limit)
        )
        return list((await self.db.scalars(statement)).all())

    async def stored_files(self, ids: Sequence[uuid.UUID]) -> list[StoredFile]:
        originals = select(Asset.original_path).where(among(Asset.id, ids), Asset.is_external.is_(False))
        found = [StoredFile("original", key) for key in (await self.db.scalars(originals)).all()]
        derived = select(AssetFile.type, AssetFile.path).where(among(AssetFile.asset_id, ids))
        found += [StoredFile(kind, key) for kind, key in (await self.db.execute(derived)).all()]
        return found

    async def motion_parts(self, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """The motion parts of the stills `ids` that no other still (trashed or not) links to."""
        other = aliased(Asset)
        shared = (
            select(other.id)
            .where(
                other.live_photo_video_id == Asset.live_photo_video_id,
                other.id != all_(literal(list(dict.fromkeys(ids)), ARRAY(UUID(as_uuid=True)))),
            )
            .exists()
        )
        statement = select(Asset.live_photo_video_id).where(
            among(Asset.id, ids), Asset.live_photo_video_id.is_not(None), ~shared
        )
        return [motion for motion in (await self.db.scalars(statement)).all() if motion is not None]

    async def delete_for_good(self, ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, int]]:
        """Removes the rows (files follow once this commits), records them for the sync stream, and
        returns (owner, bytes) to take off each owner's quota usage."""
        if not ids:
            return []
        sizes = (
            select(Asset.owner_id, func.coalesce(func.sum(AssetExif.file_size_in_byte), 0))
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(among(Asset.id, ids), Asset.library_id.is_(None))
            .group_by(Asset.owner_id)
        )
        freed = [(owner, int(total or 0)) for owner, total in (await self.db.execute(sizes)).all()]
        # Cleared here rather than by the foreign key's SET NULL, which would leave update_id as it was
        # and the phones with a thumbnail that no longer exists.
        await self.db.execute(
            update(Album)
            .where(among(Album.album_thumbnail_asset_id, ids))
            .values(album_thumbnail_asset_id=None)
        )
        # A still whose motion part goes away stays a plain photo.
        await self.db.execute(
            update(Asset).where(among(Asset.live_photo_video_id, ids)).values(live_photo_video_id=None)
        )
        # Albums that keep existing lose these assets: the sync stream replays that from album_asset_audit.
        # Values rather than INSERT … SELECT: a Python-side default (the uuid7 audit id) is evaluated
        # once per statement there, so two rows would collide on it.
        memberships = (
            await self.db.execute(
                select(AlbumAsset.album_id, AlbumAsset.asset_id)
                .join(Album, (Album.id == AlbumAsset.album_id) & Album.deleted_at.is_(None))
                .where(among(AlbumAsset.asset_id, ids))
            )
        ).all()
        if memberships:
            await self.db.execute(
                insert(AlbumAssetAudit),
                [{"album_id": album_id, "asset_id": asset_id} for album_id, asset_id in memberships],
            )
        # Likewise for memories that keep existing.
        in_memories = (
            await self.db.execute(
                select(MemoryAsset.memory_id, MemoryAsset.asset_id).where(among(MemoryAsset.asset_id, ids))
            )
        ).all()
        if in_memories:
            await self.db.execute(
                insert(MemoryAssetAudit),
                [{"memory_id": memory_id, "asset_id": asset_id} for memory_id, asset_id in in_memories],
            )
        rows = (
            await self.db.execute(
                delete(Asset).where(among(Asset.id, ids)).returning(Asset.id, Asset.owner_id)
            )
        ).all()
        if rows:
            await self.db.execute(
                insert(AssetAudit),
                [{"asset_id": asset_id, "owner_id": owner_id} for asset_id, owner_id in rows],
            )
        return freed

    # --- metadata (key/value) ----------------------------------------------------------------

    async def metadata(self, asset_id: uuid.UUID, key: str | None = None) -> Sequence[AssetMetadata]:
        statement = (
            select(AssetMetadata).where(AssetMetadata.asset_id == asset_id).order_by(AssetMetadata.key)
        )
        if key is not None:
            statement = statement.where(AssetMetadata.key == key)
        return (await self.db.scalars(statement)).all()

    async def upsert_metadata(self, asset_id: uuid.UUID, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        for key, value in items:
            statement = insert(AssetMetadata).values(asset_id=asset_id, key=key, value=value)
            await self.db.execute(
                statement.on_conflict_do_update(
                    index_elements=[AssetMetadata.asset_id, AssetMetadata.key],
                    set_={"value": value, "updated_at": func.now(), "update_id": uuid7()},
                )
            )

    async def delete_metadata(self, pairs: Sequence[tuple[uuid.UUID, str]]) -> None:
        for asset_id, key in pairs:
            result = await self.db.execute(
                delete(AssetMetadata)
                .where(AssetMetadata.asset_id == asset_id, AssetMetadata.key == key)
                .returning(AssetMetadata.key)
            )
            if result.first() is not None:
                self.db.add(AssetMetadataAudit(asset_id=asset_id, key=key))
