"""/people, /faces and /assets/{id}/ocr.

Creating, deleting and reassigning single faces need face detection (a later machine-learning
issue); those routes are deliberately not registered, so they answer 404 rather than pretend.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import UUID4

from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.files import serve_object
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool
from albumen.people.service import PersonService

router = ImmichRouter()
OMIT_UNSET: dict[str, Any] = {"response_model_exclude_unset": True}


def person_service(db: DbDep, container: ContainerDep) -> PersonService:
    return PersonService(db, thumbnails=container.storage["thumbnails"])


Service = Annotated[PersonService, Depends(person_service)]


@router.operation("getAllPeople", **OMIT_UNSET)
async def get_all_people(
    auth: Auth,
    service: Service,
    closest_asset_id: Annotated[UUID4 | None, Query(alias="closestAssetId")] = None,
    closest_person_id: Annotated[UUID4 | None, Query(alias="closestPersonId")] = None,
    page: Annotated[int, Query(ge=1, le=9007199254740991)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 500,
    with_hidden: Annotated[QueryBool, Query(alias="withHidden")] = False,
) -> dto.PeopleResponseDto:
    return await service.search(
        auth,
        with_hidden=with_hidden,
        page=page,
        size=size,
        closest_person_id=closest_person_id,
        closest_asset_id=closest_asset_id,
    )


@router.operation("createPerson", **OMIT_UNSET)
async def create_person(body: dto.PersonCreateDto, auth: Auth, service: Service) -> dto.PersonResponseDto:
    return await service.create(auth, body)


@router.operation("updatePeople", **OMIT_UNSET)
async def update_people(
    body: dto.PeopleUpdateDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.update_all(auth, body)


@router.operation("deletePeople", **OMIT_UNSET)
async def delete_people(body: dto.BulkIdsDto, auth: Auth, service: Service) -> None:
    await service.delete(auth, {item.root for item in body.ids})


@router.operation("getPerson", **OMIT_UNSET)
async def get_person(id: UUID4, auth: Auth, service: Service) -> dto.PersonResponseDto:
    return await service.get(auth, id)


@router.operation("updatePerson", **OMIT_UNSET)
async def update_person(
    id: UUID4, body: dto.PersonUpdateDto, auth: Auth, service: Service
) -> dto.PersonResponseDto:
    return await service.update(auth, id, body)


@router.operation("deletePerson", **OMIT_UNSET)
async def delete_person(id: UUID4, auth: Auth, service: Service) -> None:
    await service.delete(auth, {id})


@router.operation("mergePerson", **OMIT_UNSET)
async def merge_person(
    id: UUID4, body: dto.MergePersonDto, auth: Auth, service: Service
) -> list[dto.BulkIdResponseDto]:
    return await service.merge(auth, id, body)


@router.operation("getPersonStatistics", **OMIT_UNSET)
async def get_person_statistics(id: UUID4, auth: Auth, service: Service) -> dto.PersonStatisticsResponseDto:
    return await service.statistics(auth, id)


@router.operation("getPersonThumbnail", response_class=StreamingResponse)
async def get_person_thumbnail(
    id: UUID4, request: Request, auth: Auth, service: Service, container: ContainerDep
) -> Response:
    key = await service.thumbnail_key(auth, id)
    await service.db.commit()  # nothing more to read: free the connection before streaming
    # Immich: private, no cache (the file is redrawn in place when the feature face changes).
    return await serve_object(
        request, container.storage["thumbnails"], key, content_type="image/jpeg",
        cache_control="private, no-cache, no-store", missing="Not Found",
    )  # fmt: skip


@router.operation("getFaces", **OMIT_UNSET)
async def get_faces(
    auth: Auth, service: Service, asset_id: Annotated[UUID4, Query(alias="id")]
) -> list[dto.AssetFaceResponseDto]:
    return await service.faces(auth, asset_id)


@router.operation("getAssetOcr", **OMIT_UNSET)
async def get_asset_ocr(id: UUID4, auth: Auth, service: Service) -> list[dto.AssetOcrResponseDto]:
    return await service.ocr(auth, id)
