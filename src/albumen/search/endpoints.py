"""/search: metadata, statistics, random, large assets, smart (refused), explore, places, people."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import JSONResponse

from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool
from albumen.search.schemas import LargeAssetSearchQuery
from albumen.search.service import SearchService

router = ImmichRouter()


def search_service(db: DbDep, container: ContainerDep) -> SearchService:
    return SearchService(db, container.settings.config_file)


Service = Annotated[SearchService, Depends(search_service)]


# Asset lists are answered as built (Immich leaves `exifInfo`, `owner` and `stack` out, not null).
@router.operation("searchAssets", response_model=None)
async def search_assets(body: dto.MetadataSearchDto, auth: Auth, service: Service) -> JSONResponse:
    return JSONResponse(await service.metadata(auth, body))


@router.operation("searchAssetStatistics")
async def search_asset_statistics(
    body: dto.StatisticsSearchDto, auth: Auth, service: Service
) -> dto.SearchStatisticsResponseDto:
    return dto.SearchStatisticsResponseDto(**await service.statistics(auth, body))


@router.operation("searchRandom", response_model=None)
async def search_random(body: dto.RandomSearchDto, auth: Auth, service: Service) -> JSONResponse:
    return JSONResponse(await service.random(auth, body))


@router.operation("searchLargeAssets", response_model=None)
async def search_large_assets(
    query: Annotated[LargeAssetSearchQuery, Query()], auth: Auth, service: Service
) -> JSONResponse:
    return JSONResponse(await service.largest(auth, query))


@router.operation("searchSmart", response_model=None)
async def search_smart(body: dto.SmartSearchDto, auth: Auth, service: Service) -> JSONResponse:
    return JSONResponse(await service.smart(auth, body))


@router.operation("getExploreData", response_model=None)
async def get_explore_data(auth: Auth, service: Service) -> JSONResponse:
    return JSONResponse(await service.explore(auth))


@router.operation("getAssetsByCity", response_model=None)
async def get_assets_by_city(auth: Auth, service: Service) -> JSONResponse:
    return JSONResponse(await service.cities(auth))


@router.operation("getSearchSuggestions")
async def get_search_suggestions(
    auth: Auth,
    service: Service,
    type: dto.SearchSuggestionType,
    country: str | None = None,
    state: str | None = None,
    make: str | None = None,
    model: str | None = None,
    lensModel: str | None = None,
    includeNull: QueryBool | None = None,
) -> list[str | None]:
    narrowing: dict[str, str | None] = {
        "country": country,
        "state": state,
        "make": make,
        "model": model,
        "lensModel": lensModel,
    }
    return await service.suggestions(auth, type, narrowing, bool(includeNull))


@router.operation("searchPlaces")
async def search_places(_auth: Auth, service: Service, name: str) -> list[dto.PlacesResponseDto]:
    return await service.places(name)


@router.operation("searchPerson")
async def search_person(
    auth: Auth, service: Service, name: str, withHidden: QueryBool | None = None
) -> list[dto.PersonResponseDto]:
    return await service.people(auth, name, bool(withHidden))
