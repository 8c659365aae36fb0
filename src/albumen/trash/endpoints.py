"""/trash: restore or empty the caller's trash (the rows live in the assets domain; its service tells
the clients once the transaction commits)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from albumen.assets.service import AssetService
from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


def asset_service(db: DbDep, container: ContainerDep) -> AssetService:
    return AssetService(db, container.storage)


Service = Annotated[AssetService, Depends(asset_service)]


@router.operation("emptyTrash")
async def empty_trash(auth: Auth, service: Service) -> dto.TrashResponseDto:
    return dto.TrashResponseDto(count=len(await service.empty_trash(auth)))


@router.operation("restoreTrash")
async def restore_trash(auth: Auth, service: Service) -> dto.TrashResponseDto:
    return dto.TrashResponseDto(count=len(await service.restore_trash(auth)))


@router.operation("restoreAssets")
async def restore_assets(body: dto.BulkIdsDto, auth: Auth, service: Service) -> dto.TrashResponseDto:
    ids = await service.restore(auth, [uuid.UUID(str(item.root)) for item in body.ids])
    return dto.TrashResponseDto(count=len(ids))
