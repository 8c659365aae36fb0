"""/shared-links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import UUID4

from albumen.container import Container
from albumen.http.cookies import SHARED_LINK_TOKEN_COOKIE, SHARED_LINK_TOKEN_MAX_AGE_SECONDS, set_cookie
from albumen.http.deps import Auth, ContainerDep, DbDep, login_details, shared_link_tokens
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.immich.spec import operations
from albumen.shared_links.schemas import merge_tokens
from albumen.shared_links.service import SharedLinkService
from albumen.web.service import UNTAGGED_SHARE, OpenGraphTags, ShareRef

router = ImmichRouter()


def shared_link_service(db: DbDep, container: ContainerDep) -> SharedLinkService:
    return SharedLinkService(db, container.settings.config_file)


Service = Annotated[SharedLinkService, Depends(shared_link_service)]
# The replies are built as JSON (a link without metadata shows sanitized assets, which the typed
# model cannot express); the spec's model still documents them.
ONE: dict[str, Any] = {"response_model": dto.SharedLinkResponseDto}
MANY: dict[str, Any] = {"response_model": list[dto.SharedLinkResponseDto]}


def _json(operation_id: str, body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=operations()[operation_id].status_code)


@router.operation("getAllSharedLinks", **MANY)
async def get_all_shared_links(
    auth: Auth,
    service: Service,
    album_id: Annotated[UUID4 | None, Query(alias="albumId")] = None,
    link_id: Annotated[UUID4 | None, Query(alias="id")] = None,
) -> JSONResponse:
    return _json("getAllSharedLinks", await service.get_all(auth, link_id=link_id, album_id=album_id))


@router.operation("createSharedLink", **ONE)
async def create_shared_link(body: dto.SharedLinkCreateDto, auth: Auth, service: Service) -> JSONResponse:
    return _json("createSharedLink", await service.create(auth, body))


# Fixed paths before /shared-links/{id}.
@router.operation("sharedLinkLogin", **ONE)
async def shared_link_login(
    body: dto.SharedLinkLoginDto, request: Request, auth: Auth, service: Service
) -> JSONResponse:
    result = await service.login(auth, body)
    response = _json("sharedLinkLogin", result.body)
    set_cookie(
        response,
        SHARED_LINK_TOKEN_COOKIE,
        merge_tokens(shared_link_tokens(request), result.token),
        secure=login_details(request).is_secure,
        max_age=SHARED_LINK_TOKEN_MAX_AGE_SECONDS,
    )
    return response


@router.operation("getMySharedLink", **ONE)
async def get_my_shared_link(auth: Auth, service: Service) -> JSONResponse:
    return _json("getMySharedLink", await service.get_mine(auth))


@router.operation("getSharedLinkById", **ONE)
async def get_shared_link_by_id(id: UUID4, auth: Auth, service: Service) -> JSONResponse:
    return _json("getSharedLinkById", await service.get(auth, id))


@router.operation("updateSharedLink", **ONE)
async def update_shared_link(
    id: UUID4, body: dto.SharedLinkEditDto, auth: Auth, service: Service
) -> JSONResponse:
    return _json("updateSharedLink", await service.update(auth, id, body))


@router.operation("removeSharedLink")
async def remove_shared_link(id: UUID4, auth: Auth, service: Service) -> None:
    await service.remove(auth, id)


@router.operation("addSharedLinkAssets", response_model_exclude_unset=True)
async def add_shared_link_assets(
    id: UUID4, body: dto.AssetIdsDto, auth: Auth, service: Service
) -> list[dto.AssetIdsResponseDto]:
    return await service.add_assets(auth, id, [item.root for item in body.assetIds])


@router.operation("removeSharedLinkAssets", response_model_exclude_unset=True)
async def remove_shared_link_assets(
    id: UUID4, body: dto.AssetIdsDto, auth: Auth, service: Service
) -> list[dto.AssetIdsResponseDto]:
    return await service.remove_assets(auth, id, [item.root for item in body.assetIds])


async def share_page_tags(container: Container, ref: ShareRef, origin: str) -> OpenGraphTags | None:
    """The web app's hook for /share/<key> and /s/<slug> pages (see albumen.web)."""
    async with container.database.unit_of_work() as db:
        tags = await SharedLinkService(db, container.settings.config_file).page_tags(
            ref.kind, ref.value, origin
        )
    if tags is None:
        return None
    if tags.title is None or tags.description is None:
        return UNTAGGED_SHARE
    return OpenGraphTags(title=tags.title, description=tags.description, image_url=tags.image_url)
