"""Partner sharing as in Immich v3.1.0: a user shares their whole library with another, who may show
it in their own timeline."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.partners.repository import PartnerRepository
from albumen.partners.schemas import partner_dto
from albumen.users.repository import UserRepository


class PartnerService:
    def __init__(self, db: AsyncSession) -> None:
        self.partners = PartnerRepository(db)
        self.users = UserRepository(db)
        self.access = AccessService(db)

    async def list(self, auth: AuthContext, direction: dto.PartnerDirection) -> list[dto.PartnerResponseDto]:
        if direction == dto.PartnerDirection.shared_by:
            rows = await self.partners.shared_by(auth.user.id)
        else:
            rows = await self.partners.shared_with(auth.user.id)
        return [partner_dto(partner, other) for partner, other in rows]

    async def create(self, auth: AuthContext, shared_with_id: uuid.UUID) -> dto.PartnerResponseDto:
        if await self.partners.get(auth.user.id, shared_with_id) is not None:
            raise BadRequest("Partner already exists")
        other = await self.users.get(shared_with_id)
        if other is None:
            raise BadRequest("User not found")
        return partner_dto(await self.partners.create(auth.user.id, shared_with_id), other)

    async def update(
        self, auth: AuthContext, shared_by_id: uuid.UUID, in_timeline: bool
    ) -> dto.PartnerResponseDto:
        """Only the side shared with decides whether the partner shows in its timeline."""
        await self.access.require(auth, dto.Permission.partner_update, [shared_by_id])
        await self.partners.set_in_timeline(shared_by_id, auth.user.id, in_timeline)
        partner = await self.partners.get(shared_by_id, auth.user.id)
        other = await self.users.get(shared_by_id, with_deleted=True)
        assert partner is not None
        assert other is not None
        return partner_dto(partner, other)

    async def remove(self, auth: AuthContext, shared_with_id: uuid.UUID) -> None:
        if await self.partners.get(auth.user.id, shared_with_id) is None:
            raise BadRequest("Partner not found")
        await self.partners.remove(auth.user.id, shared_with_id)
