"""Time zones and dates: exiftool-vendored's rules, as Immich gets them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzfpy import get_tz

# The date taken is the first of these that parses (Immich v3.1.0's order).
EXIF_DATE_TAGS: tuple[str, ...] = (
    "SubSecDateTimeOriginal",
    "SubSecCreateDate",
    "DateTimeOriginal",
    "CreationDate",
    "CreateDate",
    "MediaCreateDate",
    "DateTimeCreated",
    "GPSDateTime",
    "DateTimeUTC",
    "SonyDateTime2",
    "SourceImageCreateTime",  # insta360, XMP-GPano
)

# Tags whose own time zone may tell the file's zone, and that the UTC-gap heuristics compare.
CAPTURED_AT_TAGS = (
    "SubSecDateTimeOriginal",
    "SubSecCreateDate",
    "DateTimeOriginal",
    "CreateDate",
    "MediaCreateDate",
    "CreationDate",
    "DateTimeCreated",
    "TimeCreated",
)
ZONE_TAGS = ("TimeZone", "OffsetTimeOriginal", "OffsetTimeDigitized", "TimeZoneOffset")
# ---------------------------------------------------------------------------------------------------
# Time zones and dates (exiftool-vendored's rules, as Immich gets them)


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    tz: tzinfo


UTC_ZONE = Zone("UTC", UTC)
_VALID_OFFSETS = frozenset(
    h * 60 + (m if h >= 0 else -m)
    for h, m in [
        (-11, 0), (-10, 0), (-9, 30), (-9, 0), (-8, 30), (-8, 0), (-7, 0), (-6, 0), (-5, 0), (-4, 0),
        (-3, 30), (-3, 0), (-2, 30), (-2, 0), (-1, 0), (0, 0), (1, 0), (2, 0), (3, 0), (3, 30), (4, 0),
        (4, 30), (5, 0), (5, 30), (5, 45), (6, 0), (6, 30), (7, 0), (8, 0), (8, 30), (8, 45), (9, 0),
        (9, 30), (9, 45), (10, 0), (10, 30), (11, 0), (12, 0), (12, 45), (13, 0), (13, 45), (14, 0),
    ]
)  # fmt: skip
_TZ_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "NST": -210, "NDT": -150, "ADT": -180, "EST": -300, "EDT": -240, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "WET": 0, "WEST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "TRT": 180,
    "WAT": 60, "CAT": 120, "SAST": 120, "EAT": 180, "IRST": 210, "IRDT": 270, "AFT": 270, "PKT": 300,
    "NPT": 345, "MMT": 390, "ICT": 420, "SGT": 480, "HKT": 480, "PHT": 480, "JST": 540, "KST": 540,
    "AWST": 480, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "CHAST": 765, "CHADT": 825, "COT": -300, "PET": -300, "VET": -240, "BOT": -240, "CLT": -240,
    "CLST": -180, "ART": -180, "BRT": -180, "UYT": -180, "CVT": -60, "AZOT": -60, "MUT": 240, "SCT": 240,
}  # fmt: skip
_UTC_SPELLINGS = frozenset(
    {"0", "UTC", "GMT", "Z", "Etc/UTC", "+0", "+00", "-00", "+00:00", "-00:00", "UTC+0", "GMT+0",
     "UTC+00:00", "GMT+00:00"}
)  # fmt: skip
_OFFSET_RE = re.compile(
    r"^(?:UTC|GMT)?(?P<sign>[+\u2212-])(?P<h>\d{1,2})(?::?(?P<m>\d{2})(?::(?P<s>\d{2}))?)?$"
)
_TRAILING_ZONE_RE = re.compile(
    r"(?P<Z>Z)|(?:(?:UTC)?(?P<sign>[+\u2212-])(?P<h>\d\d?)(?::?(?P<m>\d\d)(?::(?P<s>\d\d))?)?)$"
)
_IANA_RE = re.compile(r"^\w{2,15}(?:/\w{3,15}){0,2}$")
_DATETIME_RE = re.compile(
    r"^(?P<y>\d{1,6})(?::(?P<mo>\d{1,2}):(?P<d>\d{1,2}) |-(?P<mo2>\d{1,2})-(?P<d2>\d{1,2})[T ])"
    r"(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?$"
)


def zone_from_minutes(minutes: float | None) -> Zone | None:
    if minutes is None or minutes not in _VALID_OFFSETS:
        return None
    whole = int(minutes)
    if whole == 0:
        return UTC_ZONE
    hours, mins = divmod(abs(whole), 60)
    name = f"UTC{'-' if whole < 0 else '+'}{hours}" + (f":{mins:02d}" if mins else "")
    return Zone(name, timezone(timedelta(minutes=whole)))


def _offset_minutes(match: re.Match[str]) -> float:
    sign = -1 if match["sign"] in ("-", "\u2212") else 1
    return sign * (int(match["h"]) * 60 + int(match["m"] or 0) + int(match["s"] or 0) / 60)


def _normalize_zone(value: str) -> Zone | None:
    """A whole string that names a zone: "UTC", "+02:00", "UTC-5", "Europe/Zurich"."""
    text = value.strip()
    if not text:
        return None
    if text in _UTC_SPELLINGS:
        return UTC_ZONE
    text = re.sub(r"^(?:Zulu|Z|GMT)(?:\b|$)", "UTC", text, flags=re.IGNORECASE)
    match = _OFFSET_RE.match(text)
    if match and int(match["h"]) <= 14:
        return zone_from_minutes(_offset_minutes(match))
    if not _IANA_RE.match(text):
        return None
    try:
        return Zone(text, ZoneInfo(text))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def extract_zone(value: Any) -> tuple[Zone, str] | None:
    """The zone a tag value states, with what is left of the text before it (a date, for example)."""
    if value is None or isinstance(value, bool | dict):
        return None
    if isinstance(value, list):
        return extract_zone(next((item for item in value if item is not None), None))
    if isinstance(value, int | float):
        zone = zone_from_minutes(value * 60)
        return (zone, "") if zone else None
    if not isinstance(value, str) or not value.strip():
        return None
    zone = _normalize_zone(value)
    if zone is not None:
        return zone, ""
    text = value.strip()
    abbreviation = None
    if not re.search(r"[.\d\s](?:UTC|Z)$", text):
        found = re.search(r"\s([a-zA-Z]{2,5})$", text)
        if found:
            abbreviation, text = found[1].upper(), text[: found.start()]
    if not text.strip():
        return None
    zone = _normalize_zone(text)
    if zone is not None:
        return zone, ""
    match = _TRAILING_ZONE_RE.search(text)
    if match:
        leftovers = text[: match.start()]
        if match["Z"]:
            return UTC_ZONE, leftovers
        zone = zone_from_minutes(_offset_minutes(match))
        if zone is not None:
            return zone, leftovers
    if abbreviation in _TZ_ABBREVIATIONS:
        zone = zone_from_minutes(_TZ_ABBREVIATIONS[abbreviation])
        if zone is not None:
            return zone, text
    return None


@dataclass(frozen=True, slots=True)
class ExifDateTime:
    value: datetime  # aware when the text had a zone or one was filled in; naive otherwise
    raw: str
    inferred_zone: bool


def parse_datetime(value: Any, default_zone: Zone | None = None) -> ExifDateTime | None:
    """exiftool date-time text ("2023:02:02 02:00:00.5+01:00", ISO too) as exiftool-vendored reads it."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    extracted = extract_zone(text)
    body = extracted[1] if extracted and extracted[1].strip() else text
    match = _DATETIME_RE.match(body.strip())
    if match is None:
        return None
    fraction = match["f"]
    try:
        parsed = datetime(
            int(match["y"]),
            int(match["mo"] or match["mo2"]),
            int(match["d"] or match["d2"]),
            int(match["H"]),
            int(match["M"]),
            int(match["S"] or 0),
            math.floor(float("0." + fraction) * 1000) * 1000 if fraction else 0,
        )
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    if extracted is not None:
        return ExifDateTime(parsed.replace(tzinfo=extracted[0].tz), value, inferred_zone=False)
    if default_zone is not None:
        return ExifDateTime(parsed.replace(tzinfo=default_zone.tz), value, inferred_zone=True)
    return ExifDateTime(parsed, value, inferred_zone=False)


def gps_zone(latitude: float, longitude: float) -> Zone | None:
    """The IANA zone at a position (geo-tz in Immich, tzfpy here)."""
    name = get_tz(longitude, latitude)
    if not name:
        return None
    if name in _UTC_SPELLINGS:
        return UTC_ZONE
    try:
        return Zone(name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_utc_tag(name: str) -> bool:
    return "UTC" in name or name.startswith("GPS")


def naive_utc_seconds(value: ExifDateTime) -> float:
    return value.value.replace(tzinfo=UTC).timestamp()


def likely_zone(delta_minutes: float) -> Zone | None:
    best = min(_VALID_OFFSETS, key=lambda offset: abs(offset - delta_minutes))
    return zone_from_minutes(best) if abs(best - delta_minutes) <= 30 else None
