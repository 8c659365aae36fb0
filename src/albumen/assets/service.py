"""Asset use cases (statistics for now; upload, edit and delete arrive with the assets capability)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.assets.repository import AssetRepository
from albumen.authn.schemas import AuthContext
from albumen.immich import dto


class AssetService:
    def __init__(self, db: AsyncSession) -> None:
        self.assets = AssetRepository(db)

    async def statistics(
        self,
        auth: AuthContext,
        *,
        is_favorite: bool | None,
        is_trashed: bool | None,
        visibility: dto.AssetVisibility | None,
    ) -> dto.AssetStatsResponseDto:
        counts = await self.assets.count_by_type(
            auth.user.id,
            is_favorite=is_favorite,
            is_trashed=is_trashed,
            visibility=visibility.value if visibility else None,
        )
        return dto.AssetStatsResponseDto(images=counts.images, videos=counts.videos, total=counts.total)
