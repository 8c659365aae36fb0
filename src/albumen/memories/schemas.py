"""Memory rows as Immich's DTOs, and the query a memory search is made of."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from albumen.assets.schemas import asset_response
from albumen.immich import dto
from albumen.memories.repository import MemoryFilter, Shown
from albumen.models import Memory

UPDATABLE = ("isSaved", "seenAt", "memoryAt")


def memory_response(memory: Memory, assets: Sequence[Shown]) -> dto.MemoryResponseDto:
    """Dates without a value are left out (the endpoints serialise with exclude_unset), as in Immich."""
    optional: dict[str, Any] = {
        "deletedAt": memory.deleted_at,
        "seenAt": memory.seen_at,
        "showAt": memory.show_at,
        "hideAt": memory.hide_at,
    }
    return dto.MemoryResponseDto(
        id=memory.id,
        createdAt=memory.created_at,
        updatedAt=memory.updated_at,
        memoryAt=memory.memory_at,
        ownerId=memory.owner_id,
        type=dto.MemoryType(memory.type),
        data=dto.OnThisDayDto.model_validate(memory.data),
        isSaved=memory.is_saved,
        assets=[asset_response(asset, exif) for asset, exif in assets],
        **{name: value for name, value in optional.items() if value is not None},
    )


def memory_filter(
    *,
    on: date | None,
    is_saved: bool | None,
    is_trashed: bool | None,
    memory_type: dto.MemoryType | None,
    order: dto.MemorySearchOrder | None,
    size: int | None,
) -> MemoryFilter:
    return MemoryFilter(
        on=start_of(on) if on is not None else None,
        is_saved=is_saved,
        is_trashed=is_trashed,
        type=memory_type.value if memory_type is not None else None,
        order=order.value if order is not None else "desc",
        size=size,
    )


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """The last millisecond of the day, as Immich's hideAt."""
    return start_of(day) + timedelta(days=1) - timedelta(milliseconds=1)
