"""/albums."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import UUID4

from albumen.albums.service import AlbumService
from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool

router = ImmichRouter()

# Optional fields without a value are left out of the reply rather than sent as null, as Immich does.
OMIT_UNSET: dict[str, Any] = {"response_model_exclude_unset": True}


def album_service(db: DbDep) -> AlbumService:
    return AlbumService(db)


Service = Annotated[AlbumService, Depends(album_service)]


@router.operation("getAllAlbums", **OMIT_UNSET)
async def get_all_albums(
    auth: Auth,
    service: Service,
    asset_id: Annotated[UUID4 | None, Query(alias="assetId")] = None,
    album_id: Annotated[UUID4 | None, Query(alias="id")] = None,
    name: str | None = None,
    is_owned: Annotated[QueryBool | None, Query(alias="isOwned")] = None,
    is_shared: Annotated[QueryBool | None, Query(alias="isShared")] = None,
) -> list[dto.AlbumResponseDto]:
    return await service.get_all(
        auth, asset_id=asset_id, album_id=album_id, name=name, is_owned=is_owned, is_shared=is_shared
    )


@router.operation("createAlbum", **OMIT_UNSET)
async def create_album(body: dto.CreateAlbumDto, auth: Auth, service: Service) -> dto.AlbumResponseDto:
    return await service.create(auth, body)


# Fixed paths before /albums/{id}, so "statistics" and "assets" are never read as an id.
@router.operation("getAlbumStatistics")
async def get_album_statistics(auth: Auth, service: Service) -> dto.AlbumStatisticsResponseDto:
    return await service.statistics(auth)


@router.operation("addAssetsToAlbums", **OMIT_UNSET)
async def add_assets_to_albums(
    body: dto.AlbumsAddAssetsDto, auth: Auth, service: Service
) -> dto.AlbumsAddAssetsResponseDto:
    return await service.add_assets_to_albums(auth, body)


@router.operation("getAlbumInfo", **OMIT_UNSET)
async def get_album_info(id: UUID4, auth: Auth, service: Service) -> dto.AlbumResponseDto:
    return await service.get(auth, id)


@router.operation("updateAlbumInfo", **OMIT_UNSET)
async def update_album_info(
    id: UUID4, body: dto.UpdateAlbumDto, auth: Auth, service: Service
) -> dto.AlbumResponseDto:
    return await service.update(auth, id, body)


@router.operation("deleteAlbum")
async def delete_album(id: UUID4, auth: Auth, service: Service) -> None:
    await service.delete(auth, id)


@router.operation("addAssetsToAlbum", **OMIT_UNSET)
async def add_assets_to_album(
    id: UUID4, body: dto.BulkIdsDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.add_assets(auth, id, body)


@router.operation("removeAssetFromAlbum", **OMIT_UNSET)
async def remove_asset_from_album(
    id: UUID4, body: dto.BulkIdsDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.remove_assets(auth, id, body)


@router.operation("addUsersToAlbum", **OMIT_UNSET)
async def add_users_to_album(
    id: UUID4, body: dto.AddUsersDto, auth: Auth, service: Service
) -> dto.AlbumResponseDto:
    return await service.add_users(auth, id, body)


@router.operation("updateAlbumUser")
async def update_album_user(
    id: UUID4, userId: str, body: dto.UpdateAlbumUserDto, auth: Auth, service: Service
) -> None:
    await service.update_user(auth, id, userId, body)


@router.operation("removeUserFromAlbum")
async def remove_user_from_album(id: UUID4, userId: str, auth: Auth, service: Service) -> None:
    await service.remove_user(auth, id, userId)
