"""One file's tags parsed (position, zone, dates), then the media file and its sidecar merged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

from albumen.media.metadata.dates import (
    CAPTURED_AT_TAGS,
    EXIF_DATE_TAGS,
    UTC_ZONE,
    ZONE_TAGS,
    ExifDateTime,
    Zone,
    extract_zone,
    gps_zone,
    is_utc_tag,
    likely_zone,
    naive_utc_seconds,
    parse_datetime,
    zone_from_minutes,
)
from albumen.media.metadata.gps import gps_position
from albumen.media.metadata.values import int_or_none

# Facts about the sidecar file itself, which must not replace the media file's.
_FILE_FACTS = frozenset(
    {
        "SourceFile", "ExifToolVersion", "FileName", "Directory", "FileSize", "FileModifyDate",
        "FileAccessDate", "FileInodeChangeDate", "FilePermissions", "FileType", "FileTypeExtension",
        "MIMEType", "MIMEEncoding", "ByteOrderMark", "Newlines", "Error", "Warning",
    }
)  # fmt: skip

_HEIF = frozenset({".avif", ".heic", ".heif", ".hif"})
_POSSIBLY_ANIMATED = frozenset({".avif", ".gif", ".heic", ".heif", ".jxl", ".png", ".webp"})
# ---------------------------------------------------------------------------------------------------
# One file's tags, then the media file and its sidecar merged


@dataclass
class FileTags:
    values: dict[str, Any]
    is_video: bool
    latitude: float | None
    longitude: float | None
    zone: Zone | None
    dates: dict[str, ExifDateTime | None]  # EXIF_DATE_TAGS present in the file; None: not a date-time
    warnings: list[str]

    @classmethod
    def parse(cls, values: dict[str, Any]) -> FileTags:
        warnings: list[str] = []
        is_video = str(values.get("MIMEType", "")).startswith("video/")
        latitude, longitude, gps_invalid = gps_position(values, warnings)
        if gps_invalid:
            values = {k: v for k, v in values.items() if not k.startswith(("GPS", "Geolocation"))}
        tags = cls(values, is_video, latitude, longitude, None, {}, warnings)
        tags.zone = tags._file_zone()
        for name in EXIF_DATE_TAGS:
            if name in values:
                tags.dates[name] = tags._date(name)
        return tags

    def _date(self, name: str) -> ExifDateTime | None:
        """A date tag parsed with the file's zone filled in, as exiftool-vendored's ``backfillTimezones``."""
        zone = self.zone
        utc = is_utc_tag(name) or self.is_video
        parsed = parse_datetime(self.values.get(name), UTC_ZONE if utc else zone)
        if parsed and parsed.inferred_zone and self.is_video and not is_utc_tag(name) and zone:
            # a video's times are UTC: the same instant, shown in the file's zone
            parsed = ExifDateTime(parsed.value.astimezone(zone.tz), parsed.raw, True)
        return parsed

    def _file_zone(self) -> Zone | None:
        values = self.values
        for name in ZONE_TAGS:
            found = extract_zone(values.get(name))
            if found is None:
                continue
            zone = found[0]
            daylight = str(values.get("DaylightSavings", "")).strip().lower() in ("yes", "true", "1")
            if daylight and re.search(r"\bnikon\b", str(values.get("Make", "")), re.IGNORECASE):
                offset = zone.tz.utcoffset(None)
                if isinstance(zone.tz, timezone) and offset is not None:
                    adjusted = zone_from_minutes(offset.total_seconds() / 60 + 60)
                    zone = adjusted or zone
            return zone
        if self.latitude is not None and self.longitude is not None:
            at_position = gps_zone(self.latitude, self.longitude)
            if at_position is not None:
                return at_position
        for name in CAPTURED_AT_TAGS:
            found = extract_zone(values.get(name)) if name in values else None
            if found is not None and found[0] is not UTC_ZONE:
                return found[0]
        if self.is_video:
            return UTC_ZONE
        return self._zone_from_utc_gap() or self._zone_from_timestamp()

    def _zone_from_utc_gap(self) -> Zone | None:
        values = self.values
        stamp = None
        if values.get("GPSDateStamp") and values.get("GPSTimeStamp"):
            stamp = f"{values['GPSDateStamp']} {values['GPSTimeStamp']}"
        utc_seconds = None
        for candidate in (
            values.get("GPSDateTime"),
            values.get("DateTimeUTC"),
            stamp,
            values.get("SonyDateTime2"),
        ):
            parsed = parse_datetime(candidate)
            if parsed is None or (
                parsed.value.tzinfo is not None and parsed.value.utcoffset() != timedelta(0)
            ):
                continue
            utc_seconds = naive_utc_seconds(parsed)
            break
        if utc_seconds is None:
            return None
        for name in CAPTURED_AT_TAGS:
            parsed = parse_datetime(values.get(name))
            if parsed is not None and parsed.value.tzinfo is None:
                return likely_zone((naive_utc_seconds(parsed) - utc_seconds) / 60)
        return None

    def _zone_from_timestamp(self) -> Zone | None:
        stamp = parse_datetime(self.values.get("TimeStamp"))
        if stamp is None:
            return None
        stamp_seconds = stamp.value.timestamp() if stamp.value.tzinfo else naive_utc_seconds(stamp)
        for name in CAPTURED_AT_TAGS:
            parsed = parse_datetime(self.values.get(name))
            if parsed is None:
                continue
            if parsed.value.tzinfo is not None:  # a capture time with its own zone: that zone
                found = extract_zone(parsed.raw)
                return found[0] if found else None
            zone = likely_zone((naive_utc_seconds(parsed) - stamp_seconds) / 60)
            if zone is not None:
                return zone
        return None


@dataclass
class MergedTags:
    values: dict[str, Any]
    dates: dict[str, ExifDateTime | None]
    zone: Zone | None
    latitude: float | None
    longitude: float | None


def first_datetime(dates: Mapping[str, ExifDateTime | None]) -> tuple[str, ExifDateTime] | None:
    for name in EXIF_DATE_TAGS:
        found = dates.get(name)
        if found is not None:
            return name, found
    return None


def merge_tags(media: FileTags, sidecar: FileTags | None, *, is_video: bool, ext: str) -> MergedTags:
    values = dict(media.values)
    if not is_video and ext not in _POSSIBLY_ANIMATED:
        values.pop("Duration", None)  # e.g. a CR3's "1 s"; videos keep exiftool's (Immich takes ffprobe's)
    if ext in _HEIF:  # HEIF: EXIF orientation is often wrong; the irot box (exiftool's Rotation) decides
        values.pop("Orientation", None)
        orientation = _heif_orientation(values.get("Rotation"))
        if orientation is not None:
            values["Orientation"] = orientation
    if is_video:  # what Immich takes from ffprobe's rotation: exiftool's clockwise degrees stand in
        orientation = {0: 1, 90: 6, 180: 3, 270: 8}.get(int_or_none(values.get("Rotation")) or 0)
        if "Rotation" in values and orientation is not None:
            values["Orientation"] = orientation
    dates, zone = dict(media.dates), media.zone
    latitude, longitude = media.latitude, media.longitude
    if sidecar is not None:
        side_values = {k: v for k, v in sidecar.values.items() if k not in _FILE_FACTS and k != "Duration"}
        if first_datetime(sidecar.dates) is not None:  # the sidecar's date wins, with its zone
            dates, zone = {}, None
            values = {k: v for k, v in values.items() if k not in EXIF_DATE_TAGS}
        values.update(side_values)
        dates.update(sidecar.dates)
        zone = sidecar.zone or zone
        latitude = sidecar.latitude if sidecar.latitude is not None else latitude
        longitude = sidecar.longitude if sidecar.longitude is not None else longitude
    return MergedTags(values, dates, zone, latitude, longitude)


def _heif_orientation(rotation: Any) -> int | None:
    """irot quarter turns anticlockwise (exiftool 13 prints 0-3, 12.x prints degrees) to EXIF orientation."""
    turns = int_or_none(rotation)
    if turns is None:
        return None
    if turns >= 90 and turns % 90 == 0:
        turns //= 90
    return {0: 1, 1: 8, 2: 3, 3: 6}.get(turns)
