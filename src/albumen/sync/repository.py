"""SQL of the sync stream: for each entity type the deletions (audit rows) and upserts a user may see,
as keyset-ordered statements whose first column is the id the client acknowledges; plus checkpoints.

Every statement selects its data columns already labelled with the client's (camelCase) names and
binary columns already in base64; PostgreSQL then writes the JSON lines themselves (`lines`).
"""

from __future__ import annotations

import asyncio
import contextlib
import typing
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    case,
    cast,
    delete,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from albumen.kit.ids import uuid7
from albumen.kit.time import utcnow
from albumen.models import (
    Album,
    AlbumAsset,
    AlbumAssetAudit,
    AlbumAudit,
    AlbumUser,
    AlbumUserAudit,
    Asset,
    AssetAudit,
    AssetEdit,
    AssetEditAudit,
    AssetExif,
    AssetFace,
    AssetFaceAudit,
    AssetMetadata,
    AssetMetadataAudit,
    AssetOcr,
    AssetOcrAudit,
    Memory,
    MemoryAsset,
    MemoryAssetAudit,
    MemoryAudit,
    Partner,
    PartnerAudit,
    Person,
    PersonAudit,
    Session,
    SessionSyncCheckpoint,
    Stack,
    StackAudit,
    User,
    UserAudit,
    UserMetadata,
    UserMetadataAudit,
)

# Rows fetched per round trip from the server-side cursor: memory stays flat however many rows match.
# COPY chunks buffered between PostgreSQL and the response: enough to keep both busy, memory flat.
COPY_QUEUE_CHUNKS = 8
ACK_ID = "ackId"

AUDIT_TABLES = (
    AlbumAudit,
    AlbumUserAudit,
    AlbumAssetAudit,
    AssetAudit,
    AssetFaceAudit,
    AssetMetadataAudit,
    AssetEditAudit,
    AssetOcrAudit,
    MemoryAudit,
    MemoryAssetAudit,
    PartnerAudit,
    PersonAudit,
    StackAudit,
    UserAudit,
    UserMetadataAudit,
)

# A statement the service hands back to this repository to stream (built by the functions below).
Statement = Select[Any]


def _base64(column: Any) -> ColumnElement[Any]:
    # PostgreSQL wraps base64 at 76 characters; checksums and thumbhashes are shorter, but be safe.
    return func.translate(func.encode(column, "base64"), "\n", "")


def _labelled(pairs: dict[str, Any]) -> list[ColumnElement[Any]]:
    return [column.label(name) for name, column in pairs.items()]


def _asset_columns(is_favorite: ColumnElement[Any] | InstrumentedAttribute[Any]) -> list[ColumnElement[Any]]:
    return _labelled(
        {
            "id": Asset.id,
            "ownerId": Asset.owner_id,
            "originalFileName": Asset.original_file_name,
            "thumbhash": _base64(Asset.thumbhash),
            "checksum": _base64(Asset.checksum),
            "fileCreatedAt": Asset.file_created_at,
            "fileModifiedAt": Asset.file_modified_at,
            "createdAt": Asset.created_at,
            "localDateTime": Asset.local_date_time,
            "type": Asset.type,
            "deletedAt": Asset.deleted_at,
            "isFavorite": is_favorite,
            "visibility": Asset.visibility,
            "duration": Asset.duration,
            "livePhotoVideoId": Asset.live_photo_video_id,
            "stackId": Asset.stack_id,
            "libraryId": Asset.library_id,
            "width": Asset.width,
            "height": Asset.height,
            "isEdited": Asset.is_edited,
        }
    )


EXIF_COLUMNS = _labelled(
    {
        "assetId": AssetExif.asset_id,
        "description": AssetExif.description,
        "exifImageWidth": AssetExif.exif_image_width,
        "exifImageHeight": AssetExif.exif_image_height,
        "fileSizeInByte": AssetExif.file_size_in_byte,
        "orientation": AssetExif.orientation,
        "dateTimeOriginal": AssetExif.date_time_original,
        "modifyDate": AssetExif.modify_date,
        "timeZone": AssetExif.time_zone,
        "latitude": AssetExif.latitude,
        "longitude": AssetExif.longitude,
        "projectionType": AssetExif.projection_type,
        "city": AssetExif.city,
        "state": AssetExif.state,
        "country": AssetExif.country,
        "make": AssetExif.make,
        "model": AssetExif.model,
        "lensModel": AssetExif.lens_model,
        "fNumber": AssetExif.f_number,
        "focalLength": AssetExif.focal_length,
        "iso": AssetExif.iso,
        "exposureTime": AssetExif.exposure_time,
        "profileDescription": AssetExif.profile_description,
        "rating": AssetExif.rating,
        "fps": AssetExif.fps,
    }
)

USER_COLUMNS = _labelled(
    {
        "id": User.id,
        "name": User.name,
        "email": User.email,
        "avatarColor": User.avatar_color,
        "deletedAt": User.deleted_at,
        "hasProfileImage": User.profile_image_path != "",
        "profileChangedAt": User.profile_changed_at,
    }
)

ALBUM_COLUMNS = _labelled(
    {
        "id": Album.id,
        "name": Album.album_name,
        "description": Album.description,
        "createdAt": Album.created_at,
        "updatedAt": Album.updated_at,
        "thumbnailAssetId": Album.album_thumbnail_asset_id,
        "isActivityEnabled": Album.is_activity_enabled,
        "order": Album.order,
    }
)

ALBUM_USER_COLUMNS = _labelled(
    {"albumId": AlbumUser.album_id, "userId": AlbumUser.user_id, "role": AlbumUser.role}
)
ALBUM_TO_ASSET_COLUMNS = _labelled({"albumId": AlbumAsset.album_id, "assetId": AlbumAsset.asset_id})
STACK_COLUMNS = _labelled(
    {
        "id": Stack.id,
        "createdAt": Stack.created_at,
        "updatedAt": Stack.updated_at,
        "primaryAssetId": Stack.primary_asset_id,
        "ownerId": Stack.owner_id,
    }
)


def _upserts(
    update_id: Any, columns: Sequence[ColumnElement[Any]], now: uuid.UUID, after: uuid.UUID | None
) -> Select[Any]:
    """Rows changed after the client's checkpoint and before the stream's start, oldest first."""
    statement = select(update_id.label(ACK_ID), *columns).where(update_id < now)
    if after is not None:
        statement = statement.where(update_id > after)
    return statement.order_by(update_id)


def _backfill(
    update_id: Any,
    columns: Sequence[ColumnElement[Any]],
    now: uuid.UUID,
    after: uuid.UUID | None,
    until: uuid.UUID,
) -> Select[Any]:
    """Rows the client missed because it could not see them yet: up to its upsert checkpoint."""
    statement = _upserts(update_id, columns, now, after)
    return statement.where(update_id <= until)


class SyncRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def use_utc(self) -> None:
        """Timestamps in the JSON PostgreSQL writes come out in UTC (`…+00:00`) whatever the server's zone."""
        await self.db.execute(text("SET LOCAL TIME ZONE 'UTC'"))

    async def lines(
        self, statement: Select[Any], entity: str, create_id: uuid.UUID | None = None
    ) -> AsyncIterator[bytes]:
        """The statement's rows as finished JSON lines, streamed out of PostgreSQL by COPY. PostgreSQL
        writes each whole line (`row_to_json` of the data columns) and sends them without waiting for
        a fetch per page, so Python only passes bytes on: no per-row objects, flat memory (at most
        a few chunks queued) however many rows match."""
        rows = statement.subquery("s")
        data = select(*[column for column in rows.c if column.name != ACK_ID]).correlate(rows).lateral("d")
        backfill = f"{create_id}|" if create_id is not None else ""
        line = func.concat(
            f'{{"type":"{entity}","data":',
            func.row_to_json(literal_column("d")),
            f',"ack":"{entity}|{backfill}',
            rows.c[ACK_ID],
            '"}',
        )
        query = select(line).select_from(rows).join(data, true()).order_by(rows.c[ACK_ID])
        connection = await self.db.connection()
        compiled = query.compile(dialect=connection.dialect)
        values = compiled.construct_params()
        # What execute() would apply to each value before handing it to asyncpg.
        processors = typing.cast(Mapping[str, Callable[[Any], Any]], compiled._bind_processors)
        names = compiled.positiontup or []
        args = [processors[name](values[name]) if name in processors else values[name] for name in names]
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=COPY_QUEUE_CHUNKS)

        async def send() -> None:
            # CSV with separator and quote characters that JSON always escapes: lines come out verbatim.
            await raw.copy_from_query(
                str(compiled), *args, output=chunks.put, format="csv", delimiter="\x1f", quote="\x1e"
            )
            await chunks.put(None)

        copying = asyncio.create_task(send())
        try:
            while (chunk := await chunks.get()) is not None:
                yield chunk
            await copying
        finally:
            if not copying.done():
                copying.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await copying

    # -- who the user sees ----------------------------------------------------------------------------

    def _my_album_ids(self, user_id: uuid.UUID) -> Select[Any]:
        return select(AlbumUser.album_id).where(AlbumUser.user_id == user_id)

    def _partner_ids(self, user_id: uuid.UUID) -> Select[Any]:
        """Owners who share their library with the user."""
        return select(Partner.shared_by_id).where(Partner.shared_with_id == user_id)

    async def partners_created_after(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(sharer, createId) of partnerships with the user, from `after` on (inclusive: a backfill
        may have stopped half way through that one)."""
        statement = select(Partner.shared_by_id, Partner.create_id).where(
            Partner.shared_with_id == user_id, Partner.create_id < now
        )
        if after is not None:
            statement = statement.where(Partner.create_id >= after)
        rows = await self.db.execute(statement.order_by(Partner.create_id))
        return [(row[0], row[1]) for row in rows]

    async def albums_joined_after(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(album, createId) of the user's album memberships, from `after` on (inclusive)."""
        statement = select(AlbumUser.album_id, AlbumUser.create_id).where(
            AlbumUser.user_id == user_id, AlbumUser.create_id < now
        )
        if after is not None:
            statement = statement.where(AlbumUser.create_id >= after)
        rows = await self.db.execute(statement.order_by(AlbumUser.create_id))
        return [(row[0], row[1]) for row in rows]

    # -- users and partners ---------------------------------------------------------------------------

    def auth_user_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        extra = _labelled(
            {
                "isAdmin": User.is_admin,
                "pinCode": User.pin_code,
                "oauthId": User.oauth_id,
                "storageLabel": User.storage_label,
                "quotaSizeInBytes": User.quota_size_in_bytes,
                "quotaUsageInBytes": User.quota_usage_in_bytes,
            }
        )
        return _upserts(User.update_id, [*USER_COLUMNS, *extra], now, after).where(User.id == user_id)

    def user_deletes(self, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        return _upserts(UserAudit.id, _labelled({"userId": UserAudit.user_id}), now, after)

    def user_upserts(self, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        return _upserts(User.update_id, USER_COLUMNS, now, after)

    def partner_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {"sharedById": PartnerAudit.shared_by_id, "sharedWithId": PartnerAudit.shared_with_id}
        )
        return _upserts(PartnerAudit.id, columns, now, after).where(
            or_(PartnerAudit.shared_by_id == user_id, PartnerAudit.shared_with_id == user_id)
        )

    def partner_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {
                "sharedById": Partner.shared_by_id,
                "sharedWithId": Partner.shared_with_id,
                "inTimeline": Partner.in_timeline,
            }
        )
        return _upserts(Partner.update_id, columns, now, after).where(
            or_(Partner.shared_by_id == user_id, Partner.shared_with_id == user_id)
        )

    # -- assets ---------------------------------------------------------------------------------------

    def asset_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled({"assetId": AssetAudit.asset_id})
        return _upserts(AssetAudit.id, columns, now, after).where(AssetAudit.owner_id == user_id)

    def asset_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _asset_columns(Asset.is_favorite)
        return _upserts(Asset.update_id, columns, now, after).where(Asset.owner_id == user_id)

    def partner_asset_deletes(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled({"assetId": AssetAudit.asset_id})
        return _upserts(AssetAudit.id, columns, now, after).where(
            AssetAudit.owner_id.in_(self._partner_ids(user_id))
        )

    def partner_asset_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        # A partner's favourites are theirs, not the viewer's.
        columns = _asset_columns(false())
        return _upserts(Asset.update_id, columns, now, after).where(
            Asset.owner_id.in_(self._partner_ids(user_id))
        )

    def partner_asset_backfill(
        self, partner_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, until: uuid.UUID
    ) -> Select[Any]:
        columns = _asset_columns(false())
        return _backfill(Asset.update_id, columns, now, after, until).where(Asset.owner_id == partner_id)

    def exif_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        return _upserts(AssetExif.update_id, EXIF_COLUMNS, now, after).where(
            AssetExif.asset_id.in_(select(Asset.id).where(Asset.owner_id == user_id))
        )

    def partner_exif_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        return _upserts(AssetExif.update_id, EXIF_COLUMNS, now, after).where(
            AssetExif.asset_id.in_(select(Asset.id).where(Asset.owner_id.in_(self._partner_ids(user_id))))
        )

    def partner_exif_backfill(
        self, partner_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, until: uuid.UUID
    ) -> Select[Any]:
        return (
            _backfill(AssetExif.update_id, EXIF_COLUMNS, now, after, until)
            .join(Asset, Asset.id == AssetExif.asset_id)
            .where(Asset.owner_id == partner_id)
        )

    def asset_edit_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled({"editId": AssetEditAudit.edit_id})
        return (
            _upserts(AssetEditAudit.id, columns, now, after)
            .join(Asset, Asset.id == AssetEditAudit.asset_id)
            .where(Asset.owner_id == user_id)
        )

    def asset_edit_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {
                "id": AssetEdit.id,
                "assetId": AssetEdit.asset_id,
                "sequence": AssetEdit.sequence,
                "action": AssetEdit.action,
                "parameters": AssetEdit.parameters,
            }
        )
        return (
            _upserts(AssetEdit.update_id, columns, now, after)
            .join(Asset, Asset.id == AssetEdit.asset_id)
            .where(Asset.owner_id == user_id)
        )

    def asset_metadata_deletes(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled({"assetId": AssetMetadataAudit.asset_id, "key": AssetMetadataAudit.key})
        return (
            _upserts(AssetMetadataAudit.id, columns, now, after)
            .join(Asset, Asset.id == AssetMetadataAudit.asset_id)
            .where(Asset.owner_id == user_id)
        )

    def asset_metadata_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled(
            {"assetId": AssetMetadata.asset_id, "key": AssetMetadata.key, "value": AssetMetadata.value}
        )
        return (
            _upserts(AssetMetadata.update_id, columns, now, after)
            .join(Asset, Asset.id == AssetMetadata.asset_id)
            .where(Asset.owner_id == user_id)
        )

    def asset_ocr_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {"id": AssetOcrAudit.id, "assetId": AssetOcrAudit.asset_id, "deletedAt": AssetOcrAudit.deleted_at}
        )
        return (
            _upserts(AssetOcrAudit.id, columns, now, after)
            .join(Asset, Asset.id == AssetOcrAudit.asset_id)
            .where(Asset.owner_id == user_id)
        )

    def asset_ocr_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {
                "id": AssetOcr.id,
                "assetId": AssetOcr.asset_id,
                "x1": AssetOcr.x1,
                "y1": AssetOcr.y1,
                "x2": AssetOcr.x2,
                "y2": AssetOcr.y2,
                "x3": AssetOcr.x3,
                "y3": AssetOcr.y3,
                "x4": AssetOcr.x4,
                "y4": AssetOcr.y4,
                "text": AssetOcr.text,
                "boxScore": AssetOcr.box_score,
                "textScore": AssetOcr.text_score,
                "isVisible": AssetOcr.is_visible,
            }
        )
        return (
            _upserts(AssetOcr.update_id, columns, now, after)
            .join(Asset, Asset.id == AssetOcr.asset_id)
            .where(Asset.owner_id == user_id)
        )

    # -- stacks ---------------------------------------------------------------------------------------

    def stack_deletes(
        self, user_ids: Select[Any] | uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled({"stackId": StackAudit.stack_id})
        statement = _upserts(StackAudit.id, columns, now, after)
        if isinstance(user_ids, uuid.UUID):
            return statement.where(StackAudit.user_id == user_ids)
        return statement.where(StackAudit.user_id.in_(user_ids))

    def stack_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        return _upserts(Stack.update_id, STACK_COLUMNS, now, after).where(Stack.owner_id == user_id)

    def partner_stack_deletes(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        return self.stack_deletes(self._partner_ids(user_id), now, after)

    def partner_stack_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        return _upserts(Stack.update_id, STACK_COLUMNS, now, after).where(
            Stack.owner_id.in_(self._partner_ids(user_id))
        )

    def partner_stack_backfill(
        self, partner_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, until: uuid.UUID
    ) -> Select[Any]:
        return _backfill(Stack.update_id, STACK_COLUMNS, now, after, until).where(
            Stack.owner_id == partner_id
        )

    # -- albums ---------------------------------------------------------------------------------------

    def album_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled({"albumId": AlbumAudit.album_id})
        return _upserts(AlbumAudit.id, columns, now, after).where(AlbumAudit.user_id == user_id)

    def album_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, *, with_owner: bool = False
    ) -> Select[Any]:
        columns = list(ALBUM_COLUMNS)
        if with_owner:
            owner = (
                select(AlbumUser.user_id)
                .where(AlbumUser.album_id == Album.id, AlbumUser.role == "owner")
                .scalar_subquery()
            )
            columns.append(owner.label("ownerId"))
        return _upserts(Album.update_id, columns, now, after).where(Album.id.in_(self._my_album_ids(user_id)))

    def album_user_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled({"albumId": AlbumUserAudit.album_id, "userId": AlbumUserAudit.user_id})
        return _upserts(AlbumUserAudit.id, columns, now, after).where(
            AlbumUserAudit.album_id.in_(self._my_album_ids(user_id))
        )

    def album_user_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        return _upserts(AlbumUser.update_id, ALBUM_USER_COLUMNS, now, after).where(
            AlbumUser.album_id.in_(self._my_album_ids(user_id))
        )

    def album_user_backfill(
        self, album_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, until: uuid.UUID
    ) -> Select[Any]:
        return _backfill(AlbumUser.update_id, ALBUM_USER_COLUMNS, now, after, until).where(
            AlbumUser.album_id == album_id
        )

    def album_to_asset_deletes(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled({"albumId": AlbumAssetAudit.album_id, "assetId": AlbumAssetAudit.asset_id})
        return _upserts(AlbumAssetAudit.id, columns, now, after).where(
            AlbumAssetAudit.album_id.in_(self._my_album_ids(user_id))
        )

    def album_to_asset_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        return _upserts(AlbumAsset.update_id, ALBUM_TO_ASSET_COLUMNS, now, after).where(
            AlbumAsset.album_id.in_(self._my_album_ids(user_id))
        )

    def album_to_asset_backfill(
        self, album_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, until: uuid.UUID
    ) -> Select[Any]:
        return _backfill(AlbumAsset.update_id, ALBUM_TO_ASSET_COLUMNS, now, after, until).where(
            AlbumAsset.album_id == album_id
        )

    @staticmethod
    def _album_asset_favorite(user_id: uuid.UUID) -> ColumnElement[Any]:
        # Only the owner's favourite flag means anything to the viewer.
        return case((Asset.owner_id == user_id, Asset.is_favorite), else_=false())

    def album_asset_creates(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        """Assets as they entered the user's albums, keyed by the album_asset row."""
        columns = _asset_columns(self._album_asset_favorite(user_id))
        return (
            _upserts(AlbumAsset.update_id, columns, now, after)
            .join(Asset, Asset.id == AlbumAsset.asset_id)
            .where(AlbumAsset.album_id.in_(self._my_album_ids(user_id)))
        )

    def album_asset_updates(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, known_until: uuid.UUID
    ) -> Select[Any]:
        """Changes to album assets the client already has (added up to its create checkpoint)."""
        columns = _asset_columns(self._album_asset_favorite(user_id))
        return (
            _upserts(Asset.update_id, columns, now, after)
            .join(AlbumAsset, AlbumAsset.asset_id == Asset.id)
            .where(AlbumAsset.update_id <= known_until, AlbumAsset.album_id.in_(self._my_album_ids(user_id)))
        )

    def album_asset_backfill(
        self,
        user_id: uuid.UUID,
        album_id: uuid.UUID,
        now: uuid.UUID,
        after: uuid.UUID | None,
        until: uuid.UUID,
    ) -> Select[Any]:
        columns = _asset_columns(self._album_asset_favorite(user_id))
        return (
            _backfill(AlbumAsset.update_id, columns, now, after, until)
            .join(Asset, Asset.id == AlbumAsset.asset_id)
            .where(AlbumAsset.album_id == album_id)
        )

    def album_exif_creates(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        return (
            _upserts(AlbumAsset.update_id, EXIF_COLUMNS, now, after)
            .join(AssetExif, AssetExif.asset_id == AlbumAsset.asset_id)
            .where(AlbumAsset.album_id.in_(self._my_album_ids(user_id)))
        )

    def album_exif_updates(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, known_until: uuid.UUID
    ) -> Select[Any]:
        return (
            _upserts(AssetExif.update_id, EXIF_COLUMNS, now, after)
            .join(AlbumAsset, AlbumAsset.asset_id == AssetExif.asset_id)
            .where(AlbumAsset.update_id <= known_until, AlbumAsset.album_id.in_(self._my_album_ids(user_id)))
        )

    def album_exif_backfill(
        self, album_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, until: uuid.UUID
    ) -> Select[Any]:
        return (
            _backfill(AlbumAsset.update_id, EXIF_COLUMNS, now, after, until)
            .join(AssetExif, AssetExif.asset_id == AlbumAsset.asset_id)
            .where(AlbumAsset.album_id == album_id)
        )

    # -- memories, people, metadata ---------------------------------------------------------------------

    def memory_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled({"memoryId": MemoryAudit.memory_id})
        return _upserts(MemoryAudit.id, columns, now, after).where(MemoryAudit.user_id == user_id)

    def memory_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {
                "id": Memory.id,
                "createdAt": Memory.created_at,
                "updatedAt": Memory.updated_at,
                "deletedAt": Memory.deleted_at,
                "ownerId": Memory.owner_id,
                "type": Memory.type,
                "data": Memory.data,
                "isSaved": Memory.is_saved,
                "memoryAt": Memory.memory_at,
                "seenAt": Memory.seen_at,
                "showAt": Memory.show_at,
                "hideAt": Memory.hide_at,
            }
        )
        return _upserts(Memory.update_id, columns, now, after).where(Memory.owner_id == user_id)

    def memory_asset_deletes(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled({"memoryId": MemoryAssetAudit.memory_id, "assetId": MemoryAssetAudit.asset_id})
        return _upserts(MemoryAssetAudit.id, columns, now, after).where(
            MemoryAssetAudit.memory_id.in_(select(Memory.id).where(Memory.owner_id == user_id))
        )

    def memory_asset_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled({"memoryId": MemoryAsset.memory_id, "assetId": MemoryAsset.asset_id})
        return _upserts(MemoryAsset.update_id, columns, now, after).where(
            MemoryAsset.memory_id.in_(select(Memory.id).where(Memory.owner_id == user_id))
        )

    def person_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled({"personId": PersonAudit.person_id})
        return _upserts(PersonAudit.id, columns, now, after).where(PersonAudit.owner_id == user_id)

    def person_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {
                "id": Person.id,
                "createdAt": Person.created_at,
                "updatedAt": Person.updated_at,
                "ownerId": Person.owner_id,
                "name": Person.name,
                # A date in the table, a timestamp (midnight UTC) in the protocol.
                "birthDate": func.timezone("UTC", cast(Person.birth_date, DateTime)),
                "isHidden": Person.is_hidden,
                "isFavorite": Person.is_favorite,
                "color": Person.color,
                "faceAssetId": Person.face_asset_id,
            }
        )
        return _upserts(Person.update_id, columns, now, after).where(Person.owner_id == user_id)

    def face_deletes(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled({"assetFaceId": AssetFaceAudit.asset_face_id})
        return (
            _upserts(AssetFaceAudit.id, columns, now, after)
            .join(Asset, Asset.id == AssetFaceAudit.asset_id)
            .where(Asset.owner_id == user_id)
        )

    def face_upserts(self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None) -> Select[Any]:
        columns = _labelled(
            {
                "id": AssetFace.id,
                "assetId": AssetFace.asset_id,
                "personId": AssetFace.person_id,
                "imageWidth": AssetFace.image_width,
                "imageHeight": AssetFace.image_height,
                "boundingBoxX1": AssetFace.bounding_box_x1,
                "boundingBoxY1": AssetFace.bounding_box_y1,
                "boundingBoxX2": AssetFace.bounding_box_x2,
                "boundingBoxY2": AssetFace.bounding_box_y2,
                "sourceType": AssetFace.source_type,
                "isVisible": AssetFace.is_visible,
                "deletedAt": AssetFace.deleted_at,
            }
        )
        return (
            _upserts(AssetFace.update_id, columns, now, after)
            .join(Asset, Asset.id == AssetFace.asset_id)
            .where(Asset.owner_id == user_id)
        )

    def user_metadata_deletes(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled({"userId": UserMetadataAudit.user_id, "key": UserMetadataAudit.key})
        return _upserts(UserMetadataAudit.id, columns, now, after).where(UserMetadataAudit.user_id == user_id)

    def user_metadata_upserts(
        self, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> Select[Any]:
        columns = _labelled(
            {"userId": UserMetadata.user_id, "key": UserMetadata.key, "value": UserMetadata.value}
        )
        return _upserts(UserMetadata.update_id, columns, now, after).where(UserMetadata.user_id == user_id)

    # -- checkpoints ----------------------------------------------------------------------------------

    async def checkpoints(self, session_id: uuid.UUID) -> list[tuple[str, str]]:
        rows = await self.db.execute(
            select(SessionSyncCheckpoint.type, SessionSyncCheckpoint.ack)
            .where(SessionSyncCheckpoint.session_id == session_id)
            .order_by(SessionSyncCheckpoint.type)
        )
        return [(row[0], row[1]) for row in rows]

    async def save_checkpoints(self, session_id: uuid.UUID, acks: dict[str, str]) -> None:
        if not acks:
            return
        statement = insert(SessionSyncCheckpoint).values(
            [{"session_id": session_id, "type": kind, "ack": ack} for kind, ack in acks.items()]
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=[SessionSyncCheckpoint.session_id, SessionSyncCheckpoint.type],
                set_={"ack": statement.excluded.ack, "updated_at": func.now(), "update_id": uuid7()},
            )
        )

    async def delete_checkpoints(self, session_id: uuid.UUID, types: Iterable[str] | None = None) -> None:
        statement = delete(SessionSyncCheckpoint).where(SessionSyncCheckpoint.session_id == session_id)
        if types is not None:
            statement = statement.where(SessionSyncCheckpoint.type.in_(list(types)))
        await self.db.execute(statement)

    async def is_pending_reset(self, session_id: uuid.UUID) -> bool:
        found = await self.db.scalar(select(Session.is_pending_sync_reset).where(Session.id == session_id))
        return bool(found)

    async def reset_progress(self, session_id: uuid.UUID) -> None:
        """The client starts over: no pending reset, no checkpoints."""
        await self.db.execute(
            update(Session)
            .where(Session.id == session_id)
            .values(is_pending_sync_reset=False)
            .execution_options(synchronize_session=False)
        )
        await self.delete_checkpoints(session_id)

    # -- audit retention ------------------------------------------------------------------------------

    async def prune_audit(self, older_than_days: int) -> int:
        cutoff = utcnow() - timedelta(days=older_than_days)
        removed = 0
        for table in AUDIT_TABLES:
            result = await self.db.execute(
                delete(table).where(table.deleted_at < cutoff).execution_options(synchronize_session=False)
            )
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed
