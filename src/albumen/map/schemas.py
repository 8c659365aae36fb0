"""What the map queries take and give: plain values, so nothing touches the session later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from albumen.immich import dto


@dataclass(frozen=True, slots=True)
class MarkerFilter:
    """GET /map/markers's filters; None leaves a filter off."""

    is_archived: bool | None = None
    is_favorite: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def marker(row: tuple[object, ...]) -> dto.MapMarkerResponseDto:
    asset_id, lat, lon, city, state, country = row
    return dto.MapMarkerResponseDto.model_validate(
        {"id": asset_id, "lat": lat, "lon": lon, "city": city, "state": state, "country": country}
    )
