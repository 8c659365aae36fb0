"""/memories."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import UUID4

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool, QueryDate
from albumen.memories.repository import MemoryFilter
from albumen.memories.schemas import memory_filter
from albumen.memories.service import MemoryService

router = ImmichRouter()

# Dates without a value are left out of the reply rather than sent as null, as Immich does.
OMIT_UNSET: dict[str, Any] = {"response_model_exclude_unset": True}


def memory_service(db: DbDep) -> MemoryService:
    return MemoryService(db)


def search_filter(
    on: Annotated[QueryDate | None, Query(alias="for")] = None,
    is_saved: Annotated[QueryBool | None, Query(alias="isSaved")] = None,
    is_trashed: Annotated[QueryBool | None, Query(alias="isTrashed")] = None,
    memory_type: Annotated[dto.MemoryType | None, Query(alias="type")] = None,
    order: dto.MemorySearchOrder | None = None,
    size: Annotated[int | None, Query(ge=1)] = None,
) -> MemoryFilter:
    return memory_filter(
        on=on, is_saved=is_saved, is_trashed=is_trashed, memory_type=memory_type, order=order, size=size
    )


Service = Annotated[MemoryService, Depends(memory_service)]
Filter = Annotated[MemoryFilter, Depends(search_filter)]


@router.operation("searchMemories", **OMIT_UNSET)
async def search_memories(auth: Auth, service: Service, wanted: Filter) -> list[dto.MemoryResponseDto]:
    return await service.search(auth, wanted)


@router.operation("createMemory", **OMIT_UNSET)
async def create_memory(body: dto.MemoryCreateDto, auth: Auth, service: Service) -> dto.MemoryResponseDto:
    return await service.create(auth, body)


# Before /memories/{id}, so "statistics" is never read as an id.
@router.operation("memoriesStatistics")
async def memories_statistics(
    auth: Auth, service: Service, wanted: Filter
) -> dto.MemoryStatisticsResponseDto:
    return await service.statistics(auth, wanted)


@router.operation("getMemory", **OMIT_UNSET)
async def get_memory(id: UUID4, auth: Auth, service: Service) -> dto.MemoryResponseDto:
    return await service.get(auth, id)


@router.operation("updateMemory", **OMIT_UNSET)
async def update_memory(
    id: UUID4, body: dto.MemoryUpdateDto, auth: Auth, service: Service
) -> dto.MemoryResponseDto:
    return await service.update(auth, id, body)


@router.operation("deleteMemory")
async def delete_memory(id: UUID4, auth: Auth, service: Service) -> None:
    await service.delete(auth, id)


@router.operation("addMemoryAssets", **OMIT_UNSET)
async def add_memory_assets(
    id: UUID4, body: dto.BulkIdsDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.add_assets(auth, id, body)


@router.operation("removeMemoryAssets", **OMIT_UNSET)
async def remove_memory_assets(
    id: UUID4, body: dto.BulkIdsDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.remove_assets(auth, id, body)
