"""/map, and /albums/{id}/map-markers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response
from pydantic import UUID4

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool, QueryDatetime
from albumen.map.schemas import MarkerFilter
from albumen.map.service import MapService

router = ImmichRouter()


def map_service(db: DbDep) -> MapService:
    return MapService(db)


Service = Annotated[MapService, Depends(map_service)]


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


@router.operation("getMapMarkers", response_class=Response)
async def get_map_markers(
    auth: Auth,
    service: Service,
    is_archived: Annotated[QueryBool | None, Query(alias="isArchived")] = None,
    is_favorite: Annotated[QueryBool | None, Query(alias="isFavorite")] = None,
    created_after: Annotated[QueryDatetime | None, Query(alias="fileCreatedAfter")] = None,
    created_before: Annotated[QueryDatetime | None, Query(alias="fileCreatedBefore")] = None,
    with_partners: Annotated[QueryBool | None, Query(alias="withPartners")] = None,
    with_shared_albums: Annotated[QueryBool | None, Query(alias="withSharedAlbums")] = None,
) -> Response:
    options = MarkerFilter(is_archived, is_favorite, created_after, created_before)
    return _json(
        await service.markers(
            auth, options, with_partners=bool(with_partners), with_shared_albums=bool(with_shared_albums)
        )
    )


@router.operation("reverseGeocode")
async def reverse_geocode(
    service: Service,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
) -> list[dto.MapReverseGeocodeResponseDto]:
    return await service.reverse_geocode(lat, lon)


@router.operation("getAlbumMapMarkers", response_class=Response)
async def get_album_map_markers(id: UUID4, auth: Auth, service: Service) -> Response:
    return _json(await service.album_markers(auth, id))
