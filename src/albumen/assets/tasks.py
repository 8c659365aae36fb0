"""Background asset work: trash past `trash.days` deleted for good (rows first, files after), and the
storage template applied to originals with every move recorded before it starts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.assets.repository import AssetRepository
from albumen.assets.service import AssetService
from albumen.kit.db import Database
from albumen.storage.base import StorageBackend
from albumen.storage.repository import Move, MoveRepository, entity_locked
from albumen.storage.template import (
    StorageTemplate,
    TemplateAsset,
    TemplateError,
    compile_template,
    library_key,
    resolve_collision,
)
from albumen.storage.transfer import move_object

log = structlog.get_logger("albumen.assets")
PURGE_BATCH = 500


async def purge_expired_trash(
    database: Database, storage: Mapping[str, StorageBackend], days: int, *, now: datetime | None = None
) -> int:
    """Deletes assets trashed more than `days` ago, a batch per transaction; each batch's files go
    only after its rows are committed, so a crash never leaves a row pointing at a deleted file."""
    before = (now or datetime.now(UTC)) - timedelta(days=days)
    purged = 0
    while True:
        async with database.unit_of_work() as db:  # each batch's files go once its rows are committed
            service = AssetService(db, storage)
            ids = await service.repository.expired_trash(before, PURGE_BATCH)
            if ids:
                await service.purge(ids)
        if not ids:
            break
        purged += len(ids)
    if purged:
        log.info("trash purged", count=purged, older_than_days=days)
    return purged


@dataclass(frozen=True, slots=True)
class TemplateSettings:
    enabled: bool
    template: str
    verify_hash: bool

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> TemplateSettings:
        section = config["storageTemplate"]
        return cls(
            bool(section["enabled"]), str(section["template"]), bool(section["hashVerificationEnabled"])
        )


async def apply_storage_template(
    database: Database, storage: Mapping[str, StorageBackend], asset_id: uuid.UUID, settings: TemplateSettings
) -> str | None:
    """Moves one asset's original (and sidecar) to where the template puts it; returns the new key,
    or None when it stays.

    One mover per asset at a time (an advisory lock, across processes): a second run for the same
    asset (a job re-run, the bulk migration meeting the upload chain) waits, then finds the asset
    already in place. A target is claimed under a lock on its name and recorded in move_history,
    committed before any byte moves, so two assets never get one path and a crash is finished by
    `finish_pending_moves`; the asset row changes only after the file is in place.
    """
    originals = storage["originals"]
    template = compile_template(settings.template)
    async with entity_locked(database.engine, asset_id):
        async with database.unit_of_work() as db:
            moves_repository = MoveRepository(db)
            checksum, moves = await _plan_move(db, originals, template, asset_id)
            if checksum is None or not moves:
                return None
            # A dead mover's recorded move is finished with the checksum, which tells whether its
            # bytes already arrived; a new move is checked only if the config asks for it.
            if not await moves_repository.pending(asset_id):
                moves_repository.record(asset_id, moves)
                checksum = checksum if settings.verify_hash else None
        await _carry_out(database, originals, asset_id, moves, checksum)
    return moves[0][2]


async def _plan_move(
    db: AsyncSession, originals: StorageBackend, template: StorageTemplate, asset_id: uuid.UUID
) -> tuple[bytes | None, list[Move]]:
    """The asset's checksum and the moves that put it where the template says (none: it stays)."""
    repository, moves_repository = AssetRepository(db), MoveRepository(db)
    asset = await repository.get(asset_id)
    if asset is None or asset.library_id is not None or asset.is_external:
        return None, []
    if pending := await moves_repository.pending(asset_id):
        # Recorded by a mover that died (a live one would hold the asset's lock): finish its move.
        return asset.checksum, pending
    exif = await repository.exif(asset_id)
    album = await repository.first_album(asset_id) if template.needs_album else None
    facts = TemplateAsset(
        asset_id=asset.id,
        original_file_name=asset.original_file_name,
        extension=PurePosixPath(asset.original_path).suffix.lstrip("."),
        file_created_at=asset.local_date_time.replace(tzinfo=None),
        is_image=asset.type == "IMAGE",
        make=exif.make if exif else None,
        model=exif.model if exif else None,
        lens_model=exif.lens_model if exif else None,
        album_name=album[0] if album else None,
        album_start_date=album[1].replace(tzinfo=None) if album and album[1] else None,
        album_end_date=album[2].replace(tzinfo=None) if album and album[2] else None,
    )
    try:
        wanted = library_key(
            template,
            facts,
            owner_id=asset.owner_id,
            storage_label=await repository.storage_label(asset.owner_id),
        )
    except TemplateError as error:
        log.warning("storage template cannot place asset", asset_id=str(asset_id), error=str(error))
        return None, []

    async def taken(key: str) -> bool:
        return await moves_repository.claimed(key) or await originals.exists(key)

    await moves_repository.lock_target(wanted)
    target = await resolve_collision(wanted, taken, current_key=asset.original_path)
    if target == asset.original_path:
        return None, []
    moves: list[Move] = [("original", asset.original_path, target)]
    sidecar = await repository.file(asset_id, "sidecar")
    if sidecar is not None:
        moves.append(("sidecar", sidecar.path, f"{target}.xmp"))
    return asset.checksum, moves


async def _carry_out(
    database: Database,
    originals: StorageBackend,
    asset_id: uuid.UUID,
    moves: list[Move],
    checksum: bytes | None,
) -> None:
    for path_type, old, new in moves:
        await move_object(
            originals, old, originals, new, expected_sha1=checksum if path_type == "original" else None
        )
    async with database.unit_of_work() as db:
        repository = AssetRepository(db)
        for path_type, _, new in moves:
            if path_type == "original":
                await repository.update([asset_id], original_path=new)
            else:
                await repository.add_file(asset_id, path_type, new)
        await MoveRepository(db).clear(asset_id)


async def finish_pending_moves(database: Database, storage: Mapping[str, StorageBackend]) -> int:
    """Completes moves a crash interrupted: whatever side the bytes are on, the row ends up pointing
    at the new key. Returns how many assets were repaired. A move still under way elsewhere is
    waited for (the asset's lock), then found finished."""
    originals = storage["originals"]
    async with database.unit_of_work() as db:
        entities = await MoveRepository(db).pending_entities()
    repaired = 0
    for asset_id in entities:
        async with entity_locked(database.engine, asset_id):
            async with database.unit_of_work() as db:
                moves = await MoveRepository(db).pending(asset_id)
                asset = await AssetRepository(db).get(asset_id)
                if moves and asset is None:  # deleted meanwhile: nothing to point at
                    await MoveRepository(db).clear(asset_id)
            if not moves or asset is None:
                continue
            try:
                await _carry_out(database, originals, asset_id, moves, asset.checksum)
                repaired += 1
            except Exception as error:  # keep the record: the bytes are still somewhere it names
                log.error("could not finish a move", asset_id=str(asset_id), error=str(error))
    return repaired


async def migrate_storage_template(
    database: Database,
    storage: Mapping[str, StorageBackend],
    settings: TemplateSettings,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Applies the template to every uploaded asset (Immich's StorageTemplateMigration); returns how
    many moved. Pages by id, so assets added meanwhile are reached too."""
    await finish_pending_moves(database, storage)
    moved, after = 0, None
    while True:
        async with database.unit_of_work() as db:
            batch = await AssetRepository(db).template_candidates(after, PURGE_BATCH)
        if not batch:
            return moved
        for asset_id in batch:
            if await apply_storage_template(database, storage, asset_id, settings) is not None:
                moved += 1
            if progress is not None:
                progress(1)
        after = batch[-1]
