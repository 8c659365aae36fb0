"""Metadata read with the real exiftool: the dates, zones and fields Immich v3.1.0 would store.

The expected values were worked out from each file's tags (``exiftool -j -struct -use MWG``) and
Immich's rules; where Immich's own tests cover a file (server/test/medium/specs/exif), they agree.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import struct
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from albumen.media.metadata import (
    MediaMetadata,
    MetadataError,
    MetadataReader,
    MetadataTimeout,
    MotionPhotoVideo,
    find_sidecar,
)
from albumen.media.metadata.tags import FileTags
from tests.conftest import ASSETS_DIR

METADATA = ASSETS_DIR / "metadata"
DATES = METADATA / "dates"


@pytest.fixture(scope="module")
def reader() -> Iterator[MetadataReader]:
    assert shutil.which("exiftool"), "exiftool is missing: scripts/install.sh installs libimage-exiftool-perl"
    with MetadataReader() as opened:
        yield opened


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def set_mtime(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


# ---------------------------------------------------------------------------------------------------
# Dates: every file in metadata/dates


# file -> (tag the date comes from, instant taken, local wall-clock time, time zone)
EXPECTED_DATES: dict[str, tuple[str, datetime, datetime, str | None]] = {
    # DateTimeOriginal beats CreateDate, CreationDate and the XMP GPSDateTime; no offset tag, no GPS
    # position, IPTC TimeCreated says +00:00 (UTC offsets in datestamps are ignored): no zone.
    "date-priority-test.jpg": ("DateTimeOriginal", utc(2023, 2, 2, 2), utc(2023, 2, 2, 2), None),
    # No offset tag, but a position (39 N, 108 W): the zone is America/Denver, 11:30 there is 18:30Z.
    "datetimeoriginal-gps.jpg": (
        "DateTimeOriginal",
        utc(2025, 12, 1, 18, 30),
        utc(2025, 12, 1, 11, 30),
        "America/Denver",
    ),
    # Only GPSDateTime (12:30Z); the position (San Francisco) gives the zone: 04:30 PST locally.
    "gps-datetime.jpg": (
        "GPSDateTime",
        utc(2023, 11, 15, 12, 30),
        utc(2023, 11, 15, 4, 30),
        "America/Los_Angeles",
    ),
    # Only IPTC TimeCreated (a time without a date), which Immich ignores: the file's time is used.
    "time-created.jpg": ("file", utc(2021, 3, 4, 5, 6, 7), utc(2021, 3, 4, 5, 6, 7), None),
}


def test_every_dates_asset_has_an_expectation() -> None:
    assert sorted(p.name for p in DATES.iterdir()) == sorted(EXPECTED_DATES)


@pytest.mark.parametrize("name", sorted(EXPECTED_DATES))
def test_date_taken_follows_immich(reader: MetadataReader, tmp_path: Path, name: str) -> None:
    source, instant, local, zone = EXPECTED_DATES[name]
    path = tmp_path / name
    shutil.copyfile(DATES / name, path)
    set_mtime(path, utc(2021, 3, 4, 5, 6, 7))  # the fallback when no tag has a date

    meta = reader.read(path)

    assert (meta.date_source, meta.date_time_original, meta.local_date_time, meta.time_zone) == (
        source,
        instant,
        local,
        zone,
    )
    assert meta.local_date_time.tzinfo is UTC
    if zone is not None:  # shown in its own zone
        assert meta.date_time_original.utcoffset() == instant.astimezone(ZoneInfo(zone)).utcoffset()
    assert meta.asset_columns()["file_created_at"] == instant


def test_without_a_date_the_earliest_file_time_wins(reader: MetadataReader, tmp_path: Path) -> None:
    path = tmp_path / "time-created.jpg"
    shutil.copyfile(DATES / path.name, path)
    set_mtime(path, utc(2021, 3, 4, 5, 6, 7))

    meta = reader.read(path, file_created_at=utc(2020, 1, 1, 12))

    assert (meta.date_source, meta.date_time_original, meta.local_date_time) == (
        "file",
        utc(2020, 1, 1, 12),
        utc(2020, 1, 1, 12),
    )
    assert meta.file_modified_at == utc(2021, 3, 4, 5, 6, 7)
    assert (meta.make, meta.model) == ("Canon", "EOS R5")


# ---------------------------------------------------------------------------------------------------
# GPS, rating, tags, orientation


def test_gps_position_and_its_zone(reader: MetadataReader) -> None:
    meta = reader.read(METADATA / "gps-position" / "thompson-springs.jpg")

    assert meta.latitude == pytest.approx(39.115)
    assert meta.longitude == pytest.approx(-108.400968)
    # DateTimeOriginal (XMP photoshop:DateCreated through MWG) has no offset: the position's zone fills it.
    assert (meta.date_source, meta.time_zone) == ("DateTimeOriginal", "America/Denver")
    assert meta.local_date_time == datetime(2022, 1, 10, 15, 15, 44, 310000, tzinfo=UTC)
    assert meta.date_time_original == datetime(2022, 1, 10, 22, 15, 44, 310000, tzinfo=UTC)
    assert meta.lens_model == "Canon EF 24-105mm f/4L IS II USM"
    assert meta.description.startswith("Early winter scene in the mostly barren")
    assert not meta.description.endswith(" ")
    assert "thompson springs" in meta.tags


def test_empty_gps_block_gives_no_position(reader: MetadataReader) -> None:
    meta = reader.read(METADATA / "gps-position" / "empty_gps.jpg")

    assert (meta.latitude, meta.longitude) == (None, None)
    assert meta.time_zone is None
    assert (meta.date_source, meta.local_date_time) == (
        "SubSecDateTimeOriginal",
        datetime(2025, 6, 1, 16, 59, 26, 23000, tzinfo=UTC),  # milliseconds, as Immich keeps them
    )
    assert (meta.make, meta.model, meta.iso, meta.exposure_time) == (
        "motorola",
        "moto g(9) plus",
        234,
        "1/40",
    )
    assert (meta.f_number, meta.focal_length) == (1.8, 5.53)
    assert (meta.width, meta.height, meta.orientation) == (4640, 3472, "1")


def test_rating(reader: MetadataReader) -> None:
    meta = reader.read(METADATA / "rating" / "mongolels.jpg")

    assert meta.rating == 3
    assert (meta.make, meta.model, meta.description) == ("Canon", "Canon EOS 500D", "Mongol Els")
    assert (meta.iso, meta.f_number, meta.exposure_time, meta.focal_length) == (200, 11.0, "1/250", 40.0)
    assert meta.local_date_time == datetime(2009, 8, 29, 13, 18, 8, 170000, tzinfo=UTC)


def test_picasa_keywords_become_tags(reader: MetadataReader) -> None:
    meta = reader.read(METADATA / "tags" / "picasa.jpg")

    assert meta.tags == ("Frost", "Yard")
    assert meta.asset_exif_columns()["tags"] == ["Frost", "Yard"]
    assert meta.description == "Image-Description"
    assert meta.lens_model is None  # LensID "Unknown 6-18mm": Immich drops unknown lenses


def test_orientation_6_swaps_the_asset_size(reader: MetadataReader) -> None:
    meta = reader.read(METADATA / "faces" / "portrait-orientation-6.jpg")
    upright = reader.read(METADATA / "faces" / "portrait.jpg")

    assert meta.orientation == "6"
    assert (meta.exif_image_width, meta.exif_image_height) == (700, 840)
    assert (meta.width, meta.height) == (840, 700) == (upright.width, upright.height)
    # hierarchical keywords: "People|Marie Curie" becomes the tag path "People/Marie Curie"
    assert meta.tags == ("People/Marie Curie", "People/Pierre Curie")


# ---------------------------------------------------------------------------------------------------
# XMP sidecars


@pytest.mark.parametrize("year", [2000, 2010, 2020])
def test_sidecar_date_overrides_the_files(reader: MetadataReader, year: int) -> None:
    # UTF-16 sidecars (with a BOM and CRLF) holding xmp:CreateDate = <year>-09-27T14:35:33+02:00
    sidecar = METADATA / "xmp" / "dates" / f"{year}.xmp"

    meta = reader.read(DATES / "date-priority-test.jpg", sidecar=sidecar)

    assert (meta.date_source, meta.time_zone) == ("CreateDate", "UTC+2")
    assert meta.date_time_original == utc(year, 9, 27, 12, 35, 33)  # Immich's e2e: fileCreatedAt
    assert meta.local_date_time == utc(year, 9, 27, 14, 35, 33)
    assert meta.warnings == ()


def test_sidecar_without_a_date_keeps_the_files_date(reader: MetadataReader, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    shutil.copyfile(METADATA / "gps-position" / "thompson-springs.jpg", photo)
    sidecar = tmp_path / "photo.jpg.xmp"
    sidecar.write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:digiKam="http://www.digikam.org/ns/1.0/" xmp:Rating="5">'
        "<digiKam:TagsList><rdf:Seq><rdf:li>Trips/Utah</rdf:li><rdf:li>Snow</rdf:li></rdf:Seq></digiKam:TagsList>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>",
        encoding="utf-8",
    )
    assert find_sidecar(photo) == sidecar

    meta = reader.read(photo, sidecar=sidecar)

    assert (meta.rating, meta.tags) == (5, ("Trips/Utah", "Snow"))
    assert (meta.date_source, meta.time_zone) == ("DateTimeOriginal", "America/Denver")
    assert meta.local_date_time == datetime(2022, 1, 10, 15, 15, 44, 310000, tzinfo=UTC)
    assert meta.mime_type == "image/jpeg"  # the sidecar's own file facts do not replace the photo's


def test_unreadable_sidecar_is_skipped_with_a_warning(reader: MetadataReader, tmp_path: Path) -> None:
    sidecar = tmp_path / "broken.xmp"
    sidecar.write_bytes(b"\x00\x01 not xml at all")

    meta = reader.read(DATES / "date-priority-test.jpg", sidecar=sidecar)

    assert meta.date_source == "DateTimeOriginal"
    assert any("sidecar broken.xmp skipped" in warning for warning in meta.warnings)


def test_malformed_iso_array(reader: MetadataReader) -> None:
    xmp = ASSETS_DIR / "problems" / "xmp" / "iso-value-array" / "iso-value-array.xmp"

    alone = reader.read(xmp)
    as_sidecar = reader.read(DATES / "time-created.jpg", sidecar=xmp)

    for meta in (alone, as_sidecar):
        assert meta.iso == 160  # exif:ISOSpeedRatings written as an array: its first value
        assert (meta.f_number, meta.exposure_time, meta.focal_length) == (2.8, "1/1250", 6.0)
        assert meta.description == ""  # a blank description is trimmed away
        # the sidecar's DateTimeOriginal, in the zone of its GPS position (Pennsylvania)
        assert (meta.date_source, meta.time_zone) == ("DateTimeOriginal", "America/New_York")
        assert meta.date_time_original == utc(2009, 11, 28, 18, 42, 39)
        assert meta.latitude == pytest.approx(40.234644, abs=1e-6)
        assert meta.longitude == pytest.approx(-76.287142, abs=1e-6)
    assert (as_sidecar.make, as_sidecar.model) == ("Canon", "Canon PowerShot SX120 IS")


# ---------------------------------------------------------------------------------------------------
# Motion photos and videos


def test_samsung_motion_photo_video_is_located(reader: MetadataReader, tmp_path: Path) -> None:
    path = ASSETS_DIR / "formats" / "motionphoto" / "samsung-one-ui-6.heic"

    meta = reader.read(path)

    assert meta.motion_photo == MotionPhotoVideo(offset=452284, length=3226469, source="MotionPhotoVideo")
    with open(path, "rb") as handle:
        handle.seek(meta.motion_photo.offset)
        video = handle.read(meta.motion_photo.length)
    assert video[4:12] == b"ftypmp42"
    assert meta.motion_photo.offset + meta.motion_photo.length <= meta.file_size_in_byte
    extracted = tmp_path / "samsung-one-ui-6.mp4"
    extracted.write_bytes(video)
    embedded = reader.read(extracted)
    assert embedded.mime_type == "video/mp4"
    assert embedded.duration_ms is not None
    assert 1000 < embedded.duration_ms < 10_000
    # the still itself: OffsetTimeOriginal -08:00, irot (not EXIF) decides HEIF orientation
    assert (meta.date_source, meta.time_zone) == ("SubSecDateTimeOriginal", "UTC-8")
    assert meta.date_time_original == datetime(2024, 1, 13, 5, 38, 53, 853000, tzinfo=UTC)
    assert meta.local_date_time == datetime(2024, 1, 12, 21, 38, 53, 853000, tzinfo=UTC)
    assert (meta.orientation, meta.width, meta.height) == ("6", 3000, 4000)
    assert (meta.make, meta.model) == ("samsung", "SM-S906U")


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def make_movie(
    created: datetime,
    *,
    width: int = 320,
    height: int = 240,
    frames: int = 75,
    fps: int = 30,
    rotate90: bool = False,
    apple_keys: dict[str, str] | None = None,
) -> bytes:
    """A small, valid MP4/MOV header (no media samples): enough for exiftool's QuickTime reader."""
    seconds = int((created - datetime(1904, 1, 1, tzinfo=UTC)).total_seconds())
    duration_ms = frames * 1000 // fps
    identity = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    clockwise = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    mvhd = _full_box(
        b"mvhd", 0, 0, struct.pack(">IIIIIH", seconds, seconds, 1000, duration_ms, 0x10000, 0x100),
        bytes(10), identity, bytes(24), struct.pack(">I", 2),
    )  # fmt: skip
    tkhd = _full_box(
        b"tkhd", 0, 3, struct.pack(">IIIII", seconds, seconds, 1, 0, duration_ms), bytes(16),
        clockwise if rotate90 else identity, struct.pack(">II", width << 16, height << 16),
    )  # fmt: skip
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", seconds, seconds, fps, frames, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\0")
    avc1 = _box(
        b"avc1", bytes(6), struct.pack(">H", 1), bytes(16), struct.pack(">HH", width, height),
        struct.pack(">II", 0x480000, 0x480000), bytes(4), struct.pack(">H", 1), bytes(32),
        struct.pack(">Hh", 0x18, -1),
    )  # fmt: skip
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, frames, 1)),
        _full_box(b"stsc", 0, 0, struct.pack(">I", 0)),
        _full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
        _full_box(b"stco", 0, 0, struct.pack(">I", 0)),
    )
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    minf = _box(b"minf", _full_box(b"vmhd", 0, 1, bytes(8)), dinf, stbl)
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
    meta = b""
    if apple_keys:  # QuickTime "mdta" metadata, as an iPhone writes it
        keys = b"".join(_box(b"mdta", key.encode()) for key in apple_keys)
        items = b"".join(
            struct.pack(">II", 8 + 16 + len(value.encode()), index)
            + _box(b"data", struct.pack(">II", 1, 0), value.encode())
            for index, value in enumerate(apple_keys.values(), 1)
        )
        meta = _box(
            b"meta",
            _full_box(b"hdlr", 0, 0, bytes(4), b"mdta", bytes(12), b"\0"),
            _full_box(b"keys", 0, 0, struct.pack(">I", len(apple_keys)), keys),
            _box(b"ilst", items),
        )
    brand = b"qt  " if apple_keys else b"isom"
    ftyp = _box(b"ftyp", brand, struct.pack(">I", 0x200), brand, b"iso2mp41" if not apple_keys else b"")
    return ftyp + _box(b"moov", mvhd, trak, meta) + _box(b"mdat")


def jpeg_with_xmp(description_attributes: str, children: str = "") -> bytes:
    """time-created.jpg with an XMP packet (GCamera/Container namespaces) in an APP1 segment."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"'
        ' xmlns:Container="http://ns.google.com/photos/1.0/container/"'
        f' xmlns:Item="http://ns.google.com/photos/1.0/container/item/" {description_attributes}>'
        f"{children}</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()
    jpeg = (DATES / "time-created.jpg").read_bytes()
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_google_motion_photo_container(reader: MetadataReader, tmp_path: Path) -> None:
    video = make_movie(utc(2024, 1, 1))
    still = jpeg_with_xmp(
        'GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"',
        "<Container:Directory><rdf:Seq>"
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"'
        ' Item:Length="0" Item:Padding="0"/></rdf:li>'
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto"'
        f' Item:Length="{len(video)}" Item:Padding="0"/></rdf:li>'
        "</rdf:Seq></Container:Directory>",
    )
    path = tmp_path / "PXL_0001.MP.jpg"
    path.write_bytes(still + video)

    assert reader.read(path).motion_photo == MotionPhotoVideo(len(still), len(video), "Directory")


def test_google_micro_video(reader: MetadataReader, tmp_path: Path) -> None:
    video = make_movie(utc(2024, 1, 1))
    still = jpeg_with_xmp(f'GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{len(video)}"')
    path = tmp_path / "MVIMG_0001.jpg"
    path.write_bytes(still + video)

    assert reader.read(path).motion_photo == MotionPhotoVideo(len(still), len(video), "MicroVideo")


def test_samsung_jpeg_trailer(reader: MetadataReader, tmp_path: Path) -> None:
    video = make_movie(utc(2024, 1, 1))
    still = jpeg_with_xmp('GCamera:MotionPhoto="1"')
    # Samsung's trailer: a named data block, then the SEFH directory (negative offsets), then SEFT
    name = b"MotionPhoto_Data"
    block = struct.pack("<HHI", 0, 0x0A30, len(name)) + name + video
    directory = b"SEFH" + struct.pack("<IIHHII", 101, 1, 0, 0x0A30, len(block), len(block))
    path = tmp_path / "20240101_000000.jpg"
    path.write_bytes(still + block + directory + struct.pack("<I", len(directory)) + b"SEFT")

    meta = reader.read(path)

    assert meta.motion_photo == MotionPhotoVideo(len(still) + 8 + len(name), len(video), "EmbeddedVideoFile")
    assert meta.date_source == "file"  # (the still itself has no date)


def test_a_still_without_motion_tags_has_no_video(reader: MetadataReader, tmp_path: Path) -> None:
    path = tmp_path / "appended.jpg"
    path.write_bytes((DATES / "time-created.jpg").read_bytes() + make_movie(utc(2024, 1, 1)))

    assert reader.read(path).motion_photo is None


def test_generated_mp4_dates_are_utc(reader: MetadataReader, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_movie(utc(2024, 5, 6, 7, 8, 9)))

    meta = reader.read(path)

    assert meta.mime_type == "video/mp4"
    # QuickTime CreateDate has no zone: videos are UTC (defaultVideosToUTC), and the zone is "UTC"
    assert (meta.date_source, meta.time_zone) == ("CreateDate", "UTC")
    assert meta.date_time_original == meta.local_date_time == utc(2024, 5, 6, 7, 8, 9)
    assert (meta.duration_ms, meta.fps, meta.width, meta.height, meta.orientation) == (
        2500,
        30.0,
        320,
        240,
        "1",
    )
    assert meta.motion_photo is None
    assert meta.asset_columns()["duration"] == 2500


def test_generated_live_photo_movie(reader: MetadataReader, tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.MOV"
    content_id = "8E5C3B2A-1234-4D5E-9F00-ABCDEF012345"
    path.write_bytes(
        make_movie(
            utc(2023, 11, 15, 12, 30),
            width=1920,
            height=1080,
            rotate90=True,
            apple_keys={
                "com.apple.quicktime.content.identifier": content_id,
                "com.apple.quicktime.location.ISO6709": "+37.7749-122.4194+010.000/",
                "com.apple.quicktime.creationdate": "2023-11-15T04:30:00-0800",
                "com.apple.quicktime.make": "Apple",
                "com.apple.quicktime.model": "iPhone 15",
            },
        )
    )

    meta = reader.read(path)

    assert meta.live_photo_cid == content_id
    assert (meta.latitude, meta.longitude) == (pytest.approx(37.7749), pytest.approx(-122.4194))
    assert (meta.date_source, meta.time_zone) == ("CreationDate", "America/Los_Angeles")
    assert meta.date_time_original == utc(2023, 11, 15, 12, 30)
    assert meta.local_date_time == utc(2023, 11, 15, 4, 30)
    assert (meta.orientation, meta.width, meta.height) == ("6", 1080, 1920)  # rotated 90 degrees clockwise
    assert (meta.make, meta.model) == ("Apple", "iPhone 15")


# ---------------------------------------------------------------------------------------------------
# Failures, and the one process


GARBAGE = b"\x00\x00" + random.Random(20240501).randbytes(64 * 1024)  # fixed bytes exiftool knows as nothing


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("garbage.jpg", GARBAGE, "File format error"),
        ("garbage.bin", GARBAGE, "Unknown file type"),
        ("empty.jpg", b"", "File is empty"),
    ],
)
def test_unreadable_file_is_a_clear_error(
    reader: MetadataReader, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    pid = reader.pid
    started = time.monotonic()

    with pytest.raises(MetadataError, match=message):
        reader.read(path)

    assert time.monotonic() - started < 5
    assert reader.pid == pid  # the process survives and reads the next file
    assert reader.read(DATES / "date-priority-test.jpg").date_source == "DateTimeOriginal"


def test_missing_file_is_a_clear_error(reader: MetadataReader, tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="No such file"):
        reader.read(tmp_path / "nowhere.jpg")


def test_one_process_serves_many_files(reader: MetadataReader) -> None:
    files = sorted(p for p in METADATA.rglob("*.jpg"))
    reader.read(files[0])
    pid = reader.pid
    assert pid is not None

    for index in range(20):
        reader.read(files[index % len(files)])
        assert reader.pid == pid


def test_threads_share_one_reader_safely(reader: MetadataReader) -> None:
    files = sorted(p for p in METADATA.rglob("*.jpg")) * 3
    alone = {path: reader.read(path).date_time_original for path in files}

    with ThreadPoolExecutor(4) as pool:
        together = dict(zip(files, pool.map(lambda p: reader.read(p).date_time_original, files), strict=True))

    assert together == alone


def test_a_killed_process_is_replaced_on_the_next_read() -> None:
    with MetadataReader() as fresh:
        fresh.read(DATES / "date-priority-test.jpg")
        first = fresh.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        os.waitid(os.P_PID, first, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            meta = fresh.read(DATES / "date-priority-test.jpg")

        assert meta.date_source == "DateTimeOriginal"
        assert fresh.pid not in (None, first)


def test_a_stuck_exiftool_times_out(tmp_path: Path) -> None:
    stuck = tmp_path / "stuck-exiftool"
    stuck.write_text("#!/bin/sh\nexec sleep 600\n")
    stuck.chmod(0o755)
    started = time.monotonic()

    with pytest.raises(MetadataTimeout), MetadataReader(executable=str(stuck), timeout_s=0.5) as hung:
        hung.read(DATES / "date-priority-test.jpg")

    assert time.monotonic() - started < 5


def test_an_exiftool_that_dies_is_an_error(tmp_path: Path) -> None:
    dying = tmp_path / "dying-exiftool"
    dying.write_text("#!/bin/sh\nread -r line\nexit 3\n")  # dies in the middle of the first command
    dying.chmod(0o755)

    with pytest.raises(MetadataError), MetadataReader(executable=str(dying), timeout_s=5) as reader:
        reader.read(DATES / "date-priority-test.jpg")


# ---------------------------------------------------------------------------------------------------
# Zone rules no asset above exercises (exiftool-vendored's, as Immich gets them)


@pytest.mark.parametrize(
    ("tags", "zone"),
    [
        ({"OffsetTimeOriginal": "+05:30", "DateTimeOriginal": "2020:01:01 10:00:00"}, "UTC+5:30"),
        ({"OffsetTimeOriginal": "+00:00", "DateTimeOriginal": "2020:01:01 10:00:00"}, "UTC"),
        ({"TimeZoneOffset": [-5, -5], "DateTimeOriginal": "2020:01:01 10:00:00"}, "UTC-5"),
        # Nikon records daylight saving apart from the offset
        ({"TimeZone": "+01:00", "DaylightSavings": "Yes", "Make": "NIKON CORPORATION"}, "UTC+2"),
        # an offset written in a capture date; a UTC one (Google Takeout adds those) does not count
        ({"DateTimeOriginal": "2020:01:01 10:00:00", "CreateDate": "2020:01:01 10:00:00-03:00"}, "UTC-3"),
        ({"DateTimeOriginal": "2020:01:01 10:00:00", "CreateDate": "2020:01:01 10:00:00Z"}, None),
        # the gap between a local capture time and GPS (UTC) time, to the nearest real offset
        (
            {
                "DateTimeOriginal": "2020:07:01 10:00:00",
                "GPSDateStamp": "2020:07:01",
                "GPSTimeStamp": "01:29:40",
            },
            "UTC+8:30",
        ),
        # Samsung's TimeStamp (UTC) against the local capture time
        (
            {"DateTimeOriginal": "2024:01:12 21:38:53", "TimeStamp": "2024:01:13 05:38:53+00:00"},
            "UTC-8",
        ),
        ({"DateTimeOriginal": "2020:01:01 10:00:00"}, None),
    ],
)
def test_zone_rules(tags: dict[str, object], zone: str | None) -> None:
    parsed = FileTags.parse({"MIMEType": "image/jpeg", **tags})

    assert (parsed.zone.name if parsed.zone else None) == zone


def test_zero_zero_position_is_no_position() -> None:
    parsed = FileTags.parse({"MIMEType": "image/jpeg", "GPSLatitude": 0, "GPSLongitude": 0})

    assert (parsed.latitude, parsed.longitude, parsed.zone) == (None, None, None)


def test_result_maps_onto_the_columns(reader: MetadataReader) -> None:
    from albumen.models.asset import Asset, AssetExif

    meta: MediaMetadata = reader.read(METADATA / "gps-position" / "thompson-springs.jpg")

    exif_columns = set(AssetExif.__table__.columns.keys())
    assert set(meta.asset_exif_columns()) <= exif_columns
    assert set(meta.asset_columns()) <= set(Asset.__table__.columns.keys())
    assert meta.date_time_original.utcoffset() == timedelta(hours=-7)  # shown in America/Denver


def test_a_pool_lends_each_thread_its_own_process_and_no_more_than_its_size() -> None:
    with MetadataReader(processes=3) as pool, contextlib.ExitStack() as held:
        borrowed = [held.enter_context(pool._borrowed()) for _ in range(3)]
        assert len({tool._process.pid for tool in borrowed}) == 3
        assert len(pool.pids) == 3

        with ThreadPoolExecutor(1) as waiting:
            fourth = waiting.submit(pool.read, DATES / "date-priority-test.jpg")
            time.sleep(0.3)
            assert not fourth.done()  # every process is busy: the read waits for one
            held.close()
            assert fourth.result(timeout=30).date_source == "DateTimeOriginal"
        assert len(pool.pids) == 3

        files = sorted(METADATA.rglob("*.jpg")) * 2
        with ThreadPoolExecutor(3) as threads:
            together = list(threads.map(lambda p: pool.read(p).date_time_original, files))
        assert together == [pool.read(path).date_time_original for path in files]

        pool.resize(1)
        assert len(pool.pids) == 1
        assert pool.read(DATES / "date-priority-test.jpg").date_source == "DateTimeOriginal"


def test_the_worker_pool_follows_the_queue_concurrency() -> None:
    from albumen.media import tasks

    reader = tasks.shared_reader(5)
    try:
        assert reader.processes == 5
        assert tasks.shared_reader(2) is reader
        assert reader.processes == 2
    finally:
        reader.close()
        tasks._reader = None
