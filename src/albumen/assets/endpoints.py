"""/assets."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from albumen.assets.service import AssetService
from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


def asset_service(db: DbDep) -> AssetService:
    return AssetService(db)


Service = Annotated[AssetService, Depends(asset_service)]


@router.operation("getAssetStatistics")
async def get_asset_statistics(
    auth: Auth,
    service: Service,
    isFavorite: bool | None = None,
    isTrashed: bool | None = None,
    visibility: dto.AssetVisibility | None = None,
) -> dto.AssetStatsResponseDto:
    return await service.statistics(auth, is_favorite=isFavorite, is_trashed=isTrashed, visibility=visibility)
