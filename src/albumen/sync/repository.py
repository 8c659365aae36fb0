"""SQL of the sync stream, table-driven: each kind of line the client receives is one `Rows`
declaration (the table or audit table, the id the client acks, the columns under their JSON names,
how visibility reaches the owner), and one statement builder (`changes`) turns any of them into the
keyset-ordered rows a user may see; `lines` streams those rows as finished JSON lines. Plus checkpoints.

Every statement selects its data columns already labelled with the client's (camelCase) names and
binary columns already in base64; PostgreSQL then writes the JSON lines themselves (`lines`).
"""

from __future__ import annotations

import asyncio
import contextlib
import typing
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    Uuid,
    bindparam,
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

from albumen.immich import dto
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
from albumen.sync.schemas import Scope

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

# A statement the service hands back to this repository to stream (built by `changes`).
Statement = Select[Any]
# Given an owner-like column (a user, an album), the condition that the stream's user sees it.
Match = Callable[[Any], ColumnElement[bool]]
# The user whose stream it is, for the few columns that depend on who looks (album assets' favourites).
VIEWER = bindparam("viewer", type_=Uuid)


@dataclass(frozen=True)
class Rows:
    """One kind of sync line: the rows of a table (or an audit table) as the client receives them."""

    key: Any  # the id the client acks: rows stream in its order, from its checkpoint on
    columns: dict[str, Any]  # the line's data: JSON name -> SQL
    visible: Callable[[Match], ColumnElement[bool]]  # which rows, given which owners/albums count
    dto: type[BaseModel]  # the spec's schema of the data (checked by tests)
    join: tuple[Any, Any] | None = None  # (table, on clause) the columns or the owner come from
    bounded_by: Any = None  # the column a backfill's or known-rows bound applies to (default: key)


def _base64(column: Any) -> ColumnElement[Any]:
    # PostgreSQL wraps base64 every 76 characters (57 bytes). Checksums and thumbhashes are shorter, so
    # translate() (a sixth of an asset line's CPU) runs only for a longer value.
    encoded = func.encode(column, "base64")
    return case((func.octet_length(column) <= 57, encoded), else_=func.translate(encoded, "\n", ""))


def _owned_by(*columns: Any) -> Callable[[Match], ColumnElement[bool]]:
    """Visible when any of these columns (owner, either side of a partnership, album) matches."""
    return lambda match: or_(*(match(column) for column in columns))


def _owned_through(local: Any, parent_id: Any, parent_owner: Any) -> Callable[[Match], ColumnElement[bool]]:
    """Visible when the parent row `local` points at (an asset, a memory) has a matching owner."""
    return lambda match: local.in_(select(parent_id).where(match(parent_owner)))


def _asset_columns(is_favorite: Any) -> dict[str, Any]:
    return {
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


EXIF_COLUMNS: dict[str, Any] = {
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

USER_COLUMNS: dict[str, Any] = {
    "id": User.id,
    "name": User.name,
    "email": User.email,
    "avatarColor": User.avatar_color,
    "deletedAt": User.deleted_at,
    "hasProfileImage": User.profile_image_path != "",
    "profileChangedAt": User.profile_changed_at,
}

ALBUM_COLUMNS: dict[str, Any] = {
    "id": Album.id,
    "name": Album.album_name,
    "description": Album.description,
    "createdAt": Album.created_at,
    "updatedAt": Album.updated_at,
    "thumbnailAssetId": Album.album_thumbnail_asset_id,
    "isActivityEnabled": Album.is_activity_enabled,
    "order": Album.order,
}

STACK_COLUMNS: dict[str, Any] = {
    "id": Stack.id,
    "createdAt": Stack.created_at,
    "updatedAt": Stack.updated_at,
    "primaryAssetId": Stack.primary_asset_id,
    "ownerId": Stack.owner_id,
}

# Only the owner's favourite flag means anything to someone else looking at an album's asset.
_VIEWERS_FAVORITE = case((Asset.owner_id == VIEWER, Asset.is_favorite), else_=false())
_ALBUM_OWNER = (
    select(AlbumUser.user_id)
    .where(AlbumUser.album_id == Album.id, AlbumUser.role == "owner")
    .scalar_subquery()
)
# Rows of a table keyed by asset: visible when the asset's owner matches.
_BY_ASSET_OWNER = _owned_by(Asset.owner_id)


# -- users and partners -------------------------------------------------------------------------------

AUTH_USERS = Rows(
    User.update_id,
    {
        **USER_COLUMNS,
        "isAdmin": User.is_admin,
        "pinCode": User.pin_code,
        "oauthId": User.oauth_id,
        "storageLabel": User.storage_label,
        "quotaSizeInBytes": User.quota_size_in_bytes,
        "quotaUsageInBytes": User.quota_usage_in_bytes,
    },
    _owned_by(User.id),
    dto.SyncAuthUserV1,
)
USERS = Rows(User.update_id, USER_COLUMNS, _owned_by(User.id), dto.SyncUserV1)
USER_DELETES = Rows(
    UserAudit.id, {"userId": UserAudit.user_id}, _owned_by(UserAudit.user_id), dto.SyncUserDeleteV1
)
PARTNERS = Rows(
    Partner.update_id,
    {
        "sharedById": Partner.shared_by_id,
        "sharedWithId": Partner.shared_with_id,
        "inTimeline": Partner.in_timeline,
    },
    _owned_by(Partner.shared_by_id, Partner.shared_with_id),
    dto.SyncPartnerV1,
)
PARTNER_DELETES = Rows(
    PartnerAudit.id,
    {"sharedById": PartnerAudit.shared_by_id, "sharedWithId": PartnerAudit.shared_with_id},
    _owned_by(PartnerAudit.shared_by_id, PartnerAudit.shared_with_id),
    dto.SyncPartnerDeleteV1,
)

# -- assets, their EXIF and what hangs off them ---------------------------------------------------------

ASSETS = Rows(Asset.update_id, _asset_columns(Asset.is_favorite), _owned_by(Asset.owner_id), dto.SyncAssetV2)
# A partner's favourites are theirs, not the viewer's.
PARTNER_ASSETS = Rows(Asset.update_id, _asset_columns(false()), _owned_by(Asset.owner_id), dto.SyncAssetV2)
ASSET_DELETES = Rows(
    AssetAudit.id, {"assetId": AssetAudit.asset_id}, _owned_by(AssetAudit.owner_id), dto.SyncAssetDeleteV1
)
EXIFS = Rows(
    AssetExif.update_id,
    EXIF_COLUMNS,
    _owned_through(AssetExif.asset_id, Asset.id, Asset.owner_id),
    dto.SyncAssetExifV1,
)
EDITS = Rows(
    AssetEdit.update_id,
    {
        "id": AssetEdit.id,
        "assetId": AssetEdit.asset_id,
        "sequence": AssetEdit.sequence,
        "action": AssetEdit.action,
        "parameters": AssetEdit.parameters,
    },
    _BY_ASSET_OWNER,
    dto.SyncAssetEditV1,
    join=(Asset, Asset.id == AssetEdit.asset_id),
)
EDIT_DELETES = Rows(
    AssetEditAudit.id,
    {"editId": AssetEditAudit.edit_id},
    _BY_ASSET_OWNER,
    dto.SyncAssetEditDeleteV1,
    join=(Asset, Asset.id == AssetEditAudit.asset_id),
)
ASSET_METADATA = Rows(
    AssetMetadata.update_id,
    {"assetId": AssetMetadata.asset_id, "key": AssetMetadata.key, "value": AssetMetadata.value},
    _BY_ASSET_OWNER,
    dto.SyncAssetMetadataV1,
    join=(Asset, Asset.id == AssetMetadata.asset_id),
)
ASSET_METADATA_DELETES = Rows(
    AssetMetadataAudit.id,
    {"assetId": AssetMetadataAudit.asset_id, "key": AssetMetadataAudit.key},
    _BY_ASSET_OWNER,
    dto.SyncAssetMetadataDeleteV1,
    join=(Asset, Asset.id == AssetMetadataAudit.asset_id),
)
OCR = Rows(
    AssetOcr.update_id,
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
    },
    _BY_ASSET_OWNER,
    dto.SyncAssetOcrV1,
    join=(Asset, Asset.id == AssetOcr.asset_id),
)
OCR_DELETES = Rows(
    AssetOcrAudit.id,
    {"id": AssetOcrAudit.id, "assetId": AssetOcrAudit.asset_id, "deletedAt": AssetOcrAudit.deleted_at},
    _BY_ASSET_OWNER,
    dto.SyncAssetOcrDeleteV1,
    join=(Asset, Asset.id == AssetOcrAudit.asset_id),
)
FACES = Rows(
    AssetFace.update_id,
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
    },
    _BY_ASSET_OWNER,
    dto.SyncAssetFaceV2,
    join=(Asset, Asset.id == AssetFace.asset_id),
)
FACE_DELETES = Rows(
    AssetFaceAudit.id,
    {"assetFaceId": AssetFaceAudit.asset_face_id},
    _BY_ASSET_OWNER,
    dto.SyncAssetFaceDeleteV1,
    join=(Asset, Asset.id == AssetFaceAudit.asset_id),
)
STACKS = Rows(Stack.update_id, STACK_COLUMNS, _owned_by(Stack.owner_id), dto.SyncStackV1)
STACK_DELETES = Rows(
    StackAudit.id, {"stackId": StackAudit.stack_id}, _owned_by(StackAudit.user_id), dto.SyncStackDeleteV1
)

# -- albums: visible through the user's memberships -----------------------------------------------------

ALBUMS_V1 = Rows(
    Album.update_id, {**ALBUM_COLUMNS, "ownerId": _ALBUM_OWNER}, _owned_by(Album.id), dto.SyncAlbumV1
)
ALBUMS = Rows(Album.update_id, ALBUM_COLUMNS, _owned_by(Album.id), dto.SyncAlbumV2)
# An album's deletion goes to each member (one audit row per user).
ALBUM_DELETES = Rows(
    AlbumAudit.id, {"albumId": AlbumAudit.album_id}, _owned_by(AlbumAudit.user_id), dto.SyncAlbumDeleteV1
)
ALBUM_USERS = Rows(
    AlbumUser.update_id,
    {"albumId": AlbumUser.album_id, "userId": AlbumUser.user_id, "role": AlbumUser.role},
    _owned_by(AlbumUser.album_id),
    dto.SyncAlbumUserV1,
)
ALBUM_USER_DELETES = Rows(
    AlbumUserAudit.id,
    {"albumId": AlbumUserAudit.album_id, "userId": AlbumUserAudit.user_id},
    _owned_by(AlbumUserAudit.album_id),
    dto.SyncAlbumUserDeleteV1,
)
ALBUM_TO_ASSETS = Rows(
    AlbumAsset.update_id,
    {"albumId": AlbumAsset.album_id, "assetId": AlbumAsset.asset_id},
    _owned_by(AlbumAsset.album_id),
    dto.SyncAlbumToAssetV1,
)
ALBUM_TO_ASSET_DELETES = Rows(
    AlbumAssetAudit.id,
    {"albumId": AlbumAssetAudit.album_id, "assetId": AlbumAssetAudit.asset_id},
    _owned_by(AlbumAssetAudit.album_id),
    dto.SyncAlbumToAssetDeleteV1,
)
# Assets (and their EXIF) as they entered the user's albums, keyed by the album_asset row ...
ALBUM_ASSET_CREATES = Rows(
    AlbumAsset.update_id,
    _asset_columns(_VIEWERS_FAVORITE),
    _owned_by(AlbumAsset.album_id),
    dto.SyncAssetV2,
    join=(Asset, Asset.id == AlbumAsset.asset_id),
)
ALBUM_EXIF_CREATES = Rows(
    AlbumAsset.update_id,
    EXIF_COLUMNS,
    _owned_by(AlbumAsset.album_id),
    dto.SyncAssetExifV1,
    join=(AssetExif, AssetExif.asset_id == AlbumAsset.asset_id),
)
# ... and later changes to them, keyed by the asset's row, for those added up to a known album_asset row.
ALBUM_ASSET_UPDATES = Rows(
    Asset.update_id,
    _asset_columns(_VIEWERS_FAVORITE),
    _owned_by(AlbumAsset.album_id),
    dto.SyncAssetV2,
    join=(AlbumAsset, AlbumAsset.asset_id == Asset.id),
    bounded_by=AlbumAsset.update_id,
)
ALBUM_EXIF_UPDATES = Rows(
    AssetExif.update_id,
    EXIF_COLUMNS,
    _owned_by(AlbumAsset.album_id),
    dto.SyncAssetExifV1,
    join=(AlbumAsset, AlbumAsset.asset_id == AssetExif.asset_id),
    bounded_by=AlbumAsset.update_id,
)

# -- memories, people, user metadata ------------------------------------------------------------------

MEMORIES = Rows(
    Memory.update_id,
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
    },
    _owned_by(Memory.owner_id),
    dto.SyncMemoryV1,
)
MEMORY_DELETES = Rows(
    MemoryAudit.id,
    {"memoryId": MemoryAudit.memory_id},
    _owned_by(MemoryAudit.user_id),
    dto.SyncMemoryDeleteV1,
)
MEMORY_ASSETS = Rows(
    MemoryAsset.update_id,
    {"memoryId": MemoryAsset.memory_id, "assetId": MemoryAsset.asset_id},
    _owned_through(MemoryAsset.memory_id, Memory.id, Memory.owner_id),
    dto.SyncMemoryAssetV1,
)
MEMORY_ASSET_DELETES = Rows(
    MemoryAssetAudit.id,
    {"memoryId": MemoryAssetAudit.memory_id, "assetId": MemoryAssetAudit.asset_id},
    _owned_through(MemoryAssetAudit.memory_id, Memory.id, Memory.owner_id),
    dto.SyncMemoryAssetDeleteV1,
)
PEOPLE = Rows(
    Person.update_id,
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
    },
    _owned_by(Person.owner_id),
    dto.SyncPersonV1,
)
PERSON_DELETES = Rows(
    PersonAudit.id,
    {"personId": PersonAudit.person_id},
    _owned_by(PersonAudit.owner_id),
    dto.SyncPersonDeleteV1,
)
USER_METADATA = Rows(
    UserMetadata.update_id,
    {"userId": UserMetadata.user_id, "key": UserMetadata.key, "value": UserMetadata.value},
    _owned_by(UserMetadata.user_id),
    dto.SyncUserMetadataV1,
)
USER_METADATA_DELETES = Rows(
    UserMetadataAudit.id,
    {"userId": UserMetadataAudit.user_id, "key": UserMetadataAudit.key},
    _owned_by(UserMetadataAudit.user_id),
    dto.SyncUserMetadataDeleteV1,
)


def line_query(statement: Select[Any], entity: str, create_id: uuid.UUID | None = None) -> Select[Any]:
    """The query whose one column is each row's finished JSON line (type, data, ack)."""
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
    return select(line).select_from(rows).join(data, true()).order_by(rows.c[ACK_ID])


class SyncRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def use_utc(self) -> None:
        """Timestamps in the JSON PostgreSQL writes come out in UTC (`…+00:00`) whatever the server's zone."""
        await self.db.execute(text("SET LOCAL TIME ZONE 'UTC'"))

    # -- the one statement builder ----------------------------------------------------------------------

    def _match(self, whose: Scope | uuid.UUID, user_id: uuid.UUID) -> Match:
        if isinstance(whose, uuid.UUID):
            return lambda column: column == whose
        if whose is Scope.EVERYONE:
            return lambda _column: true()
        if whose is Scope.ME:
            return lambda column: column == user_id
        if whose is Scope.PARTNERS:
            sharers = select(Partner.shared_by_id).where(Partner.shared_with_id == user_id)
            return lambda column: column.in_(sharers)
        albums = select(AlbumUser.album_id).where(AlbumUser.user_id == user_id)
        return lambda column: column.in_(albums)

    def changes(
        self,
        rows: Rows,
        whose: Scope | uuid.UUID,
        user_id: uuid.UUID,
        now: uuid.UUID,
        after: uuid.UUID | None,
        until: uuid.UUID | None = None,
    ) -> Statement:
        """The `rows` the user sees (`whose`: a scope of the user, or one partner's or album's id for a
        backfill) changed after the checkpoint `after` and before the stream's start `now`, oldest
        first; with `until`, only those up to it (in `bounded_by`: what the client could not see yet,
        or the album rows it already has)."""
        columns = [column.label(name) for name, column in rows.columns.items()]
        statement = select(rows.key.label(ACK_ID), *columns)
        if rows.join is not None:
            statement = statement.join(*rows.join)
        statement = statement.where(rows.key < now, rows.visible(self._match(whose, user_id)))
        if after is not None:
            statement = statement.where(rows.key > after)
        if until is not None:
            statement = statement.where((rows.key if rows.bounded_by is None else rows.bounded_by) <= until)
        return statement.order_by(rows.key).params(viewer=user_id)

    async def parents_added_after(
        self, parents: Scope, user_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(partner or album, createId) of the user's partnerships or album memberships, from `after` on
        (inclusive: a backfill may have stopped half way through that one)."""
        if parents is Scope.PARTNERS:
            parent, create_id, user = Partner.shared_by_id, Partner.create_id, Partner.shared_with_id
        else:
            parent, create_id, user = AlbumUser.album_id, AlbumUser.create_id, AlbumUser.user_id
        statement = select(parent, create_id).where(user == user_id, create_id < now)
        if after is not None:
            statement = statement.where(create_id >= after)
        rows = await self.db.execute(statement.order_by(create_id))
        return [(row[0], row[1]) for row in rows]

    async def lines(
        self, statement: Select[Any], entity: str, create_id: uuid.UUID | None = None
    ) -> AsyncIterator[bytes]:
        """The statement's rows as finished JSON lines, streamed out of PostgreSQL by COPY. PostgreSQL
        writes each whole line (`row_to_json` of the data columns) and sends them without waiting for
        a fetch per page, so Python only passes bytes on: no per-row objects, flat memory (at most
        a few chunks queued) however many rows match."""
        query = line_query(statement, entity, create_id)
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
