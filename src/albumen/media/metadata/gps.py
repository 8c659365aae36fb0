"""GPS coordinates from exiftool's tags, with exiftool-vendored's checks."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from contextlib import suppress
from typing import Any


def _coordinate(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    with suppress(ValueError):
        return float(text)
    match = re.match(r"^(\d+(?:\.\d+)?) deg (\d+(?:\.\d+)?)' (\d+(?:\.\d+)?)\"\s*([NSEW])?$", text)
    if match is None:
        raise ValueError(f"unreadable coordinate {text!r}")
    decimal = float(match[1]) + float(match[2]) / 60 + float(match[3]) / 3600
    return -decimal if match[4] in ("S", "W") else decimal


def gps_position(values: Mapping[str, Any], warnings: list[str]) -> tuple[float | None, float | None, bool]:
    """(latitude, longitude, invalid): exiftool-vendored's checks, with 0,0 and empty blocks ignored."""
    try:
        latitude = _coordinate(values.get("GPSLatitude"))
        longitude = _coordinate(values.get("GPSLongitude"))
        if latitude is None or longitude is None:
            position = str(values.get("GPSPosition") or "").replace(",", " ").split()
            if len(position) >= 2:
                latitude = latitude if latitude is not None else _coordinate(position[0])
                longitude = longitude if longitude is not None else _coordinate(position[1])
    except ValueError as exc:
        warnings.append(f"GPS ignored: {exc}")
        return None, None, False
    if latitude is None or longitude is None:
        return None, None, False
    if latitude == 0 and longitude == 0:
        return None, None, True
    result = []
    for number, ref_tag, positive, negative, limit in (
        (latitude, "GPSLatitudeRef", "N", "S", 90),
        (longitude, "GPSLongitudeRef", "E", "W", 180),
    ):
        if not math.isfinite(number) or abs(number) > limit:
            warnings.append(f"GPS ignored: {number} is out of range")
            return None, None, True
        ref = str(values.get(ref_tag) or "").strip().upper()[:1]
        if ref not in (positive, negative):
            ref = negative if number < 0 else positive
        result.append(-abs(number) if ref == negative else number)
    return result[0], result[1], False
