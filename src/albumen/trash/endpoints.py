"""/trash: restore or empty the caller's trash (the rows live in the assets domain).

Clients hear about it over the websocket after the transaction commits (background tasks run after the
response is sent, and the response is sent after the commit).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import BackgroundTasks, Depends

from albumen.assets.service import AssetService
from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


def asset_service(db: DbDep, container: ContainerDep) -> AssetService:
    return AssetService(db, container.storage)


Service = Annotated[AssetService, Depends(asset_service)]


@router.operation("emptyTrash")
async def empty_trash(
    auth: Auth, service: Service, container: ContainerDep, background: BackgroundTasks
) -> dto.TrashResponseDto:
    ids, files = await service.empty_trash(auth)
    background.add_task(service.remove_files, files)
    for asset_id in ids:
        background.add_task(container.events.asset_delete, auth.user.id, asset_id)
    return dto.TrashResponseDto(count=len(ids))


@router.operation("restoreTrash")
async def restore_trash(
    auth: Auth, service: Service, container: ContainerDep, background: BackgroundTasks
) -> dto.TrashResponseDto:
    ids = await service.restore_trash(auth)
    if ids:
        background.add_task(container.events.asset_restore, auth.user.id, ids)
    return dto.TrashResponseDto(count=len(ids))


@router.operation("restoreAssets")
async def restore_assets(
    body: dto.BulkIdsDto, auth: Auth, service: Service, container: ContainerDep, background: BackgroundTasks
) -> dto.TrashResponseDto:
    ids = await service.restore(auth, [uuid.UUID(str(item.root)) for item in body.ids])
    background.add_task(container.events.asset_restore, auth.user.id, ids)
    return dto.TrashResponseDto(count=len(ids))
