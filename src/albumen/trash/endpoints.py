"""/trash: restore or empty the caller's trash (the rows live in the assets domain)."""

from __future__ import annotations

import uuid

from fastapi import BackgroundTasks

from albumen.assets.endpoints import Service
from albumen.http.deps import Auth
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


@router.operation("emptyTrash")
async def empty_trash(auth: Auth, service: Service, background: BackgroundTasks) -> dto.TrashResponseDto:
    count, files = await service.empty_trash(auth)
    background.add_task(service.remove_files, files)  # after the response, so after the commit
    return dto.TrashResponseDto(count=count)


@router.operation("restoreTrash")
async def restore_trash(auth: Auth, service: Service) -> dto.TrashResponseDto:
    return dto.TrashResponseDto(count=await service.restore_trash(auth))


@router.operation("restoreAssets")
async def restore_assets(body: dto.BulkIdsDto, auth: Auth, service: Service) -> dto.TrashResponseDto:
    ids = [uuid.UUID(str(item.root)) for item in body.ids]
    return dto.TrashResponseDto(count=await service.restore(auth, ids))
