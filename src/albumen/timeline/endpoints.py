"""/timeline/buckets, /timeline/bucket, /view/folder and /view/folder/unique-paths."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response
from pydantic import UUID4

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool
from albumen.timeline.schemas import BBOX_EXAMPLE, TimelineQuery, parse_bbox
from albumen.timeline.service import TimelineService

router = ImmichRouter()


def timeline_service(db: DbDep) -> TimelineService:
    return TimelineService(db)


Service = Annotated[TimelineService, Depends(timeline_service)]


def timeline_query(
    user_id: Annotated[UUID4 | None, Query(alias="userId")] = None,
    album_id: Annotated[UUID4 | None, Query(alias="albumId")] = None,
    person_id: Annotated[UUID4 | None, Query(alias="personId")] = None,
    tag_id: Annotated[UUID4 | None, Query(alias="tagId")] = None,
    is_favorite: Annotated[QueryBool | None, Query(alias="isFavorite")] = None,
    is_trashed: Annotated[QueryBool | None, Query(alias="isTrashed")] = None,
    visibility: Annotated[dto.AssetVisibility | None, Query()] = None,
    with_stacked: Annotated[QueryBool | None, Query(alias="withStacked")] = None,
    with_partners: Annotated[QueryBool | None, Query(alias="withPartners")] = None,
    with_coordinates: Annotated[QueryBool | None, Query(alias="withCoordinates")] = None,
    order: Annotated[dto.AssetOrder | None, Query()] = None,
    order_by: Annotated[dto.AssetOrderBy | None, Query(alias="orderBy")] = None,
    bbox: Annotated[str | None, Query(examples=[BBOX_EXAMPLE])] = None,
    # Shared-link credentials: the authentication layer reads and checks them.
    key: Annotated[str | None, Query()] = None,
    slug: Annotated[str | None, Query()] = None,
) -> TimelineQuery:
    return TimelineQuery(
        user_id=user_id,
        album_id=album_id,
        person_id=person_id,
        tag_id=tag_id,
        is_favorite=is_favorite,
        is_trashed=is_trashed,
        visibility=visibility,
        with_stacked=bool(with_stacked),
        with_partners=bool(with_partners),
        with_coordinates=bool(with_coordinates),
        order=order or dto.AssetOrder.desc,
        order_by=order_by or dto.AssetOrderBy.takenAt,
        bbox=parse_bbox(bbox),
    )


Filters = Annotated[TimelineQuery, Depends(timeline_query)]


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


@router.operation("getTimeBuckets", response_class=Response)
async def get_time_buckets(auth: Auth, service: Service, filters: Filters) -> Response:
    return _json(await service.buckets(auth, filters))


@router.operation("getTimeBucket", response_class=Response)
async def get_time_bucket(
    auth: Auth, service: Service, filters: Filters, time_bucket: Annotated[str, Query(alias="timeBucket")]
) -> Response:
    return _json(await service.bucket(auth, filters, time_bucket))


@router.operation("getUniqueOriginalPaths")
async def get_unique_original_paths(auth: Auth, service: Service) -> list[str]:
    return await service.unique_folders(auth)


@router.operation("getAssetsByOriginalPath")
async def get_assets_by_original_path(
    auth: Auth, service: Service, path: Annotated[str, Query()]
) -> list[dto.AssetResponseDto]:
    return await service.folder(auth, path)
