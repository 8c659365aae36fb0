"""/stacks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import UUID4

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.stacks.service import StackService

router = ImmichRouter()


def stack_service(db: DbDep) -> StackService:
    return StackService(db)


Service = Annotated[StackService, Depends(stack_service)]


@router.operation("searchStacks")
async def search_stacks(
    auth: Auth,
    service: Service,
    primary_asset_id: Annotated[UUID4 | None, Query(alias="primaryAssetId")] = None,
) -> list[dto.StackResponseDto]:
    return await service.search(auth, primary_asset_id)


@router.operation("createStack")
async def create_stack(body: dto.StackCreateDto, auth: Auth, service: Service) -> dto.StackResponseDto:
    return await service.create(auth, body)


@router.operation("deleteStacks")
async def delete_stacks(body: dto.BulkIdsDto, auth: Auth, service: Service) -> None:
    await service.delete(auth, [item.root for item in body.ids])


@router.operation("getStack")
async def get_stack(id: UUID4, auth: Auth, service: Service) -> dto.StackResponseDto:
    return await service.get(auth, id)


@router.operation("updateStack")
async def update_stack(
    id: UUID4, body: dto.StackUpdateDto, auth: Auth, service: Service
) -> dto.StackResponseDto:
    return await service.update(auth, id, body)


@router.operation("deleteStack")
async def delete_stack(id: UUID4, auth: Auth, service: Service) -> None:
    await service.delete(auth, [id])


@router.operation("removeAssetFromStack")
async def remove_asset_from_stack(id: UUID4, assetId: UUID4, auth: Auth, service: Service) -> None:
    await service.remove_asset(auth, id, assetId)
