"""/api-keys."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from albumen.api_keys.service import ApiKeyService
from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


def api_key_service(db: DbDep) -> ApiKeyService:
    return ApiKeyService(db)


Service = Annotated[ApiKeyService, Depends(api_key_service)]


@router.operation("getApiKeys")
async def get_api_keys(auth: Auth, service: Service) -> list[dto.ApiKeyResponseDto]:
    return await service.list(auth)


@router.operation("createApiKey")
async def create_api_key(
    body: dto.ApiKeyCreateDto, auth: Auth, service: Service
) -> dto.ApiKeyCreateResponseDto:
    return await service.create(auth, body)


# Registered before /api-keys/{id} so "me" is not read as an id.
@router.operation("getMyApiKey")
async def get_my_api_key(auth: Auth, service: Service) -> dto.ApiKeyResponseDto:
    return await service.mine(auth)


@router.operation("getApiKey")
async def get_api_key(id: UUID, auth: Auth, service: Service) -> dto.ApiKeyResponseDto:
    return await service.get(auth, id)


@router.operation("updateApiKey")
async def update_api_key(
    id: UUID, body: dto.ApiKeyUpdateDto, auth: Auth, service: Service
) -> dto.ApiKeyResponseDto:
    return await service.update(auth, id, body)


@router.operation("deleteApiKey")
async def delete_api_key(id: UUID, auth: Auth, service: Service) -> None:
    await service.delete(auth, id)
