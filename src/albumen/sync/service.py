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
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.immich.dto import SyncEntityType as Entity
from albumen.immich.dto import SyncRequestType as Request
from albumen.kit.db import Database
from albumen.kit.errors import BadRequest, Forbidden
from albumen.kit.ids import uuid7_at, uuid7_millis
from albumen.sync.repository import Statement, SyncRepository
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
)

# Bytes gathered before a chunk goes to the client: few writes, little memory.
CHUNK_BYTES = 256 * 1024
DAY_MILLIS = 86_400_000

Query = Callable[[uuid.UUID, uuid.UUID, uuid.UUID | None], Statement]


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
                async for chunk in writer.handlers[kind]():
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
    """Turns one stream's requested types into JSON lines, in the protocol's order."""

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
        repo = repository
        self.handlers: dict[Request, Callable[[], AsyncIterator[bytes]]] = {
            Request.AuthUsersV1: lambda: self._rows(Entity.AuthUserV1, repo.auth_user_upserts),
            Request.UsersV1: self._users,
            Request.PartnersV1: lambda: self._deletes_then_upserts(
                Entity.PartnerDeleteV1, repo.partner_deletes, Entity.PartnerV1, repo.partner_upserts
            ),
            Request.AssetsV2: lambda: self._deletes_then_upserts(
                Entity.AssetDeleteV1, repo.asset_deletes, Entity.AssetV2, repo.asset_upserts
            ),
            Request.StacksV1: lambda: self._deletes_then_upserts(
                Entity.StackDeleteV1, repo.stack_deletes, Entity.StackV1, repo.stack_upserts
            ),
            Request.PartnerAssetsV2: self._partner_assets,
            Request.PartnerStacksV1: self._partner_stacks,
            Request.AlbumAssetsV2: self._album_assets,
            Request.AlbumsV1: lambda: self._albums(Entity.AlbumV1, with_owner=True),
            Request.AlbumsV2: lambda: self._albums(Entity.AlbumV2, with_owner=False),
            Request.AlbumUsersV1: self._album_users,
            Request.AlbumToAssetsV1: self._album_to_assets,
            Request.AssetExifsV1: lambda: self._rows(Entity.AssetExifV1, repo.exif_upserts),
            Request.AlbumAssetExifsV1: self._album_asset_exifs,
            Request.AssetOcrV1: lambda: self._deletes_then_upserts(
                Entity.AssetOcrDeleteV1, repo.asset_ocr_deletes, Entity.AssetOcrV1, repo.asset_ocr_upserts
            ),
            Request.PartnerAssetExifsV1: self._partner_asset_exifs,
            Request.MemoriesV1: lambda: self._deletes_then_upserts(
                Entity.MemoryDeleteV1, repo.memory_deletes, Entity.MemoryV1, repo.memory_upserts
            ),
            Request.MemoryToAssetsV1: lambda: self._deletes_then_upserts(
                Entity.MemoryToAssetDeleteV1,
                repo.memory_asset_deletes,
                Entity.MemoryToAssetV1,
                repo.memory_asset_upserts,
            ),
            Request.PeopleV1: lambda: self._deletes_then_upserts(
                Entity.PersonDeleteV1, repo.person_deletes, Entity.PersonV1, repo.person_upserts
            ),
            Request.AssetFacesV2: lambda: self._deletes_then_upserts(
                Entity.AssetFaceDeleteV1, repo.face_deletes, Entity.AssetFaceV2, repo.face_upserts
            ),
            Request.UserMetadataV1: lambda: self._deletes_then_upserts(
                Entity.UserMetadataDeleteV1,
                repo.user_metadata_deletes,
                Entity.UserMetadataV1,
                repo.user_metadata_upserts,
            ),
            Request.AssetMetadataV1: lambda: self._deletes_then_upserts(
                Entity.AssetMetadataDeleteV1,
                repo.asset_metadata_deletes,
                Entity.AssetMetadataV1,
                repo.asset_metadata_upserts,
            ),
            Request.AssetEditsV1: lambda: self._deletes_then_upserts(
                Entity.AssetEditDeleteV1, repo.asset_edit_deletes, Entity.AssetEditV1, repo.asset_edit_upserts
            ),
        }

    def _after(self, entity: Entity) -> uuid.UUID | None:
        ack = self.checkpoints.get(entity.value)
        return ack.update_uuid() if ack is not None else None

    async def _emit(
        self, entity: Entity, statement: Statement, create_id: uuid.UUID | None = None
    ) -> AsyncIterator[bytes]:
        async for chunk in self.repo.lines(statement, entity.value, create_id):
            yield chunk

    async def _rows(self, entity: Entity, query: Query) -> AsyncIterator[bytes]:
        async for chunk in self._emit(entity, query(self.user_id, self.now, self._after(entity))):
            yield chunk

    async def _deletes_then_upserts(
        self, delete_entity: Entity, deletes: Query, upsert_entity: Entity, upserts: Query
    ) -> AsyncIterator[bytes]:
        async for chunk in self._rows(delete_entity, deletes):
            yield chunk
        async for chunk in self._rows(upsert_entity, upserts):
            yield chunk

    async def _users(self) -> AsyncIterator[bytes]:
        async for chunk in self._emit(
            Entity.UserDeleteV1, self.repo.user_deletes(self.now, self._after(Entity.UserDeleteV1))
        ):
            yield chunk
        async for chunk in self._emit(
            Entity.UserV1, self.repo.user_upserts(self.now, self._after(Entity.UserV1))
        ):
            yield chunk

    async def _albums(self, entity: Entity, *, with_owner: bool) -> AsyncIterator[bytes]:
        async for chunk in self._rows(Entity.AlbumDeleteV1, self.repo.album_deletes):
            yield chunk
        statement = self.repo.album_upserts(
            self.user_id, self.now, self._after(entity), with_owner=with_owner
        )
        async for chunk in self._emit(entity, statement):
            yield chunk

    # -- backfills ------------------------------------------------------------------------------------

    async def _backfill(
        self,
        entity: Entity,
        known: Entity,
        parents: Callable[[uuid.UUID, uuid.UUID, uuid.UUID | None], Any],
        query: Callable[[uuid.UUID, uuid.UUID, uuid.UUID | None, uuid.UUID], Statement],
    ) -> AsyncIterator[bytes]:
        """Replays, for each partner or album the user gained since the checkpoint of `known`, the rows
        up to that checkpoint; each one ends with a SyncAckV1 `entity|createId|complete`. A client with
        no checkpoint yet gets everything from the plain upserts, so its backfill is marked done."""
        progress = self.checkpoints.get(entity.value)
        found: list[tuple[uuid.UUID, uuid.UUID]] = await parents(
            self.user_id, self.now, progress.update_uuid() if progress is not None else None
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
            async for chunk in self._emit(entity, query(parent_id, self.now, start, until), create_id):
                yield chunk
            yield _line(Entity.SyncAckV1.value, f"{entity.value}|{create_id}|{BACKFILL_COMPLETE}")

    async def _partner_assets(self) -> AsyncIterator[bytes]:
        repo = self.repo
        async for chunk in self._rows(Entity.PartnerAssetDeleteV1, repo.partner_asset_deletes):
            yield chunk
        async for chunk in self._backfill(
            Entity.PartnerAssetBackfillV2,
            Entity.PartnerAssetV2,
            repo.partners_created_after,
            repo.partner_asset_backfill,
        ):
            yield chunk
        async for chunk in self._rows(Entity.PartnerAssetV2, repo.partner_asset_upserts):
            yield chunk

    async def _partner_asset_exifs(self) -> AsyncIterator[bytes]:
        repo = self.repo
        async for chunk in self._backfill(
            Entity.PartnerAssetExifBackfillV1,
            Entity.PartnerAssetExifV1,
            repo.partners_created_after,
            repo.partner_exif_backfill,
        ):
            yield chunk
        async for chunk in self._rows(Entity.PartnerAssetExifV1, repo.partner_exif_upserts):
            yield chunk

    async def _partner_stacks(self) -> AsyncIterator[bytes]:
        repo = self.repo
        async for chunk in self._rows(Entity.PartnerStackDeleteV1, repo.partner_stack_deletes):
            yield chunk
        async for chunk in self._backfill(
            Entity.PartnerStackBackfillV1,
            Entity.PartnerStackV1,
            repo.partners_created_after,
            repo.partner_stack_backfill,
        ):
            yield chunk
        async for chunk in self._rows(Entity.PartnerStackV1, repo.partner_stack_upserts):
            yield chunk

    async def _album_users(self) -> AsyncIterator[bytes]:
        repo = self.repo
        async for chunk in self._rows(Entity.AlbumUserDeleteV1, repo.album_user_deletes):
            yield chunk
        async for chunk in self._backfill(
            Entity.AlbumUserBackfillV1, Entity.AlbumUserV1, repo.albums_joined_after, repo.album_user_backfill
        ):
            yield chunk
        async for chunk in self._rows(Entity.AlbumUserV1, repo.album_user_upserts):
            yield chunk

    async def _album_to_assets(self) -> AsyncIterator[bytes]:
        repo = self.repo
        async for chunk in self._rows(Entity.AlbumToAssetDeleteV1, repo.album_to_asset_deletes):
            yield chunk
        async for chunk in self._backfill(
            Entity.AlbumToAssetBackfillV1,
            Entity.AlbumToAssetV1,
            repo.albums_joined_after,
            repo.album_to_asset_backfill,
        ):
            yield chunk
        async for chunk in self._rows(Entity.AlbumToAssetV1, repo.album_to_asset_upserts):
            yield chunk

    async def _created_and_updated(
        self,
        create: Entity,
        update: Entity,
        creates: Query,
        updates: Callable[[uuid.UUID, uuid.UUID, uuid.UUID | None, uuid.UUID], Statement],
    ) -> AsyncIterator[bytes]:
        """Album assets (and their EXIF) come in two kinds: changes to ones the client has (keyed by the
        asset's update id), then ones newly in its albums (keyed by the album_asset row)."""
        known = self._after(create)
        if known is not None:
            statement = updates(self.user_id, self.now, self._after(update), known)
            async for chunk in self._emit(update, statement):
                yield chunk
        first = True
        async for chunk in self._emit(create, creates(self.user_id, self.now, known)):
            if first:
                # Whatever changed in assets it is receiving now arrives with them: skip those updates.
                yield _line(Entity.SyncAckV1.value, f"{update.value}|{self.now}")
                first = False
            yield chunk

    async def _album_assets(self) -> AsyncIterator[bytes]:
        repo = self.repo
        user_id = self.user_id

        def backfill(
            album_id: uuid.UUID, now: uuid.UUID, after: uuid.UUID | None, until: uuid.UUID
        ) -> Statement:
            return repo.album_asset_backfill(user_id, album_id, now, after, until)

        async for chunk in self._backfill(
            Entity.AlbumAssetBackfillV2, Entity.AlbumAssetCreateV2, repo.albums_joined_after, backfill
        ):
            yield chunk
        async for chunk in self._created_and_updated(
            Entity.AlbumAssetCreateV2,
            Entity.AlbumAssetUpdateV2,
            repo.album_asset_creates,
            repo.album_asset_updates,
        ):
            yield chunk

    async def _album_asset_exifs(self) -> AsyncIterator[bytes]:
        repo = self.repo
        async for chunk in self._backfill(
            Entity.AlbumAssetExifBackfillV1,
            Entity.AlbumAssetExifCreateV1,
            repo.albums_joined_after,
            repo.album_exif_backfill,
        ):
            yield chunk
        async for chunk in self._created_and_updated(
            Entity.AlbumAssetExifCreateV1,
            Entity.AlbumAssetExifUpdateV1,
            repo.album_exif_creates,
            repo.album_exif_updates,
        ):
            yield chunk
