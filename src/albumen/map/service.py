"""The map: where the caller's photos were taken, and the place at a position.

Follows Immich v3.1.0's map service: markers are the caller's assets, optionally with every partner's
(partners who share with the caller, whether or not they are shown in the timeline) and with the
assets of every album the caller belongs to.
"""

from __future__ import annotations

import uuid

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.map.repository import MapRepository
from albumen.map.schemas import MarkerFilter
from albumen.media.places import place_of


class MapService:
    def __init__(self, db: AsyncSession) -> None:
        self.map = MapRepository(db)
        self.access = AccessService(db)

    async def markers(
        self, auth: AuthContext, options: MarkerFilter, *, with_partners: bool, with_shared_albums: bool
    ) -> str:
        """The markers as a finished JSON array: hundreds of thousands of them in a big library."""
        owner_ids = [auth.user.id]
        if with_partners:
            owner_ids += await self.map.partner_ids(auth.user.id)
        album_ids = await self.map.album_ids(auth.user.id) if with_shared_albums else []
        return await self.map.markers(auth.user.id, owner_ids, album_ids, options)

    async def album_markers(self, auth: AuthContext, album_id: uuid.UUID) -> str:
        await self.access.require(auth, dto.Permission.album_read, [album_id])
        if not auth.shows_metadata:
            return "[]"  # markers are positions: a shared link without metadata has none to show
        return await self.map.album_markers(album_id)

    async def reverse_geocode(self, lat: float, lon: float) -> list[dto.MapReverseGeocodeResponseDto]:
        """Always one result, all None where no city is near (Immich answers the same)."""
        place = await anyio.to_thread.run_sync(place_of, lat, lon)
        return [dto.MapReverseGeocodeResponseDto.model_validate(place)]
