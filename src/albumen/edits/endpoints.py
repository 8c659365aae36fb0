"""/assets/{id}/edits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import UUID4

from albumen.edits.schemas import EditsBody, EditsResponse
from albumen.edits.service import EditService
from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter

router = ImmichRouter()


def edit_service(db: DbDep) -> EditService:
    return EditService(db)


Service = Annotated[EditService, Depends(edit_service)]


@router.operation("getAssetEdits")
async def get_asset_edits(id: UUID4, auth: Auth, service: Service) -> EditsResponse:
    return await service.get(auth, id)


@router.operation("editAsset")
async def edit_asset(id: UUID4, body: EditsBody, auth: Auth, service: Service) -> EditsResponse:
    return await service.apply(auth, id, body)


@router.operation("removeAssetEdits")
async def remove_asset_edits(id: UUID4, auth: Auth, service: Service) -> None:
    await service.remove(auth, id)
