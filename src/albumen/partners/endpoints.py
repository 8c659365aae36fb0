"""/partners."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import UUID4

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.partners.service import PartnerService

router = ImmichRouter()


def partner_service(db: DbDep) -> PartnerService:
    return PartnerService(db)


Service = Annotated[PartnerService, Depends(partner_service)]


@router.operation("getPartners")
async def get_partners(
    direction: dto.PartnerDirection, auth: Auth, service: Service
) -> list[dto.PartnerResponseDto]:
    return await service.list(auth, direction)


@router.operation("createPartner")
async def create_partner(body: dto.PartnerCreateDto, auth: Auth, service: Service) -> dto.PartnerResponseDto:
    return await service.create(auth, body.sharedWithId)


@router.operation("createPartnerDeprecated")
async def create_partner_deprecated(id: UUID4, auth: Auth, service: Service) -> dto.PartnerResponseDto:
    return await service.create(auth, id)


@router.operation("updatePartner")
async def update_partner(
    id: UUID4, body: dto.PartnerUpdateDto, auth: Auth, service: Service
) -> dto.PartnerResponseDto:
    return await service.update(auth, id, body.inTimeline)


@router.operation("removePartner")
async def remove_partner(id: UUID4, auth: Auth, service: Service) -> None:
    await service.remove(auth, id)
