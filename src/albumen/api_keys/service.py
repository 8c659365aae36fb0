"""API keys: create (secret shown once), list, update, delete; a key never grants more than it holds."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.api_keys.repository import ApiKeyRepository
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit import crypto
from albumen.kit.errors import BadRequest, Forbidden
from albumen.models import ApiKey

DEFAULT_NAME = "API Key"


def api_key_dto(key: ApiKey) -> dto.ApiKeyResponseDto:
    return dto.ApiKeyResponseDto(
        id=key.id,
        name=key.name,
        createdAt=key.created_at,
        updatedAt=key.updated_at,
        permissions=[dto.Permission(p) for p in key.permissions],
    )


def _ensure_grantable(auth: AuthContext, requested: Iterable[dto.Permission]) -> None:
    if auth.api_key is None:
        return
    if not all(auth.holds(permission) for permission in requested):
        raise BadRequest("Cannot grant permissions you do not have")


class ApiKeyService:
    def __init__(self, db: AsyncSession) -> None:
        self.keys = ApiKeyRepository(db)
        self.access = AccessService(db)

    async def create(self, auth: AuthContext, body: dto.ApiKeyCreateDto) -> dto.ApiKeyCreateResponseDto:
        _ensure_grantable(auth, body.permissions)
        secret = crypto.random_token()
        key = await self.keys.create(
            name=body.name or DEFAULT_NAME,
            key=crypto.token_digest(secret),
            user_id=auth.user.id,
            permissions=sorted({p.value for p in body.permissions}),
        )
        return dto.ApiKeyCreateResponseDto(secret=secret, apiKey=api_key_dto(key))

    async def list(self, auth: AuthContext) -> list[dto.ApiKeyResponseDto]:
        return [api_key_dto(key) for key in await self.keys.list_for_user(auth.user.id)]

    async def get(self, auth: AuthContext, key_id: uuid.UUID) -> dto.ApiKeyResponseDto:
        return api_key_dto(await self._owned(auth, key_id))

    async def mine(self, auth: AuthContext) -> dto.ApiKeyResponseDto:
        if auth.api_key is None:
            raise Forbidden("Not authenticated with an API Key")
        return api_key_dto(await self._owned(auth, auth.api_key.id))

    async def update(
        self, auth: AuthContext, key_id: uuid.UUID, body: dto.ApiKeyUpdateDto
    ) -> dto.ApiKeyResponseDto:
        await self._owned(auth, key_id)
        if body.permissions is not None:
            _ensure_grantable(auth, body.permissions)
        key = await self.keys.update(
            auth.user.id,
            key_id,
            name=body.name,
            permissions=sorted({p.value for p in body.permissions}) if body.permissions is not None else None,
        )
        assert key is not None
        return api_key_dto(key)

    async def delete(self, auth: AuthContext, key_id: uuid.UUID) -> None:
        await self._owned(auth, key_id)
        await self.keys.delete(auth.user.id, key_id)

    async def _owned(self, auth: AuthContext, key_id: uuid.UUID) -> ApiKey:
        # Immich answers "API Key not found" (400) for a key that is missing or someone else's.
        if not await self.access.allowed(auth, dto.Permission.apiKey_read, [key_id]):
            raise BadRequest("API Key not found")
        key = await self.keys.get(auth.user.id, key_id)
        if key is None:
            raise BadRequest("API Key not found")
        return key
