"""The mobile sync protocol: per-session checkpoints (acks) and the JSON-lines stream of changes.

For each requested type, in a fixed order, the stream sends what was deleted since the client's
checkpoint (audit rows), then what was created or changed (rows by update id), both bounded by an id
taken when the stream starts, so writes during the stream wait for the next one. When the user gained
a partner or an album since the last sync, rows older than the checkpoint that the client could not
see before are replayed first as backfills.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.immich.dto import SyncEntityType as Entity
from albumen.immich.dto import SyncRequestType as Request
from albumen.kit.db import Database
from albumen.kit.errors import BadRequest, Forbidden
from albumen.kit.ids import uuid7_at, uuid7_millis
from albumen.sync import repository as rows
from albumen.sync.repository import Rows, Statement, SyncRepository
from albumen.sync.schemas import (
    API_KEY_REFUSED,
    BACKFILL_COMPLETE,
    DEPRECATED_TYPES,
    ENTITY_TYPES,
    MAX_CHECKPOINT_AGE_DAYS,
    RESET_ACK,
    SYNC_TYPES_ORDER,
    Ack,
    Checkpoints,
    Scope,
)

# Bytes gathered before a chunk goes to the client: few writes, little memory.
CHUNK_BYTES = 256 * 1024
DAY_MILLIS = 86_400_000


@dataclass(frozen=True)
class Feed:
    """Lines of one type: the rows the user sees in a scope, from the checkpoint of `entity` on."""

    entity: Entity
    rows: Rows
    scope: Scope


@dataclass(frozen=True)
class Backfill:
    """When the user gains a partner (or joins an album), that one's `rows` the client could not see up
    to its upsert checkpoint, replayed as `entity` lines before the upserts."""

    entity: Entity
    parents: Scope
    rows: Rows


@dataclass(frozen=True)
class SyncType:
    """What one requested type streams, in this order: deletes, backfills, then upserts. With
    `updates` (album assets and their EXIF), upserts are the rows newly in the user's albums and
    `updates` the changes to those the client already has, streamed first."""

    upserts: Feed
    deletes: Feed | None = None
    backfill: Backfill | None = None
    updates: Feed | None = None


Line = tuple[Entity, Rows]


def _type(
    scope: Scope,
    upserts: Line,
    deletes: Line | None = None,
    *,
    backfill: Entity | None = None,
    updates: Line | None = None,
    deletes_scope: Scope | None = None,
) -> SyncType:
    """A type whose lines all come from rows of one scope; a backfill replays the upserts' rows of
    each partner or album added (the scope's parents)."""
    return SyncType(
        upserts=Feed(*upserts, scope),
        deletes=None if deletes is None else Feed(*deletes, deletes_scope or scope),
        backfill=None if backfill is None else Backfill(backfill, scope, upserts[1]),
        updates=None if updates is None else Feed(*updates, scope),
    )


ME, PARTNERS, MY_ALBUMS = Scope.ME, Scope.PARTNERS, Scope.MY_ALBUMS

SYNC_TYPES: dict[Request, SyncType] = {
    Request.AuthUsersV1: _type(ME, (Entity.AuthUserV1, rows.AUTH_USERS)),
    Request.UsersV1: _type(
        Scope.EVERYONE, (Entity.UserV1, rows.USERS), (Entity.UserDeleteV1, rows.USER_DELETES)
    ),
    Request.PartnersV1: _type(
        ME, (Entity.PartnerV1, rows.PARTNERS), (Entity.PartnerDeleteV1, rows.PARTNER_DELETES)
    ),
    Request.AssetsV2: _type(ME, (Entity.AssetV2, rows.ASSETS), (Entity.AssetDeleteV1, rows.ASSET_DELETES)),
    Request.StacksV1: _type(ME, (Entity.StackV1, rows.STACKS), (Entity.StackDeleteV1, rows.STACK_DELETES)),
    Request.PartnerAssetsV2: _type(
        PARTNERS,
        (Entity.PartnerAssetV2, rows.PARTNER_ASSETS),
        (Entity.PartnerAssetDeleteV1, rows.ASSET_DELETES),
        backfill=Entity.PartnerAssetBackfillV2,
    ),
    Request.PartnerStacksV1: _type(
        PARTNERS,
        (Entity.PartnerStackV1, rows.STACKS),
        (Entity.PartnerStackDeleteV1, rows.STACK_DELETES),
        backfill=Entity.PartnerStackBackfillV1,
    ),
    Request.AlbumAssetsV2: _type(
        MY_ALBUMS,
        (Entity.AlbumAssetCreateV2, rows.ALBUM_ASSET_CREATES),
        backfill=Entity.AlbumAssetBackfillV2,
        updates=(Entity.AlbumAssetUpdateV2, rows.ALBUM_ASSET_UPDATES),
    ),
    # An album's deletion is recorded for each member, not per album.
    Request.AlbumsV1: _type(
        MY_ALBUMS,
        (Entity.AlbumV1, rows.ALBUMS_V1),
        (Entity.AlbumDeleteV1, rows.ALBUM_DELETES),
        deletes_scope=ME,
    ),
    Request.AlbumsV2: _type(
        MY_ALBUMS, (Entity.AlbumV2, rows.ALBUMS), (Entity.AlbumDeleteV1, rows.ALBUM_DELETES), deletes_scope=ME
    ),
    Request.AlbumUsersV1: _type(
        MY_ALBUMS,
        (Entity.AlbumUserV1, rows.ALBUM_USERS),
        (Entity.AlbumUserDeleteV1, rows.ALBUM_USER_DELETES),
        backfill=Entity.AlbumUserBackfillV1,
    ),
    Request.AlbumToAssetsV1: _type(
        MY_ALBUMS,
        (Entity.AlbumToAssetV1, rows.ALBUM_TO_ASSETS),
        (Entity.AlbumToAssetDeleteV1, rows.ALBUM_TO_ASSET_DELETES),
        backfill=Entity.AlbumToAssetBackfillV1,
    ),
    Request.AssetExifsV1: _type(ME, (Entity.AssetExifV1, rows.EXIFS)),
    Request.AlbumAssetExifsV1: _type(
        MY_ALBUMS,
        (Entity.AlbumAssetExifCreateV1, rows.ALBUM_EXIF_CREATES),
        backfill=Entity.AlbumAssetExifBackfillV1,
        updates=(Entity.AlbumAssetExifUpdateV1, rows.ALBUM_EXIF_UPDATES),
    ),
    Request.AssetOcrV1: _type(ME, (Entity.AssetOcrV1, rows.OCR), (Entity.AssetOcrDeleteV1, rows.OCR_DELETES)),
    Request.PartnerAssetExifsV1: _type(
        PARTNERS, (Entity.PartnerAssetExifV1, rows.EXIFS), backfill=Entity.PartnerAssetExifBackfillV1
    ),
    Request.MemoriesV1: _type(
        ME, (Entity.MemoryV1, rows.MEMORIES), (Entity.MemoryDeleteV1, rows.MEMORY_DELETES)
    ),
    Request.MemoryToAssetsV1: _type(
        ME,
        (Entity.MemoryToAssetV1, rows.MEMORY_ASSETS),
        (Entity.MemoryToAssetDeleteV1, rows.MEMORY_ASSET_DELETES),
    ),
    Request.PeopleV1: _type(ME, (Entity.PersonV1, rows.PEOPLE), (Entity.PersonDeleteV1, rows.PERSON_DELETES)),
    Request.AssetFacesV2: _type(
        ME, (Entity.AssetFaceV2, rows.FACES), (Entity.AssetFaceDeleteV1, rows.FACE_DELETES)
    ),
    Request.UserMetadataV1: _type(
        ME,
        (Entity.UserMetadataV1, rows.USER_METADATA),
        (Entity.UserMetadataDeleteV1, rows.USER_METADATA_DELETES),
    ),
    Request.AssetMetadataV1: _type(
        ME,
        (Entity.AssetMetadataV1, rows.ASSET_METADATA),
        (Entity.AssetMetadataDeleteV1, rows.ASSET_METADATA_DELETES),
    ),
    Request.AssetEditsV1: _type(
        ME, (Entity.AssetEditV1, rows.EDITS), (Entity.AssetEditDeleteV1, rows.EDIT_DELETES)
    ),
}


def _session_id(auth: AuthContext) -> uuid.UUID:
    if auth.session is None:
        raise Forbidden(API_KEY_REFUSED)
    return auth.session.id


def _valid_ack(text: str) -> Ack:
    ack = Ack.parse(text)
    if ack.type not in ENTITY_TYPES:
        raise BadRequest(f"Invalid ack type: {ack.type}")
    extra_ok = ack.extra_id is None or ack.extra_id == BACKFILL_COMPLETE or ack.extra_uuid() is not None
    if ack.update_uuid() is None or not extra_ok:
        raise BadRequest(f"Invalid ack: {text}")
    return ack


def _line(entity: str, ack: str, data: bytes = b"{}") -> bytes:
    return b'{"type":"' + entity.encode() + b'","data":' + data + b',"ack":"' + ack.encode() + b'"}\n'


class SyncService:
    def __init__(self, db: AsyncSession, database: Database) -> None:
        self.repository = SyncRepository(db)
        self.database = database

    async def get_acks(self, auth: AuthContext) -> list[dto.SyncAckDto]:
        session_id = _session_id(auth)
        return [
            dto.SyncAckDto(type=Entity(kind), ack=ack)
            for kind, ack in await self.repository.checkpoints(session_id)
            if kind in ENTITY_TYPES
        ]

    async def set_acks(self, auth: AuthContext, body: dto.SyncAckSetDto) -> None:
        session_id = _session_id(auth)
        latest: dict[str, str] = {}
        for text in body.acks:
            if Ack.parse(text).type == Entity.SyncResetV1.value:
                # The client wiped its copy: it starts over from nothing, whatever else it acked.
                await self.repository.reset_progress(session_id)
                return
            ack = _valid_ack(text)
            latest[ack.type] = str(ack)
        await self.repository.save_checkpoints(session_id, latest)

    async def delete_acks(self, auth: AuthContext, body: dto.SyncAckDeleteDto) -> None:
        session_id = _session_id(auth)
        types = None if body.types is None else [kind.value for kind in body.types]
        await self.repository.delete_checkpoints(session_id, types)

    async def stream(self, auth: AuthContext, body: dto.SyncStreamDto) -> AsyncIterator[bytes]:
        """Checks the request and settles resets now (so errors get a status); returns the body."""
        session_id = _session_id(auth)
        for kind in body.types:
            if kind in DEPRECATED_TYPES:
                raise BadRequest(
                    f"SyncRequestType.{kind.value} is deprecated, "
                    f"use SyncRequestType.{DEPRECATED_TYPES[kind].value} instead"
                )
        if body.reset:
            await self.repository.reset_progress(session_id)
        if await self.repository.is_pending_reset(session_id):
            return _single(_line(Entity.SyncResetV1.value, RESET_ACK))
        checkpoints: Checkpoints = {
            kind: Ack.parse(ack) for kind, ack in await self.repository.checkpoints(session_id)
        }
        if _too_old(checkpoints.get(Entity.SyncCompleteV1.value)):
            return _single(_line(Entity.SyncResetV1.value, RESET_ACK))
        wanted = set(body.types)
        types = [kind for kind in SYNC_TYPES_ORDER if kind in wanted]
        return _chunked(self._changes(auth.user.id, session_id, checkpoints, types))

    async def _changes(
        self, user_id: uuid.UUID, session_id: uuid.UUID, checkpoints: Checkpoints, types: list[Request]
    ) -> AsyncIterator[bytes]:
        # Its own unit of work: the request's has ended by the time the body streams.
        async with self.database.unit_of_work() as db:
            await SyncRepository(db).use_utc()
            now = uuid7_at(time.time_ns() // 1_000_000 - 1)
            writer = _StreamWriter(SyncRepository(db), user_id, session_id, now, checkpoints)
            for kind in types:
                async for chunk in writer.write(SYNC_TYPES[kind]):
                    yield chunk
            yield _line(Entity.SyncCompleteV1.value, f"{Entity.SyncCompleteV1.value}|{now}")


def _too_old(complete: Ack | None) -> bool:
    if complete is None or (marker := complete.update_uuid()) is None:
        return False
    return uuid7_millis(marker) < time.time_ns() // 1_000_000 - MAX_CHECKPOINT_AGE_DAYS * DAY_MILLIS


async def _single(line: bytes) -> AsyncIterator[bytes]:
    yield line


async def _chunked(pieces: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    buffer = bytearray()
    async for piece in pieces:
        buffer += piece
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


class _StreamWriter:
    """Turns one stream's requested types into JSON lines: one path for deletes and upserts (`_feed`),
    one for backfills, one for album rows that come as updates and creates."""

    def __init__(
        self,
        repository: SyncRepository,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        now: uuid.UUID,
        checkpoints: Checkpoints,
    ) -> None:
        self.repo = repository
        self.user_id = user_id
        self.session_id = session_id
        self.now = now
        self.checkpoints = checkpoints

    async def write(self, sync_type: SyncType) -> AsyncIterator[bytes]:
        if sync_type.deletes is not None:
            async for chunk in self._feed(sync_type.deletes):
                yield chunk
        if sync_type.backfill is not None:
            async for chunk in self._backfill(sync_type.backfill, sync_type.upserts.entity):
                yield chunk
        if sync_type.updates is not None:
            async for chunk in self._updated_and_created(sync_type.updates, sync_type.upserts):
                yield chunk
        else:
            async for chunk in self._feed(sync_type.upserts):
                yield chunk

    def _after(self, entity: Entity) -> uuid.UUID | None:
        ack = self.checkpoints.get(entity.value)
        return ack.update_uuid() if ack is not None else None

    async def _emit(
        self, entity: Entity, statement: Statement, create_id: uuid.UUID | None = None
    ) -> AsyncIterator[bytes]:
        async for chunk in self.repo.lines(statement, entity.value, create_id):
            yield chunk

    def _changes(self, feed: Feed, until: uuid.UUID | None = None) -> Statement:
        after = self._after(feed.entity)
        return self.repo.changes(feed.rows, feed.scope, self.user_id, self.now, after, until)

    async def _feed(self, feed: Feed) -> AsyncIterator[bytes]:
        async for chunk in self._emit(feed.entity, self._changes(feed)):
            yield chunk

    async def _backfill(self, backfill: Backfill, known: Entity) -> AsyncIterator[bytes]:
        """Replays, for each partner or album the user gained since the checkpoint of `known`, the rows
        up to that checkpoint; each one ends with a SyncAckV1 `entity|createId|complete`. A client with
        no checkpoint yet gets everything from the plain upserts, so its backfill is marked done."""
        entity = backfill.entity
        progress = self.checkpoints.get(entity.value)
        found = await self.repo.parents_added_after(
            backfill.parents, self.user_id, self.now, progress.update_uuid() if progress is not None else None
        )
        until = self._after(known)
        if until is None:
            if found:
                done = Ack(entity.value, str(found[-1][1]), BACKFILL_COMPLETE)
                await self.repo.save_checkpoints(self.session_id, {entity.value: str(done)})
            return
        for parent_id, create_id in found:
            same = progress is not None and progress.update_id == str(create_id)
            if same and progress is not None and progress.extra_id == BACKFILL_COMPLETE:
                continue
            start = progress.extra_uuid() if same and progress is not None else None
            statement = self.repo.changes(backfill.rows, parent_id, self.user_id, self.now, start, until)
            async for chunk in self._emit(entity, statement, create_id):
                yield chunk
            yield _line(Entity.SyncAckV1.value, f"{entity.value}|{create_id}|{BACKFILL_COMPLETE}")

    async def _updated_and_created(self, updates: Feed, creates: Feed) -> AsyncIterator[bytes]:
        """Album assets (and their EXIF) come in two kinds: changes to ones the client has (keyed by the
        asset's update id), then ones newly in its albums (keyed by the album_asset row)."""
        known = self._after(creates.entity)
        if known is not None:
            async for chunk in self._emit(updates.entity, self._changes(updates, until=known)):
                yield chunk
        first = True
        async for chunk in self._feed(creates):
            if first:
                # Whatever changed in assets it is receiving now arrives with them: skip those updates.
                yield _line(Entity.SyncAckV1.value, f"{updates.entity.value}|{self.now}")
                first = False
            yield chunk
