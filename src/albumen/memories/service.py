"""Memories: the owner's "on this day" collections, read and kept by the clients' memory lane, made
nightly from the library and cleaned up when old and unsaved.

Behaviour follows Immich v3.1.0's memory service.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.albums.schemas import sort_additions, sort_removals
from albumen.assets.schemas import unique_ids
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.memories.repository import ON_THIS_DAY, MemoryFilter, MemoryRepository
from albumen.memories.schemas import UPDATABLE, end_of, memory_response, start_of
from albumen.models import Memory
from albumen.system.repository import SystemMetadataRepository
from albumen.users.schemas import null_fields

log = structlog.get_logger("albumen.memories")

# Immich makes "on this day" memories for the days from 3 before today to 3 after.
DAYS_AROUND = 3
STATE_KEY = "memories-state"
GENERATION_LOCK = "albumen:memory-creation"
UNSAVED_KEPT_FOR = timedelta(days=30)


class MemoryService:
    def __init__(self, db: AsyncSession) -> None:
        self.memories = MemoryRepository(db)
        self.access = AccessService(db)
        self.metadata = SystemMetadataRepository(db)

    # --- reading -------------------------------------------------------------------------------

    async def search(self, auth: AuthContext, wanted: MemoryFilter) -> list[dto.MemoryResponseDto]:
        """Memories with nothing left to show (their assets gone or hidden) are left out."""
        memories = await self.memories.search(auth.user.id, wanted)
        assets = await self.memories.shown_assets([m.id for m in memories], without_hidden_people=True)
        return [memory_response(memory, assets[memory.id]) for memory in memories if assets.get(memory.id)]

    async def statistics(self, auth: AuthContext, wanted: MemoryFilter) -> dto.MemoryStatisticsResponseDto:
        return dto.MemoryStatisticsResponseDto(total=await self.memories.count(auth.user.id, wanted))

    async def get(self, auth: AuthContext, memory_id: uuid.UUID) -> dto.MemoryResponseDto:
        await self.access.require(auth, dto.Permission.memory_read, [memory_id])
        return await self._describe(await self._find(memory_id))

    # --- writing -------------------------------------------------------------------------------

    async def create(self, auth: AuthContext, body: dto.MemoryCreateDto) -> dto.MemoryResponseDto:
        """Assets the caller may not share are left out silently, as Immich does."""
        issues = null_fields(body, ("assetIds", "isSaved", "seenAt", "showAt", "hideAt"))
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        wanted = unique_ids([asset_id.root for asset_id in body.assetIds or []])
        allowed = await self.access.allowed(auth, dto.Permission.asset_share, wanted)
        memory = Memory(
            owner_id=auth.user.id,
            type=body.type.value,
            data=body.data.model_dump(),
            is_saved=bool(body.isSaved),
            memory_at=body.memoryAt,
            seen_at=body.seenAt,
            show_at=body.showAt,
            hide_at=body.hideAt,
        )
        memory = await self.memories.create(memory, [asset_id for asset_id in wanted if asset_id in allowed])
        return await self._describe(memory)

    async def update(
        self, auth: AuthContext, memory_id: uuid.UUID, body: dto.MemoryUpdateDto
    ) -> dto.MemoryResponseDto:
        sent = body.model_dump(include=set(UPDATABLE), exclude_unset=True)
        issues = null_fields(body, UPDATABLE)
        if not sent:
            issues.append(
                {
                    "code": "custom",
                    "path": [],
                    "message": f"At least one of the following fields is required: {', '.join(UPDATABLE)}",
                }
            )
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        await self.access.require(auth, dto.Permission.memory_update, [memory_id])
        columns = {"isSaved": "is_saved", "seenAt": "seen_at", "memoryAt": "memory_at"}
        await self.memories.update(memory_id, **{columns[name]: value for name, value in sent.items()})
        return await self._describe(await self._find(memory_id, fresh=True))

    async def delete(self, auth: AuthContext, memory_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.memory_delete, [memory_id])
        await self.memories.delete([memory_id])

    async def add_assets(
        self, auth: AuthContext, memory_id: uuid.UUID, body: dto.BulkIdsDto
    ) -> list[dto.BulkIdResponseDto]:
        await self.access.require(auth, dto.Permission.memory_read, [memory_id])
        ids = [item.root for item in body.ids]
        present = await self.memories.asset_ids(memory_id, ids)
        allowed = await self.access.allowed(auth, dto.Permission.asset_share, set(ids) - present)
        results, added = sort_additions(ids, present, allowed)
        if added:
            await self.memories.add_assets(memory_id, added)
            await self.memories.update(memory_id)
        return results

    async def remove_assets(
        self, auth: AuthContext, memory_id: uuid.UUID, body: dto.BulkIdsDto
    ) -> list[dto.BulkIdResponseDto]:
        await self.access.require(auth, dto.Permission.memory_update, [memory_id])
        ids = [item.root for item in body.ids]
        present = await self.memories.asset_ids(memory_id, ids)
        # Whoever may delete the memory may take anything out of it; others only what they may share.
        if await self.access.allowed(auth, dto.Permission.memory_delete, [memory_id]):
            allowed = set(present)
        else:
            allowed = await self.access.allowed(auth, dto.Permission.asset_share, present)
        results, removed = sort_removals(ids, present, allowed)
        if removed:
            await self.memories.remove_assets(memory_id, removed)
            await self.memories.update(memory_id)
        return results

    # --- the nightly jobs ------------------------------------------------------------------------

    async def generate(self, today: date) -> int:
        """ "On this day" memories for each user and each day from DAYS_AROUND before `today` to
        DAYS_AROUND after, skipping days an earlier run already did (kept in `memories-state`, changed
        under a lock so concurrent runs do not both make them). Returns how many were made."""
        await self.metadata.hold(GENERATION_LOCK)
        state: dict[str, Any] = await self.metadata.get(STATE_KEY) or {}
        start = today - timedelta(days=DAYS_AROUND)
        done_until = _state_day(state) or start
        users = await self.memories.active_user_ids()
        earliest = await self.memories.earliest_year()
        created = 0
        for offset in range(2 * DAYS_AROUND + 1):
            target = start + timedelta(days=offset)
            if target <= done_until:
                continue
            if earliest is not None:
                for owner_id in users:
                    created += await self._on_this_day(owner_id, target, earliest)
            state = {**state, "lastOnThisDayDate": f"{target.isoformat()}T00:00:00.000Z"}
            await self.metadata.set(STATE_KEY, state)
        log.info("memories generated", created=created, until=state.get("lastOnThisDayDate"))
        return created

    async def _on_this_day(self, owner_id: uuid.UUID, target: date, earliest_year: int) -> int:
        """One memory per earlier year with assets taken on the target's month and day."""
        show_at, hide_at = start_of(target), end_of(target)
        days = []
        for year in range(earliest_year, target.year):
            try:
                days.append(target.replace(year=year))
            except ValueError:  # 29 February of a year that has none
                continue
        created = 0
        for year, asset_ids in sorted((await self.memories.taken_on(owner_id, days)).items()):
            if await self.memories.has_on_this_day(owner_id, year, show_at):
                continue
            memory = Memory(
                owner_id=owner_id,
                type=ON_THIS_DAY,
                data={"year": year},
                memory_at=start_of(target.replace(year=year)),
                show_at=show_at,
                hide_at=hide_at,
            )
            await self.memories.create(memory, asset_ids)
            created += 1
        return created

    async def clean_up(self, now: datetime) -> tuple[int, int]:
        """Assets off the timeline leave their memories; unsaved memories older than 30 days go.
        Returns (asset entries removed, memories removed)."""
        entries = await self.memories.drop_assets_off_the_timeline()
        memories = await self.memories.delete(
            await self.memories.unsaved_created_before(now - UNSAVED_KEPT_FOR)
        )
        return entries, memories

    # --- helpers ---------------------------------------------------------------------------------

    async def _find(self, memory_id: uuid.UUID, *, fresh: bool = False) -> Memory:
        memory = await self.memories.get(memory_id)
        if memory is None:
            raise BadRequest("Memory not found")
        if fresh:
            await self.memories.db.refresh(memory)
        return memory

    async def _describe(self, memory: Memory) -> dto.MemoryResponseDto:
        assets = await self.memories.shown_assets([memory.id])
        return memory_response(memory, assets.get(memory.id, []))


def _state_day(state: dict[str, Any]) -> date | None:
    value = state.get("lastOnThisDayDate")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None
