"""What the map queries take and give: plain values, so nothing touches the session later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MarkerFilter:
    """GET /map/markers's filters; None leaves a filter off."""

    is_archived: bool | None = None
    is_favorite: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
