"""Searching a user's library: by metadata, at random, by size, by place and camera, by person."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.assets.schemas import sanitized_asset
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest, Unauthorized
from albumen.search.repository import SearchRepository, search_places
from albumen.search.schemas import (
    DEFAULT_PAGE_SIZE,
    AssetFilters,
    LargeAssetSearchQuery,
    Scope,
    collation_key,
    paged_response,
    person_response,
    search_items,
)
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

EXPLORE_MAX_FIELDS = 12
EXPLORE_MIN_ASSETS_PER_CITY = 5
LOCKED = "locked"
# Suggestion type -> (asset_exif column, the request's narrowing fields and their columns).
SUGGESTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "country": ("country", {}),
    "state": ("state", {"country": "country"}),
    "city": ("city", {"country": "country", "state": "state"}),
    "camera-make": ("make", {"model": "model", "lensModel": "lens_model"}),
    "camera-model": ("model", {"make": "make", "lensModel": "lens_model"}),
    "camera-lens-model": ("lens_model", {"make": "make", "model": "model"}),
}


def _elevated(auth: AuthContext) -> bool:
    return auth.session is not None and auth.session.has_elevated_permission


class SearchService:
    def __init__(self, db: AsyncSession, config_file: Path | None = None) -> None:
        self.db = db
        self.config_file = config_file
        self.repository = SearchRepository(db)
        self.access = AccessService(db)

    async def _scope(self, auth: AuthContext, visibility: str | None) -> Scope:
        """The caller's assets plus those of partners shown in their timeline. The locked folder is
        personal: asking for it needs a PIN-unlocked session and never reaches a partner's."""
        if visibility == LOCKED:
            if not _elevated(auth):
                raise Unauthorized("Elevated permission is required")
            return Scope(owner_ids=[auth.user.id], visibility=LOCKED)
        partners = await self.repository.timeline_partner_ids(auth.user.id)
        # An unlocked session sees its own locked folder among the rest, as in Immich.
        locked_owner = auth.user.id if _elevated(auth) else None
        return Scope(owner_ids=[auth.user.id, *partners], visibility=visibility, locked_owner=locked_owner)

    async def metadata(self, auth: AuthContext, body: dto.MetadataSearchDto) -> dict[str, Any]:
        filters = AssetFilters.from_request(body)
        if filters.album_ids:
            await self.access.require(auth, dto.Permission.album_read, filters.album_ids)
        elif auth.shared_link_id is not None:
            raise BadRequest("Shared link access is only allowed in combination with an albumIds filter")
        scope = await self._scope(auth, filters.visibility)
        page = body.page or 1
        size = body.size or DEFAULT_PAGE_SIZE
        rows = await self.repository.search(
            scope,
            filters,
            descending=body.order != dto.AssetOrder.asc,
            limit=size + 1,
            offset=(page - 1) * size,
        )
        # One row past the page says whether another page follows, as Immich's paginationHelper.
        next_page = str(page + 1) if len(rows) > size else None
        if auth.shows_metadata:
            items = search_items(auth, rows[:size], with_exif=bool(body.withExif))
        else:  # a shared link without metadata
            items = [sanitized_asset(asset) for asset, _exif in rows[:size]]
        return paged_response(items, next_page)

    async def statistics(self, auth: AuthContext, body: dto.StatisticsSearchDto) -> dict[str, int]:
        filters = AssetFilters.from_request(body)
        return {"total": await self.repository.count(await self._scope(auth, filters.visibility), filters)}

    async def random(self, auth: AuthContext, body: dto.RandomSearchDto) -> list[dict[str, Any]]:
        filters = AssetFilters.from_request(body)
        scope = await self._scope(auth, filters.visibility)
        rows = await self.repository.random(scope, filters, body.size or DEFAULT_PAGE_SIZE)
        return search_items(auth, rows, with_exif=bool(body.withExif))

    async def largest(self, auth: AuthContext, query: LargeAssetSearchQuery) -> list[dict[str, Any]]:
        filters = AssetFilters.from_request(query)
        scope = await self._scope(auth, filters.visibility)
        rows = await self.repository.largest(scope, filters, query.size or DEFAULT_PAGE_SIZE)
        return search_items(auth, rows, with_exif=True)

    async def smart(self, auth: AuthContext, body: dto.SmartSearchDto) -> dict[str, Any]:
        if body.visibility == dto.AssetVisibility.locked and not _elevated(auth):
            raise Unauthorized("Elevated permission is required")
        config = await load_config(SystemMetadataRepository(self.db), self.config_file)
        learning = config["machineLearning"]
        if not (learning["enabled"] and learning["clip"]["enabled"]):
            raise BadRequest("Smart search is not enabled")
        # Configured on, but this server has no machine-learning client yet: say so, never guess.
        raise BadRequest(
            "Smart search is not available: this server does not run machine learning yet "
            "(set machineLearning.clip.enabled to false to hide it)"
        )

    async def explore(self, auth: AuthContext) -> list[dict[str, Any]]:
        cities = await self.repository.explore_cities(
            auth.user.id, min_assets=EXPLORE_MIN_ASSETS_PER_CITY, max_cities=EXPLORE_MAX_FIELDS
        )
        city_rows = await self.repository.by_ids([asset_id for _city, asset_id in cities])
        city_items = search_items(auth, city_rows, with_exif=True)
        recent_rows = await self.repository.by_ids(
            await self.repository.recent_ids(auth.user.id, EXPLORE_MAX_FIELDS)
        )
        recent_items = search_items(auth, recent_rows, with_exif=True)
        return [
            {
                "fieldName": "exifInfo.city",
                "items": [{"value": item["exifInfo"]["city"], "data": item} for item in city_items],
            },
            {
                "fieldName": "createdAt",
                "items": [{"value": item["createdAt"], "data": item} for item in recent_items],
            },
        ]

    async def cities(self, auth: AuthContext) -> list[dict[str, Any]]:
        scope = await self._scope(auth, None)
        rows = await self.repository.one_per_city(scope.owner_ids)
        rows.sort(key=lambda row: collation_key(row[1].city if row[1] and row[1].city else ""))
        return search_items(auth, rows, with_exif=True)

    async def suggestions(
        self,
        auth: AuthContext,
        query: dto.SearchSuggestionType,
        narrowing: dict[str, str | None],
        include_null: bool,
    ) -> list[str | None]:
        column, allowed = SUGGESTIONS[query.value]
        equal = {allowed[name]: value for name, value in narrowing.items() if name in allowed and value}
        scope = await self._scope(auth, None)
        found = await self.repository.exif_values(column, scope.owner_ids, equal)
        values: list[str | None] = [*sorted(found, key=collation_key)]
        if include_null:
            values.append(None)
        return values

    async def places(self, name: str) -> list[dto.PlacesResponseDto]:
        found = await asyncio.to_thread(search_places, name)
        return [
            dto.PlacesResponseDto(
                name=place.name,
                latitude=place.latitude,
                longitude=place.longitude,
                admin1name=place.admin1_name,
                admin2name=place.admin2_name,
            )
            for place in found
        ]

    async def people(self, auth: AuthContext, name: str, with_hidden: bool) -> list[dto.PersonResponseDto]:
        found = await self.repository.people_named(auth.user.id, name, with_hidden=with_hidden)
        return [person_response(person) for person in found]
