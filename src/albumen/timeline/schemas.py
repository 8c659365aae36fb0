"""Timeline query parameters as Immich's TimeBucketDto reads them, and their validation."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from albumen.immich import dto
from albumen.kit.errors import BadRequest

BBOX_EXAMPLE = "11.075683,49.416711,11.117589,49.454875"
# A month as the web asks for it ("2024-05-01"), optionally with a time and offset; Immich drops a
# leading sign before comparing.
_TIME_BUCKET = re.compile(r"^[+-]?(\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)$")


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """WGS84 degrees; `east < west` means the box crosses the antimeridian."""

    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    """The filters shared by /timeline/buckets and /timeline/bucket."""

    user_id: uuid.UUID | None = None
    album_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    tag_id: uuid.UUID | None = None
    is_favorite: bool | None = None
    is_trashed: bool | None = None
    visibility: dto.AssetVisibility | None = None
    with_stacked: bool = False
    with_partners: bool = False
    with_coordinates: bool = False
    order: dto.AssetOrder = dto.AssetOrder.desc
    order_by: dto.AssetOrderBy = dto.AssetOrderBy.takenAt
    bbox: BoundingBox | None = None


def _invalid(path: list[str | int], message: str, code: str = "custom") -> BadRequest:
    return BadRequest("Validation failed", errors=[{"code": code, "path": path, "message": message}])


def parse_bbox(value: str | None) -> BoundingBox | None:
    """`west,south,east,north`, checked as Immich's zod schema does, with its messages."""
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise _invalid(["bbox"], "bbox must have 4 comma-separated numbers: west,south,east,north")
    numbers = [_js_number(part) for part in parts]
    if any(math.isnan(number) for number in numbers):
        raise _invalid(["bbox"], "bbox parts must be valid numbers")
    west, south, east, north = numbers
    limits: dict[str, tuple[float, float]] = {
        "west": (-180, 180),
        "south": (-90, 90),
        "east": (-180, 180),
        "north": (-90, 90),
    }
    issues: list[dict[str, Any]] = []
    for name, number in zip(limits, numbers, strict=True):
        low, high = limits[name]
        if number < low:
            issues.append({"code": "too_small", "path": ["bbox", name],
                           "message": f"Too small: expected number to be >={low}"})  # fmt: skip
        elif number > high:
            issues.append({"code": "too_big", "path": ["bbox", name],
                           "message": f"Too big: expected number to be <={high}"})  # fmt: skip
    if not issues and north < south:
        message = "North latitude must be greater than or equal to south latitude"
        issues.append({"code": "custom", "path": ["bbox", "north"], "message": message})
    if issues:
        raise BadRequest("Validation failed", errors=issues)
    return BoundingBox(west=west, south=south, east=east, north=north)


def _js_number(text: str) -> float:
    """JavaScript's Number(): blank is 0, anything unparsable is NaN (Infinity fails the range)."""
    stripped = text.strip()
    if not stripped:
        return 0.0
    try:
        return float(stripped)
    except ValueError:
        return math.nan


def parse_time_bucket(value: str) -> datetime:
    """The bucket's start as a UTC instant. A value that is no date is a 400, not a database error."""
    match = _TIME_BUCKET.match(value.strip())
    moment: datetime | None = None
    if match:
        try:
            moment = datetime.fromisoformat(match.group(1).replace(" ", "T"))
        except ValueError:
            moment = None
    if moment is None:
        raise _invalid(["timeBucket"], "Invalid time bucket: expected YYYY-MM-DD")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def is_month_start(moment: datetime) -> bool:
    return (moment.day, moment.hour, moment.minute, moment.second, moment.microsecond) == (1, 0, 0, 0, 0)


def next_month(moment: datetime) -> datetime:
    return (
        moment.replace(year=moment.year + 1, month=1)
        if moment.month == 12
        else moment.replace(month=moment.month + 1)
    )
