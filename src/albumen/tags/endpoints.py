"""/tags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from pydantic import UUID4

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.tags.service import TagService

router = ImmichRouter()

# A tag without a parent or colour has no such field at all, as in Immich.
OMIT_NONE: dict[str, Any] = {"response_model_exclude_none": True}


def tag_service(db: DbDep) -> TagService:
    return TagService(db)


Service = Annotated[TagService, Depends(tag_service)]


@router.operation("getAllTags", **OMIT_NONE)
async def get_all_tags(auth: Auth, service: Service) -> list[dto.TagResponseDto]:
    return await service.get_all(auth)


@router.operation("createTag", **OMIT_NONE)
async def create_tag(body: dto.TagCreateDto, auth: Auth, service: Service) -> dto.TagResponseDto:
    return await service.create(auth, body)


@router.operation("upsertTags", **OMIT_NONE)
async def upsert_tags(body: dto.TagUpsertDto, auth: Auth, service: Service) -> list[dto.TagResponseDto]:
    return await service.upsert(auth, body)


# Before /tags/{id}, so "assets" is never read as an id.
@router.operation("bulkTagAssets")
async def bulk_tag_assets(
    body: dto.TagBulkAssetsDto, auth: Auth, service: Service
) -> dto.TagBulkAssetsResponseDto:
    return await service.bulk_tag(auth, body)


@router.operation("getTagById", **OMIT_NONE)
async def get_tag_by_id(id: UUID4, auth: Auth, service: Service) -> dto.TagResponseDto:
    return await service.get(auth, id)


@router.operation("updateTag", **OMIT_NONE)
async def update_tag(id: UUID4, body: dto.TagUpdateDto, auth: Auth, service: Service) -> dto.TagResponseDto:
    return await service.update(auth, id, body)


@router.operation("deleteTag")
async def delete_tag(id: UUID4, auth: Auth, service: Service) -> None:
    await service.delete(auth, id)


@router.operation("tagAssets", **OMIT_NONE)
async def tag_assets(
    id: UUID4, body: dto.BulkIdsDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.add_assets(auth, id, body)


@router.operation("untagAssets", **OMIT_NONE)
async def untag_assets(
    id: UUID4, body: dto.BulkIdsDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.remove_assets(auth, id, body)
