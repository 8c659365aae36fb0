"""Reads an asset's metadata with exiftool and decides what Immich v3.1.0 would store for it.

One :class:`MetadataReader` owns one long-lived ``exiftool -stay_open`` process (PyExifTool) and reuses
it for every file; a worker opens one reader and keeps it. ``read()`` is blocking: async code runs it
in a worker thread (``anyio.to_thread.run_sync``). Calls on one reader are serialised by a lock, so
sharing one reader between threads is safe but gives no parallelism: open one reader per worker
thread for that. Each call has a deadline; a call that passes it kills the process, raises
:class:`MetadataTimeout`, and the next call starts a fresh process (as it does when the process died).
exiftool reads local files: a caller with an object store downloads the original (and sidecar) first.

What is read, and how it is decided, follows Immich's metadata service (exiftool-vendored 35 with
``useMWG``, ``backfillTimezones``, ``inferTimezoneFromDatestamps``, ``inferTimezoneFromTimeStamp``,
``defaultVideosToUTC`` and GPS time zones):

- the date taken is the first parseable date of :data:`EXIF_DATE_TAGS`; its time zone comes from the
  offset tags, else the GPS position, else an offset written in a capture date, else UTC for videos,
  else the gap between a local capture time and a UTC (GPS) time;
- an XMP sidecar is read with the same process and laid over the file's tags; when it has a date,
  the file's dates and time zone are dropped, so the sidecar's date wins;
- ``local_date_time`` is the wall-clock time where the picture was taken, stored as if it were UTC.

Not done here (the caller or a later step does it): video stream facts from ffprobe/PyAV (exiftool's
duration, size, rotation and frame rate stand in), reverse geocoding (city/state/country), faces
from XMP regions (the merged tags are kept in ``raw`` for that), and writing sidecars. Dates in
exiftool-vendored's "loose" formats ("Thu Oct 13 00:12:27 2016") are not parsed. Immich bundles
exiftool 13; Debian 12 has 12.57, which differs in places (UTF-16 sidecars are converted to UTF-8
first; HEIF rotation is printed in degrees; the motion photo directory is named ``Directory``).
"""

from __future__ import annotations

import json
import math
import mmap
import os
import re
import secrets
import select
import struct
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import exiftool  # type: ignore[import-untyped]  # PyExifTool ships no type information
from tzfpy import get_tz

from albumen.media import types as media_types

__all__ = [
    "EXIF_DATE_TAGS",
    "MediaMetadata",
    "MetadataError",
    "MetadataReader",
    "MetadataTimeout",
    "MotionPhotoVideo",
    "find_sidecar",
]

DEFAULT_TIMEOUT_S = 120.0  # Immich gives exiftool two minutes per file

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
_CAPTURED_AT_TAGS = (
    "SubSecDateTimeOriginal",
    "SubSecCreateDate",
    "DateTimeOriginal",
    "CreateDate",
    "MediaCreateDate",
    "CreationDate",
    "DateTimeCreated",
    "TimeCreated",
)
_ZONE_TAGS = ("TimeZone", "OffsetTimeOriginal", "OffsetTimeDigitized", "TimeZoneOffset")

# Printed as numbers rather than as exiftool's text (the rest keep their text: lens names, "1/250").
_NUMERIC_TAGS = (
    "*Duration*",
    "GPSAltitude",
    "GPSLatitude",
    "GPSLongitude",
    "GPSPosition",
    "GeolocationPosition",
    "Orientation",
    "FocalLength",
    "FileSize",
    "Rotation",
)
# Immich's exiftool-vendored reading: tag names without groups (exiftool's own priority picks among
# duplicates, MWG composites first), print conversion except for the tags above (no global -n, which
# would turn lens names into numbers and "1/250" into 0.004), structures kept (motion photo directory,
# face regions), large files allowed. Videos add -ee for the timed metadata, as Immich does.
_READ_ARGS = (
    "-json",
    "-struct",
    "-use",
    "MWG",
    "-api",
    "largefilesupport=1",
    "--ICC_Profile:DeviceManufacturer",
    "--ICC_Profile:DeviceModelName",
    *(f"-{tag}#" for tag in _NUMERIC_TAGS),
)

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
_SIDEWAYS = frozenset({5, 6, 7, 8})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class MetadataError(Exception):
    """exiftool could not read the file (missing, empty, not a format it knows) or stopped answering."""


class MetadataTimeout(MetadataError):
    """exiftool took longer than the reader's deadline; its process was killed."""


@dataclass(frozen=True, slots=True)
class MotionPhotoVideo:
    """Where the video of an Android motion photo lies inside the still: ``length`` bytes at ``offset``.

    ``source`` says how it was found: MotionPhotoVideo (Samsung HEIC box), EmbeddedVideoFile (Samsung
    JPEG trailer), Directory (Google container) or MicroVideo (older Google).
    """

    offset: int
    length: int
    source: str


@dataclass(frozen=True, slots=True)
class MediaMetadata:
    """What Immich stores from one file's metadata; names follow the ``asset`` and ``asset_exif`` columns."""

    # asset
    date_time_original: datetime  # the instant taken, in ``time_zone`` when known; also file_created_at
    local_date_time: datetime  # wall-clock time where it was taken, as if UTC
    date_source: str  # the tag the date came from, or "file" (earliest of file times)
    time_zone: str | None  # "UTC", "UTC+2", "UTC-5:30", "America/Denver" (Immich's spelling)
    width: int | None  # as displayed (swapped for EXIF orientations 5-8)
    height: int | None
    duration_ms: int | None  # videos and animated images
    file_modified_at: datetime
    # asset_exif
    exif_image_width: int | None
    exif_image_height: int | None
    file_size_in_byte: int
    orientation: str | None
    make: str | None
    model: str | None
    lens_model: str | None
    f_number: float | None
    focal_length: float | None
    iso: int | None
    exposure_time: str | None
    latitude: float | None
    longitude: float | None
    description: str
    rating: int | None
    fps: float | None
    projection_type: str | None
    profile_description: str | None
    colorspace: str | None
    bits_per_sample: int | None
    live_photo_cid: str | None
    auto_stack_id: str | None
    tags: tuple[str, ...]  # tag names ("People/Marie Curie"), for the tag tables
    # for the caller
    mime_type: str | None
    motion_photo: MotionPhotoVideo | None
    warnings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def asset_exif_columns(self) -> dict[str, Any]:
        """Values for ``AssetExif`` (without asset_id and the reverse-geocoded city/state/country)."""
        return {
            "make": self.make,
            "model": self.model,
            "exif_image_width": self.exif_image_width,
            "exif_image_height": self.exif_image_height,
            "file_size_in_byte": self.file_size_in_byte,
            "orientation": self.orientation,
            "date_time_original": self.date_time_original,
            "modify_date": self.file_modified_at,
            "time_zone": self.time_zone,
            "lens_model": self.lens_model,
            "f_number": self.f_number,
            "focal_length": self.focal_length,
            "iso": self.iso,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "description": self.description,
            "fps": self.fps,
            "exposure_time": self.exposure_time,
            "live_photo_cid": self.live_photo_cid,
            "projection_type": self.projection_type,
            "profile_description": self.profile_description,
            "colorspace": self.colorspace,
            "bits_per_sample": self.bits_per_sample,
            "auto_stack_id": self.auto_stack_id,
            "rating": self.rating,
            "tags": list(self.tags) or None,
        }

    def asset_columns(self) -> dict[str, Any]:
        """Values for ``Asset`` that metadata extraction sets."""
        return {
            "local_date_time": self.local_date_time,
            "file_created_at": self.date_time_original,
            "file_modified_at": self.file_modified_at,
            "duration": self.duration_ms,
            "width": self.width,
            "height": self.height,
        }


def find_sidecar(path: Path) -> Path | None:
    """The sidecar Immich would pick for ``path``: ``photo.jpg.xmp``, else ``photo.xmp``."""
    for candidate in (path.with_name(path.name + ".xmp"), path.with_suffix(".xmp")):
        if candidate != path and candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------------
# The exiftool process


class _StayOpenExifTool(exiftool.ExifToolHelper):  # type: ignore[misc]  # untyped base class
    """PyExifTool's stay-open process, with an ``execute`` that has a deadline and notices a dead process.

    PyExifTool's own read loop waits forever, and spins once the process has died; this one reads
    stdout and stderr together until both sentinels arrive or the deadline passes.
    """

    timeout_s: float = DEFAULT_TIMEOUT_S

    def alive(self) -> bool:
        """Whether the process runs; one that died since the last call (killed, out of memory) is cleared."""
        if self._process is not None and self._process.poll() is not None:
            self.abandon()
        return bool(self._running)

    def execute(self, *params: str | bytes, raw_bytes: bool = False) -> str | bytes:
        if not self.alive():
            self.run()  # PyExifTool's start: Popen with -stay_open, then a version check through here
        process = self._process
        tag = 100_000 + secrets.randbelow(900_000)
        ready, post = f"{{ready{tag}}}".encode(), f"post{tag}".encode()
        args = [p if isinstance(p, bytes) else p.encode() for p in params]
        args += [b"-echo4", b"=${status}=" + post, f"-execute{tag}\n".encode()]
        try:
            process.stdin.write(b"\n".join(args))
            process.stdin.flush()
        except OSError as exc:
            self.abandon()
            raise MetadataError(f"exiftool is not running: {exc}") from exc
        out, err = self._collect(process, ready, post)
        status_text, _, _ = err.rpartition(b"=")
        stderr, _, status = status_text.rpartition(b"=")
        self._last_stdout = out
        self._last_stderr = stderr.strip()
        self._last_status = int(status) if status.strip().isdigit() else -1
        return out if raw_bytes else out.decode("utf-8", "replace")

    def _collect(self, process: Any, ready: bytes, post: bytes) -> tuple[bytes, bytes]:
        deadline = time.monotonic() + self.timeout_s
        streams = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
        ends = {process.stdout.fileno(): ready, process.stderr.fileno(): post}
        waiting = set(streams)
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                self.abandon()
                raise MetadataTimeout(f"exiftool gave no answer within {self.timeout_s:g} s")
            readable, _, _ = select.select(list(waiting), [], [], left)
            for fd in readable:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.abandon()
                    raise MetadataError("exiftool exited while reading")
                buffer = streams[fd]
                buffer += chunk
                if bytes(buffer[-(len(ends[fd]) + 8) :]).rstrip().endswith(ends[fd]):
                    waiting.discard(fd)
        out = bytes(streams[process.stdout.fileno()]).rstrip()
        err = bytes(streams[process.stderr.fileno()]).rstrip()
        return out[: -len(ready)], err[: -len(post)]

    def abandon(self) -> None:
        """Kill the process without the polite ``-stay_open False`` (it may be stuck)."""
        process = self._process
        if process is None:
            return
        with suppress(OSError):
            process.kill()
        with suppress(Exception):
            process.wait(timeout=5)
        for stream in (process.stdin, process.stdout, process.stderr):
            with suppress(OSError):
                stream.close()
        self._flag_running_false()


class MetadataReader:
    """One exiftool process, reused for every file read through it (see the module notes on threads)."""

    def __init__(self, *, executable: str = "exiftool", timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._executable = executable
        self._timeout_s = timeout_s
        self._tool: _StayOpenExifTool | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            self._start()

    def close(self) -> None:
        with self._lock:
            tool, self._tool = self._tool, None
            if tool is not None and tool.alive():
                try:
                    tool.terminate(timeout=5)
                except Exception:  # a stuck or dead process: kill it instead
                    tool.abandon()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The exiftool process id, or None before the first read (for tests and diagnostics)."""
        process = None if self._tool is None else self._tool._process
        if process is None or process.poll() is not None:
            return None
        return cast(int, process.pid)

    def _start(self) -> _StayOpenExifTool:
        if self._tool is None:
            tool = _StayOpenExifTool(executable=self._executable, common_args=[], check_execute=False)
            tool.timeout_s = self._timeout_s
            self._tool = tool
        if not self._tool.alive():
            try:
                self._tool.run()
            except (OSError, RuntimeError) as exc:
                raise MetadataError(f"cannot start {self._executable}: {exc}") from exc
        return self._tool

    def read_tags(self, path: Path, *, video: bool = False) -> dict[str, Any]:
        """exiftool's tags for one file, as Immich reads them (tag names without groups)."""
        name = os.path.abspath(path)
        if "\n" in name or "\r" in name:  # would break exiftool's argument stream
            raise MetadataError(f"{path}: file names with line breaks are not supported")
        args: list[str | bytes] = [*_READ_ARGS, *(["-ee"] if video else []), "-all", os.fsencode(name)]
        with self._lock:
            tool = self._start()
            out = cast(bytes, tool.execute(*args, raw_bytes=True))
            stderr = tool._last_stderr.decode("utf-8", "replace").strip()
        if not out:
            raise MetadataError(f"exiftool could not read {path}: {stderr or 'no output'}")
        try:
            parsed = json.loads(out.decode("utf-8", "replace"))
        except ValueError as exc:
            raise MetadataError(f"exiftool gave unreadable output for {path}") from exc
        if not isinstance(parsed, list) or not parsed or not isinstance(parsed[0], dict):
            raise MetadataError(f"exiftool gave unexpected output for {path}")
        return cast(dict[str, Any], parsed[0])

    def read(
        self, path: Path, *, sidecar: Path | None = None, file_created_at: datetime | None = None
    ) -> MediaMetadata:
        """Read ``path`` (a local file) and its XMP sidecar, if any, into what Immich would store.

        ``file_created_at`` (the upload's value) takes part in the fallback date when no tag has one.
        Raises :class:`MetadataError` when the file cannot be read at all; a sidecar that cannot be
        read is skipped with a warning, as Immich does.
        """
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise MetadataError(f"cannot read {path}: {exc.strerror or exc}") from exc
        ext = media_types.extension(path.name)
        is_video = ext in media_types.VIDEO
        values = self.read_tags(path, video=is_video)
        if "Error" in values and "FileType" not in values:
            raise MetadataError(f"exiftool could not read {path}: {values['Error']}")
        warnings = [f"{path.name}: {values['Warning']}"] if values.get("Warning") else []
        media = _FileTags.parse(values)
        warnings += media.warnings
        side: _FileTags | None = None
        if sidecar is not None:
            try:
                with _readable_sidecar(sidecar) as readable:
                    side_values = self.read_tags(readable)
                if "Error" in side_values:
                    raise MetadataError(str(side_values["Error"]))
                side = _FileTags.parse(side_values)
                warnings += side.warnings
            except MetadataTimeout:
                raise
            except (MetadataError, OSError, UnicodeError) as exc:
                warnings.append(f"sidecar {sidecar.name} skipped: {exc}")
        merged = _merge(media, side, is_video=is_video, ext=ext)
        return _decide(merged, path, stat, is_video, file_created_at, tuple(warnings))


_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@contextmanager
def _readable_sidecar(path: Path) -> Iterator[Path]:
    """The sidecar itself, or a UTF-8 copy of a UTF-16/32 one: exiftool 12.57 reads no tags from those."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if not head.startswith(_UTF16_BOMS):  # (the UTF-32 BOMs start like these)
            yield path
            return
        text = (head + handle.read()).decode("utf-32" if head in _UTF32_BOMS else "utf-16")
    declaration = re.sub(r"(<\?xml[^>]*encoding=[\"'])UTF-(?:16|32)[^\"']*", r"\1UTF-8", text[:200])
    fd, temporary = tempfile.mkstemp(suffix=".xmp", prefix="albumen-sidecar-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write((declaration + text[200:]).encode("utf-8"))
        yield Path(temporary)
    finally:
        with suppress(OSError):
            os.unlink(temporary)


# ---------------------------------------------------------------------------------------------------
# Time zones and dates (exiftool-vendored's rules, as Immich gets them)


@dataclass(frozen=True, slots=True)
class _Zone:
    name: str
    tz: tzinfo


_UTC_ZONE = _Zone("UTC", UTC)
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


def _zone_from_minutes(minutes: float | None) -> _Zone | None:
    if minutes is None or minutes not in _VALID_OFFSETS:
        return None
    whole = int(minutes)
    if whole == 0:
        return _UTC_ZONE
    hours, mins = divmod(abs(whole), 60)
    name = f"UTC{'-' if whole < 0 else '+'}{hours}" + (f":{mins:02d}" if mins else "")
    return _Zone(name, timezone(timedelta(minutes=whole)))


def _offset_minutes(match: re.Match[str]) -> float:
    sign = -1 if match["sign"] in ("-", "\u2212") else 1
    return sign * (int(match["h"]) * 60 + int(match["m"] or 0) + int(match["s"] or 0) / 60)


def _normalize_zone(value: str) -> _Zone | None:
    """A whole string that names a zone: "UTC", "+02:00", "UTC-5", "Europe/Zurich"."""
    text = value.strip()
    if not text:
        return None
    if text in _UTC_SPELLINGS:
        return _UTC_ZONE
    text = re.sub(r"^(?:Zulu|Z|GMT)(?:\b|$)", "UTC", text, flags=re.IGNORECASE)
    match = _OFFSET_RE.match(text)
    if match and int(match["h"]) <= 14:
        return _zone_from_minutes(_offset_minutes(match))
    if not _IANA_RE.match(text):
        return None
    try:
        return _Zone(text, ZoneInfo(text))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _extract_zone(value: Any) -> tuple[_Zone, str] | None:
    """The zone a tag value states, with what is left of the text before it (a date, for example)."""
    if value is None or isinstance(value, bool | dict):
        return None
    if isinstance(value, list):
        return _extract_zone(next((item for item in value if item is not None), None))
    if isinstance(value, int | float):
        zone = _zone_from_minutes(value * 60)
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
            return _UTC_ZONE, leftovers
        zone = _zone_from_minutes(_offset_minutes(match))
        if zone is not None:
            return zone, leftovers
    if abbreviation in _TZ_ABBREVIATIONS:
        zone = _zone_from_minutes(_TZ_ABBREVIATIONS[abbreviation])
        if zone is not None:
            return zone, text
    return None


@dataclass(frozen=True, slots=True)
class _ExifDateTime:
    value: datetime  # aware when the text had a zone or one was filled in; naive otherwise
    raw: str
    inferred_zone: bool


def _parse_datetime(value: Any, default_zone: _Zone | None = None) -> _ExifDateTime | None:
    """exiftool date-time text ("2023:02:02 02:00:00.5+01:00", ISO too) as exiftool-vendored reads it."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    extracted = _extract_zone(text)
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
        return _ExifDateTime(parsed.replace(tzinfo=extracted[0].tz), value, inferred_zone=False)
    if default_zone is not None:
        return _ExifDateTime(parsed.replace(tzinfo=default_zone.tz), value, inferred_zone=True)
    return _ExifDateTime(parsed, value, inferred_zone=False)


def _gps_zone(latitude: float, longitude: float) -> _Zone | None:
    """The IANA zone at a position (geo-tz in Immich, tzfpy here)."""
    name = get_tz(longitude, latitude)
    if not name:
        return None
    if name in _UTC_SPELLINGS:
        return _UTC_ZONE
    try:
        return _Zone(name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _is_utc_tag(name: str) -> bool:
    return "UTC" in name or name.startswith("GPS")


def _naive_utc_seconds(value: _ExifDateTime) -> float:
    return value.value.replace(tzinfo=UTC).timestamp()


def _likely_zone(delta_minutes: float) -> _Zone | None:
    best = min(_VALID_OFFSETS, key=lambda offset: abs(offset - delta_minutes))
    return _zone_from_minutes(best) if abs(best - delta_minutes) <= 30 else None


# ---------------------------------------------------------------------------------------------------
# One file's tags, then the media file and its sidecar merged


@dataclass
class _FileTags:
    values: dict[str, Any]
    is_video: bool
    latitude: float | None
    longitude: float | None
    zone: _Zone | None
    dates: dict[str, _ExifDateTime | None]  # EXIF_DATE_TAGS present in the file; None: not a date-time
    warnings: list[str]

    @classmethod
    def parse(cls, values: dict[str, Any]) -> _FileTags:
        warnings: list[str] = []
        is_video = str(values.get("MIMEType", "")).startswith("video/")
        latitude, longitude, gps_invalid = _gps(values, warnings)
        if gps_invalid:
            values = {k: v for k, v in values.items() if not k.startswith(("GPS", "Geolocation"))}
        tags = cls(values, is_video, latitude, longitude, None, {}, warnings)
        tags.zone = tags._file_zone()
        for name in EXIF_DATE_TAGS:
            if name in values:
                tags.dates[name] = tags._date(name)
        return tags

    def _date(self, name: str) -> _ExifDateTime | None:
        """A date tag parsed with the file's zone filled in, as exiftool-vendored's ``backfillTimezones``."""
        zone = self.zone
        utc = _is_utc_tag(name) or self.is_video
        parsed = _parse_datetime(self.values.get(name), _UTC_ZONE if utc else zone)
        if parsed and parsed.inferred_zone and self.is_video and not _is_utc_tag(name) and zone:
            # a video's times are UTC: the same instant, shown in the file's zone
            parsed = _ExifDateTime(parsed.value.astimezone(zone.tz), parsed.raw, True)
        return parsed

    def _file_zone(self) -> _Zone | None:
        values = self.values
        for name in _ZONE_TAGS:
            found = _extract_zone(values.get(name))
            if found is None:
                continue
            zone = found[0]
            daylight = str(values.get("DaylightSavings", "")).strip().lower() in ("yes", "true", "1")
            if daylight and re.search(r"\bnikon\b", str(values.get("Make", "")), re.IGNORECASE):
                offset = zone.tz.utcoffset(None)
                if isinstance(zone.tz, timezone) and offset is not None:
                    adjusted = _zone_from_minutes(offset.total_seconds() / 60 + 60)
                    zone = adjusted or zone
            return zone
        if self.latitude is not None and self.longitude is not None:
            at_position = _gps_zone(self.latitude, self.longitude)
            if at_position is not None:
                return at_position
        for name in _CAPTURED_AT_TAGS:
            found = _extract_zone(values.get(name)) if name in values else None
            if found is not None and found[0] is not _UTC_ZONE:
                return found[0]
        if self.is_video:
            return _UTC_ZONE
        return self._zone_from_utc_gap() or self._zone_from_timestamp()

    def _zone_from_utc_gap(self) -> _Zone | None:
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
            parsed = _parse_datetime(candidate)
            if parsed is None or (
                parsed.value.tzinfo is not None and parsed.value.utcoffset() != timedelta(0)
            ):
                continue
            utc_seconds = _naive_utc_seconds(parsed)
            break
        if utc_seconds is None:
            return None
        for name in _CAPTURED_AT_TAGS:
            parsed = _parse_datetime(values.get(name))
            if parsed is not None and parsed.value.tzinfo is None:
                return _likely_zone((_naive_utc_seconds(parsed) - utc_seconds) / 60)
        return None

    def _zone_from_timestamp(self) -> _Zone | None:
        stamp = _parse_datetime(self.values.get("TimeStamp"))
        if stamp is None:
            return None
        stamp_seconds = stamp.value.timestamp() if stamp.value.tzinfo else _naive_utc_seconds(stamp)
        for name in _CAPTURED_AT_TAGS:
            parsed = _parse_datetime(self.values.get(name))
            if parsed is None:
                continue
            if parsed.value.tzinfo is not None:  # a capture time with its own zone: that zone
                found = _extract_zone(parsed.raw)
                return found[0] if found else None
            zone = _likely_zone((_naive_utc_seconds(parsed) - stamp_seconds) / 60)
            if zone is not None:
                return zone
        return None


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


def _gps(values: Mapping[str, Any], warnings: list[str]) -> tuple[float | None, float | None, bool]:
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


@dataclass
class _Merged:
    values: dict[str, Any]
    dates: dict[str, _ExifDateTime | None]
    zone: _Zone | None
    latitude: float | None
    longitude: float | None


def _first_datetime(dates: Mapping[str, _ExifDateTime | None]) -> tuple[str, _ExifDateTime] | None:
    for name in EXIF_DATE_TAGS:
        found = dates.get(name)
        if found is not None:
            return name, found
    return None


def _merge(media: _FileTags, sidecar: _FileTags | None, *, is_video: bool, ext: str) -> _Merged:
    values = dict(media.values)
    if not is_video and ext not in _POSSIBLY_ANIMATED:
        values.pop("Duration", None)  # e.g. a CR3's "1 s"; videos keep exiftool's (Immich takes ffprobe's)
    if ext in _HEIF:  # HEIF: EXIF orientation is often wrong; the irot box (exiftool's Rotation) decides
        values.pop("Orientation", None)
        orientation = _heif_orientation(values.get("Rotation"))
        if orientation is not None:
            values["Orientation"] = orientation
    if is_video:  # what Immich takes from ffprobe's rotation: exiftool's clockwise degrees stand in
        orientation = {0: 1, 90: 6, 180: 3, 270: 8}.get(_int_or_none(values.get("Rotation")) or 0)
        if "Rotation" in values and orientation is not None:
            values["Orientation"] = orientation
    dates, zone = dict(media.dates), media.zone
    latitude, longitude = media.latitude, media.longitude
    if sidecar is not None:
        side_values = {k: v for k, v in sidecar.values.items() if k not in _FILE_FACTS and k != "Duration"}
        if _first_datetime(sidecar.dates) is not None:  # the sidecar's date wins, with its zone
            dates, zone = {}, None
            values = {k: v for k, v in values.items() if k not in EXIF_DATE_TAGS}
        values.update(side_values)
        dates.update(sidecar.dates)
        zone = sidecar.zone or zone
        latitude = sidecar.latitude if sidecar.latitude is not None else latitude
        longitude = sidecar.longitude if sidecar.longitude is not None else longitude
    return _Merged(values, dates, zone, latitude, longitude)


def _heif_orientation(rotation: Any) -> int | None:
    """irot quarter turns anticlockwise (exiftool 13 prints 0-3, 12.x prints degrees) to EXIF orientation."""
    turns = _int_or_none(rotation)
    if turns is None:
        return None
    if turns >= 90 and turns % 90 == 0:
        turns //= 90
    return {0: 1, 1: 8, 2: 3, 3: 6}.get(turns)


# ---------------------------------------------------------------------------------------------------
# Immich's choices for each column


def _milliseconds(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def _validate(value: Any) -> float | None:
    """Immich's ``validate``: the first of a list; text or out-of-range numbers give nothing."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not _INT_MIN <= value <= _INT_MAX:
        return None
    return float(value)


def _validate_int(value: Any) -> int | None:
    number = _validate(value)
    return None if number is None else math.floor(number + 0.5)


def _js_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(_js_str(item) for item in value)
    return str(value)


def _leading_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        match = re.match(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", value)
        return float(match[0]) if match else None
    return None


def _first_present(values: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if values.get(name) is not None:
            return values[name]
    return None


def _struct_field(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _device(values: Mapping[str, Any], tag: str, device_field: str, android: str, plain: str) -> Any:
    """Immich's ``Make ?? Device.Manufacturer ?? AndroidMake ?? (DeviceManufacturer || null)``."""
    for candidate in (
        values.get(tag),
        _struct_field(values.get("Device"), device_field),
        values.get(android),
    ):
        if candidate is not None:
            return candidate
    return values.get(plain) or None


def _optional_text(value: Any) -> str | None:
    return None if value is None else _js_str(value)


def _lens_model(values: Mapping[str, Any]) -> str | None:
    lens = _js_str(_first_present(values, "LensID", "LensType", "LensSpec", "LensModel") or "").strip()
    if lens == "----" or lens.startswith("Unknown"):
        return None
    return lens or None


def _dimensions(values: Mapping[str, Any]) -> tuple[float | None, float | None]:
    size = values.get("ImageSize")
    width = height = None
    if size is not None:
        parts = [_leading_number(part) for part in _js_str(size).split("x")]
        if len(parts) >= 2:
            width, height = (int(p) if p else None for p in parts[:2])
    if not width or not height:
        return _validate(values.get("ImageWidth")), _validate(values.get("ImageHeight"))
    return _validate(width), _validate(height)


def _bits_per_sample(values: Mapping[str, Any]) -> int | None:
    for name in ("BitsPerSample", "ComponentBitDepth", "ImagePixelDepth", "BitDepth", "ColorBitDepth"):
        value = values.get(name)
        if isinstance(value, str):
            match = re.match(r"^\s*[+-]?\d+", value)
            value = int(match[0]) if match else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            bits = int(value)
            return bits // 3 if bits >= 24 and bits % 3 == 0 else bits
    return None


def _tag_names(values: Mapping[str, Any]) -> tuple[str, ...]:
    def as_list(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    if values.get("TagsList") is not None:
        names = [_js_str(tag) for tag in as_list(values["TagsList"])]
    elif values.get("HierarchicalSubject") is not None:
        names = [
            _js_str(tag)
            if not isinstance(tag, str)
            else "/".join(part.replace("/", "|") for part in tag.split("|"))
            for tag in as_list(values["HierarchicalSubject"])
        ]
    elif values.get("Keywords") is not None:
        names = [_js_str(tag) for tag in as_list(values["Keywords"])]
    else:
        names = []
    return tuple(dict.fromkeys(name for name in names if name.strip()))


def _duration_ms(value: Any) -> int | None:
    seconds = _leading_number(value)
    return None if seconds is None else math.floor(seconds * 1000 + 0.5)


_BINARY_RE = re.compile(r"^\(Binary data (\d+) bytes")


def _binary_size(value: Any) -> int | None:
    match = _BINARY_RE.match(value) if isinstance(value, str) else None
    return int(match[1]) if match else None


def _truthy(value: Any) -> bool:
    return bool(value) and value not in ("0", "False", "false")


def _motion_photo(
    values: Mapping[str, Any], path: Path, size: int, warnings: list[str]
) -> MotionPhotoVideo | None:
    """Samsung/Google motion photos, by Immich's rules; the bytes are located here for the caller."""
    is_motion, is_micro = _truthy(values.get("MotionPhoto")), _truthy(values.get("MicroVideo"))
    if not (is_motion or is_micro):
        return None
    length = padding = 0
    directory = values.get("ContainerDirectory") or values.get("Directory")
    if is_motion and isinstance(directory, list):
        for entry in directory:
            item = _struct_field(entry, "Item") or entry
            if _struct_field(item, "Semantic") == "MotionPhoto":
                length = _int_or_none(_struct_field(item, "Length")) or 0
                padding = _int_or_none(_struct_field(item, "Padding")) or 0
                break
    if is_micro and _int_or_none(values.get("MicroVideoOffset")) is not None:
        length = int(values["MicroVideoOffset"])
    box_size = _binary_size(values.get("MotionPhotoVideo"))
    trailer_size = (
        _binary_size(values.get("EmbeddedVideoFile"))
        if values.get("EmbeddedVideoType") == "MotionPhoto_Data"
        else None
    )
    if not length and not trailer_size and not box_size:
        return None
    found: MotionPhotoVideo | None
    if box_size:  # Samsung HEIC: a top-level "mpvd" box holds the MP4
        found = _find_mpvd_box(path)
    elif trailer_size:  # Samsung JPEG: the MP4 follows a "MotionPhoto_Data" marker in the trailer
        found = _find_samsung_trailer(path, trailer_size)
    else:  # Google: the video is the file's last item
        source = "MicroVideo" if is_micro and values.get("MicroVideoOffset") is not None else "Directory"
        found = MotionPhotoVideo(size - length - padding, length, source)
    if found is None or found.length <= 0 or found.offset < 0 or found.offset + found.length > size:
        warnings.append(f"motion photo video not found in {path.name}")
        return None
    return found


def _find_mpvd_box(path: Path) -> MotionPhotoVideo | None:
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            box_size, kind = struct.unpack(">I4s", header[:8])
            header_size = 8
            if box_size == 1 and len(header) == 16:
                box_size, header_size = struct.unpack(">Q", header[8:16])[0], 16
            elif box_size == 0:
                box_size = size - offset
            if box_size < header_size:
                return None
            if kind == b"mpvd":
                return MotionPhotoVideo(offset + header_size, box_size - header_size, "MotionPhotoVideo")
            offset += box_size
    return None


def _find_samsung_trailer(path: Path, length: int) -> MotionPhotoVideo | None:
    marker = b"MotionPhoto_Data"
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = len(data) - length
        position = data.rfind(marker, max(0, end - len(marker) - 65536), end)
        if position < 0:
            return None
        return MotionPhotoVideo(position + len(marker), length, "EmbeddedVideoFile")


def _decide(
    merged: _Merged,
    path: Path,
    stat: os.stat_result,
    is_video: bool,
    file_created_at: datetime | None,
    warnings: tuple[str, ...],
) -> MediaMetadata:
    values = merged.values
    notes = list(warnings)
    modified = _milliseconds(datetime.fromtimestamp(stat.st_mtime, UTC))  # JavaScript dates, as Immich

    # dates (Immich's getDates)
    first = _first_datetime(merged.dates)
    time_zone = merged.zone.name if merged.zone else None
    if first is not None:
        source, taken = first
        zone_info: tzinfo = merged.zone.tz if merged.zone else UTC
        if time_zone is None and taken.raw.rstrip().endswith(("Z", "+00:00")):
            time_zone = "UTC+0"  # Immich's spelling when the zone is only in the date's own text
        instant = taken.value if taken.value.tzinfo else taken.value.replace(tzinfo=UTC)
        original = instant.astimezone(zone_info)
        local = original.replace(tzinfo=UTC)
    else:
        source, time_zone = "file", None
        candidates = [modified, *([file_created_at.astimezone(UTC)] if file_created_at else [])]
        birth = getattr(stat, "st_birthtime", None)
        if birth:
            candidates.append(datetime.fromtimestamp(birth, UTC))
        original = local = _milliseconds(min(candidates))

    # dimensions and orientation
    width, height = _dimensions(values)
    orientation = _validate_int(values.get("Orientation"))
    sideways = orientation in _SIDEWAYS
    exif_width, exif_height = _validate_int(width), _validate_int(height)

    rating = _validate_int(values.get("Rating"))
    live_photo = values.get("ContentIdentifier") or values.get("MediaGroupUUID")
    latitude, longitude = merged.latitude, merged.longitude
    has_geo = latitude is not None and longitude is not None and (latitude != 0 or longitude != 0)
    projection = values.get("ProjectionType")
    motion = None if is_video else _motion_photo(values, path, stat.st_size, notes)

    return MediaMetadata(
        date_time_original=original,
        local_date_time=local,
        date_source=source,
        time_zone=time_zone,
        width=exif_height if sideways else exif_width,
        height=exif_width if sideways else exif_height,
        duration_ms=_duration_ms(values.get("Duration")),
        file_modified_at=modified,
        exif_image_width=exif_width,
        exif_image_height=exif_height,
        file_size_in_byte=stat.st_size,
        orientation=None if orientation is None else str(orientation),
        make=_optional_text(_device(values, "Make", "Manufacturer", "AndroidMake", "DeviceManufacturer")),
        model=_optional_text(_device(values, "Model", "ModelName", "AndroidModel", "DeviceModelName")),
        lens_model=_lens_model(values),
        f_number=_validate(values.get("FNumber")),
        focal_length=_validate(values.get("FocalLength")),
        iso=_validate_int(values.get("ISO")),
        exposure_time=_optional_text(values.get("ExposureTime")),
        latitude=latitude if has_geo else None,
        longitude=longitude if has_geo else None,
        description=_js_str(values.get("ImageDescription") or values.get("Description") or "").strip(),
        rating=rating if rating is not None and 1 <= rating <= 5 else None,
        fps=_validate(_leading_number(values.get("VideoFrameRate"))),
        projection_type=_js_str(projection).upper() if projection else None,
        profile_description=_optional_text(values.get("ProfileDescription") or None),
        colorspace=_optional_text(values.get("ColorSpace")),
        bits_per_sample=_bits_per_sample(values),
        live_photo_cid=_optional_text(live_photo or None),
        auto_stack_id=_optional_text(
            _first_present(values, "BurstID", "BurstUUID", "CameraBurstID", "MediaUniqueID")
        ),
        tags=_tag_names(values),
        mime_type=_optional_text(values.get("MIMEType")),
        motion_photo=motion,
        warnings=tuple(notes),
        raw=values,
    )
