"""Seed a database with a synthetic library for the browse benchmarks (benchmarks/browse.py).

    .venv/bin/python benchmarks/seed.py --data-dir ./bench-data                 # 1,000,000 + 200,000
    .venv/bin/python benchmarks/seed.py --data-dir /tmp/b --assets 20000 --partner-assets 4000

Two users: the main one (admin when the database has none) and a partner who shares their library
with them (partner row, in timeline). Each gets assets with EXIF rows (twenty years of dates grouped
in events, time zones, ~60 % with GPS and a city, cameras and lenses, sizes, thumbhashes, ~7 %
videos, some favorites/archived/trashed), job status rows, stacks (bursts of 2-5), people and faces;
the main user also gets albums (a few with thousands of assets), one shared with the partner.

Everything goes in through PostgreSQL COPY in one transaction. The tables' secondary indexes are
dropped for the load and rebuilt at the end (--keep-indexes to load through them); the timeline's
month-count triggers are off for the load too, and the new owners' counts are filled in one pass at
the end (the migration's backfill statement). Then VACUUM ANALYZE:
statistics for the planner, and the visibility map a library grown over years has from autovacuum
(without it no index-only scan pays off, which would make the first benchmark runs unrepresentative).
The database is the one `albumen serve` uses: ALBUMEN_DATABASE_URL / --database-url, otherwise the
embedded PostgreSQL of the data dir (started here, migrated, stopped at the end). Users log in with
--email / --partner-email and --password.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
import uuid
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from asyncpg.pgproto.pgproto import UUID as PgUUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from albumen.kit.ids import uuid7  # noqa: E402
from albumen.models.timeline import month_count_backfill  # noqa: E402

MAIN_EMAIL = "bench@albumen.test"
PARTNER_EMAIL = "bench-partner@albumen.test"
PASSWORD = "bench-password"
CHUNK = 20_000
SAMPLE = 30_000  # timeline assets kept per owner to fill albums from
YEARS = 20

# (city, state, country, latitude, longitude, IANA zone); the main user's home is the first.
CITIES = [
    ("Paris", "Île-de-France", "France", 48.8566, 2.3522, "Europe/Paris"),
    ("Lyon", "Auvergne-Rhône-Alpes", "France", 45.7640, 4.8357, "Europe/Paris"),
    ("Berlin", "Berlin", "Germany", 52.5200, 13.4050, "Europe/Berlin"),
    ("Munich", "Bavaria", "Germany", 48.1351, 11.5820, "Europe/Berlin"),
    ("London", "England", "United Kingdom", 51.5072, -0.1276, "Europe/London"),
    ("Edinburgh", "Scotland", "United Kingdom", 55.9533, -3.1883, "Europe/London"),
    ("Madrid", "Madrid", "Spain", 40.4168, -3.7038, "Europe/Madrid"),
    ("Barcelona", "Catalonia", "Spain", 41.3874, 2.1686, "Europe/Madrid"),
    ("Lisbon", "Lisbon", "Portugal", 38.7223, -9.1393, "Europe/Lisbon"),
    ("Rome", "Lazio", "Italy", 41.9028, 12.4964, "Europe/Rome"),
    ("Venice", "Veneto", "Italy", 45.4408, 12.3155, "Europe/Rome"),
    ("Amsterdam", "North Holland", "Netherlands", 52.3676, 4.9041, "Europe/Amsterdam"),
    ("Vienna", "Vienna", "Austria", 48.2082, 16.3738, "Europe/Vienna"),
    ("Prague", "Prague", "Czechia", 50.0755, 14.4378, "Europe/Prague"),
    ("Zurich", "Zurich", "Switzerland", 47.3769, 8.5417, "Europe/Zurich"),
    ("Stockholm", "Stockholm", "Sweden", 59.3293, 18.0686, "Europe/Stockholm"),
    ("Reykjavik", "Capital Region", "Iceland", 64.1466, -21.9426, "Atlantic/Reykjavik"),
    ("Athens", "Attica", "Greece", 37.9838, 23.7275, "Europe/Athens"),
    ("Istanbul", "Istanbul", "Turkey", 41.0082, 28.9784, "Europe/Istanbul"),
    ("New York City", "New York", "United States", 40.7128, -74.0060, "America/New_York"),
    ("San Francisco", "California", "United States", 37.7749, -122.4194, "America/Los_Angeles"),
    ("Chicago", "Illinois", "United States", 41.8781, -87.6298, "America/Chicago"),
    ("Montreal", "Quebec", "Canada", 45.5019, -73.5674, "America/Toronto"),
    ("Mexico City", "Mexico City", "Mexico", 19.4326, -99.1332, "America/Mexico_City"),
    ("Rio de Janeiro", "Rio de Janeiro", "Brazil", -22.9068, -43.1729, "America/Sao_Paulo"),
    ("Buenos Aires", "Buenos Aires F.D.", "Argentina", -34.6037, -58.3816, "America/Argentina/Buenos_Aires"),
    ("Cape Town", "Western Cape", "South Africa", -33.9249, 18.4241, "Africa/Johannesburg"),
    ("Marrakesh", "Marrakesh-Safi", "Morocco", 31.6295, -7.9811, "Africa/Casablanca"),
    ("Tokyo", "Tokyo", "Japan", 35.6762, 139.6503, "Asia/Tokyo"),
    ("Kyoto", "Kyoto", "Japan", 35.0116, 135.7681, "Asia/Tokyo"),
    ("Seoul", "Seoul", "South Korea", 37.5665, 126.9780, "Asia/Seoul"),
    ("Bangkok", "Bangkok", "Thailand", 13.7563, 100.5018, "Asia/Bangkok"),
    ("Singapore", "Singapore", "Singapore", 1.3521, 103.8198, "Asia/Singapore"),
    ("Mumbai", "Maharashtra", "India", 19.0760, 72.8777, "Asia/Kolkata"),
    ("Kathmandu", "Bagmati", "Nepal", 27.7172, 85.3240, "Asia/Kathmandu"),
    ("Sydney", "New South Wales", "Australia", -33.8688, 151.2093, "Australia/Sydney"),
    ("Auckland", "Auckland", "New Zealand", -36.8485, 174.7633, "Pacific/Auckland"),
]

# (make, model, lens, width, height, share); phones dominate as in real libraries.
CAMERAS = [
    ("Apple", "iPhone 15 Pro", "iPhone 15 Pro back triple camera 6.86mm f/1.78", 4032, 3024, 20),
    ("Apple", "iPhone 11", "iPhone 11 back dual wide camera 4.25mm f/1.8", 4032, 3024, 14),
    ("Apple", "iPhone 6s", "iPhone 6s back camera 4.15mm f/2.2", 4032, 3024, 8),
    ("Google", "Pixel 8", "Pixel 8 back camera 6.9mm f/1.68", 4080, 3072, 10),
    ("samsung", "SM-S918B", "Samsung Galaxy S23 Ultra 6.3mm f/1.7", 4000, 3000, 10),
    ("Canon", "Canon EOS 5D Mark III", "EF24-105mm f/4L IS USM", 5760, 3840, 8),
    ("Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM", 5472, 3648, 6),
    ("NIKON CORPORATION", "NIKON D750", "AF-S NIKKOR 50mm f/1.8G", 6016, 4016, 6),
    ("SONY", "ILCE-7M3", "FE 24-70mm F2.8 GM", 6000, 4000, 8),
    ("FUJIFILM", "X-T4", "XF23mmF1.4 R", 6240, 4160, 5),
    ("OLYMPUS IMAGING CORP.", "E-M10", "OLYMPUS M.14-42mm F3.5-5.6", 4608, 3456, 3),
    ("Panasonic", "DMC-FZ200", None, 4000, 3000, 2),
]
APERTURES = (1.8, 2.8, 4.0, 5.6, 8.0)
FOCALS = (4.2, 6.9, 24.0, 35.0, 50.0, 85.0)
ISOS = (50, 100, 200, 400, 800, 1600, 3200)
EXPOSURES = ("1/60", "1/125", "1/250", "1/1000")
FPS = (29.97, 30.0, 60.0)
RATINGS = (None, None, None, 3, 4, 5)
NAMES = [
    "Alice",
    "Bruno",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Inès",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
]


@dataclass
class Plan:
    assets: int
    partner_assets: int
    albums: int
    stacks: int  # the main user's; the partner gets as many per asset
    people: int
    face_rate: float
    seed: int


@dataclass
class Owner:
    id: uuid.UUID
    email: str
    assets: int
    stacks: int  # the main user's; the partner gets as many per asset
    people: int
    home: int  # index into CITIES
    person_ids: list[uuid.UUID] = field(default_factory=list)
    sampled: list[uuid.UUID] = field(default_factory=list)  # timeline asset ids kept for albums
    bytes_used: int = 0


@dataclass
class Event:
    start: float  # epoch seconds, UTC
    span: float
    city: int | None  # where the event's GPS points are, None: no GPS
    zone: str
    offset: timedelta
    camera: int


TABLES = ("user", "partner", "person", "asset", "asset_exif", "asset_job_status", "asset_face", "stack",
          "album", "album_user", "album_asset", "asset_month_count")  # fmt: skip


@dataclass
class Loaded:
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))


ASSET_COLUMNS = ("id", "owner_id", "type", "original_path", "original_file_name", "file_created_at",
                 "file_modified_at", "local_date_time", "is_favorite", "duration", "checksum",
                 "checksum_algorithm", "thumbhash", "is_offline", "is_external", "status", "visibility",
                 "width", "height", "is_edited", "created_at", "updated_at", "deleted_at",
                 "update_id")  # fmt: skip
EXIF_COLUMNS = ("asset_id", "make", "model", "exif_image_width", "exif_image_height", "file_size_in_byte",
                "orientation", "date_time_original", "modify_date", "lens_model", "f_number",
                "focal_length", "iso", "latitude", "longitude", "city", "state", "country", "description",
                "fps", "exposure_time", "time_zone", "profile_description", "colorspace",
                "bits_per_sample", "rating", "updated_at", "update_id")  # fmt: skip
JOB_COLUMNS = ("asset_id", "faces_recognized_at", "metadata_extracted_at", "duplicates_detected_at")
FACE_COLUMNS = ("id", "asset_id", "person_id", "image_width", "image_height", "bounding_box_x1",
                "bounding_box_y1", "bounding_box_x2", "bounding_box_y2", "source_type", "is_visible",
                "updated_at", "update_id")  # fmt: skip
# Tables whose secondary indexes are rebuilt after the load rather than maintained row by row.
BULK_TABLES = ("asset", "asset_exif", "asset_job_status", "asset_face", "album_asset")


class Generator:
    """Rows for one owner's library, chunk by chunk, reproducible from the seed."""

    def __init__(self, rng: random.Random, owner: Owner, now: datetime, face_rate: float) -> None:
        self.rng = rng
        # Ids from their own stream, seeded by the (random) owner id: the data is reproducible from
        # --seed, and a second library seeded into the same database gets ids of its own.
        self.ids = random.Random(owner.id.int)  # noqa: S311 - unique, not secret
        self.owner = owner
        self.now = now
        self.face_rate = face_rate
        self.events = self._events()
        # Log-normal sizes: most events small, the biggest ~1 % of the library (the largest month ~2 %).
        weights = [rng.lognormvariate(0, 1.0) for _ in self.events]
        self.event_weights = list(_accumulate(weights))
        self.stack_sizes = [rng.randint(2, 5) for _ in range(owner.stacks)]
        while sum(self.stack_sizes) > owner.assets:
            self.stack_sizes.pop()
        self.singles_left = owner.assets - sum(self.stack_sizes)
        self.person_weights = list(_accumulate(1 / (rank + 1) for rank in range(len(owner.person_ids))))
        self.stacks: list[tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]] = []  # (stack, primary, members)
        self.counter = 0
        self.sample_rate = min(1.0, 1.5 * SAMPLE / max(1, owner.assets))

    def _events(self) -> list[Event]:
        rng, now = self.rng, self.now.timestamp()
        first = now - YEARS * 365.25 * 86400
        count = max(20, self.owner.assets // 60)
        events = []
        home = CITIES[self.owner.home]
        for _ in range(count):
            # Later years hold more photos: density grows linearly over the span.
            start = first + (now - first) * math.sqrt(rng.random())
            span = rng.choice((3600.0, 6 * 3600.0, 86400.0, 3 * 86400.0, 10 * 86400.0))
            start = min(start, now - span)
            travelling = rng.random() < 0.35
            city_index = rng.randrange(len(CITIES)) if travelling else self.owner.home
            city = CITIES[city_index]
            zone = city[5] if travelling else home[5]
            wall = datetime.fromtimestamp(start, UTC).replace(tzinfo=None)
            offset = ZoneInfo(zone).utcoffset(wall) or timedelta(0)
            has_gps = rng.random() < 0.66
            camera = rng.choices(range(len(CAMERAS)), weights=[c[5] for c in CAMERAS])[0]
            events.append(Event(start, span, city_index if has_gps else None, zone, offset, camera))
        return events

    def chunks(self, size: int) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
        remaining = self.owner.assets
        while remaining > 0:
            assets: list[tuple[Any, ...]] = []
            exifs: list[tuple[Any, ...]] = []
            jobs: list[tuple[Any, ...]] = []
            faces: list[tuple[Any, ...]] = []
            target = min(size, remaining)
            while len(assets) < target:  # a last burst may run a few past the chunk size
                self._group(assets, exifs, jobs, faces)
            remaining -= len(assets)
            yield assets, exifs, jobs, faces

    def _group(self, assets: list[Any], exifs: list[Any], jobs: list[Any], faces: list[Any]) -> None:
        """One photo or video, or a burst that becomes a stack (its first asset the primary)."""
        rng = self.rng
        event = self.events[bisect(self.event_weights, rng.random() * self.event_weights[-1])]
        taken = event.start + rng.random() * event.span
        # Drawn without replacement, so the library has exactly the planned stacks and assets.
        if rng.random() * (len(self.stack_sizes) + self.singles_left) < len(self.stack_sizes):
            size, is_video = self.stack_sizes.pop(), False
        else:
            size, is_video = 1, rng.random() < 0.07
            self.singles_left -= 1
        archived = rng.random() < 0.02
        ids = [self._random_id() for _ in range(size)]
        for position, asset_id in enumerate(ids):
            self._asset(asset_id, event, taken + position, is_video, archived, assets, exifs, jobs, faces)
        if size > 1:
            self.stacks.append((uuid.uuid4(), ids[0], ids))

    # Generating ids is a good part of the seed's time: these take their bits from a seeded rng and
    # skip uuid.UUID's parsing (asyncpg's own UUID type is a uuid.UUID too).
    def _random_id(self) -> uuid.UUID:
        bits = self.ids.getrandbits(128) & ~(0xF << 76 | 0x3 << 62) | (0x4 << 76 | 0x2 << 62)
        random_id: uuid.UUID = PgUUID(bits.to_bytes(16))
        return random_id

    def _update_id(self) -> uuid.UUID:
        """A version 7 id of the current millisecond, as kit.ids.uuid7 makes them."""
        millis = time.time_ns() // 1_000_000
        bits = (
            millis << 80 | 0x7 << 76 | self.ids.getrandbits(12) << 64 | 0x2 << 62 | self.ids.getrandbits(62)
        )
        update_id: uuid.UUID = PgUUID(bits.to_bytes(16))
        return update_id

    def _asset(
        self,
        asset_id: uuid.UUID,
        event: Event,
        taken: float,
        is_video: bool,
        archived: bool,
        assets: list[Any],
        exifs: list[Any],
        jobs: list[Any],
        faces: list[Any],
    ) -> None:
        # random() and indexing rather than randint/choice: this runs for every asset.
        rng, owner = self.rng, self.owner
        r = rng.random
        self.counter += 1
        created_utc = datetime.fromtimestamp(taken, UTC)
        local = created_utc + event.offset  # wall-clock time stored as if it were UTC
        uploaded = min(self.now, created_utc + timedelta(seconds=r() * 30 * 86400))
        make, model, lens, width, height, _ = CAMERAS[event.camera]
        portrait = r() < 0.3
        if is_video:
            width, height = (3840, 2160) if r() < 0.3 else (1920, 1080)
            milliseconds = 2_000 + int(r() * 178_000)
            duration: int | None = milliseconds
            file_size = milliseconds * (1_500 + int(r() * 4_500))
            extension, prefix = "MP4", "VID"
            shot: tuple[Any, ...] = (None, None, None, None, FPS[int(r() * 3)], None, None, None, None)
        else:
            duration = None
            file_size = 1_200_000 + int(r() * 7_800_000)
            extension, prefix = ("JPG", "IMG") if make != "Google" else ("jpg", "PXL")
            shot = (lens, APERTURES[int(r() * 5)], FOCALS[int(r() * 6)], ISOS[int(r() * 7)], None,
                    EXPOSURES[int(r() * 4)], "sRGB IEC61966-2.1", "RGB", 8)  # fmt: skip
        if portrait:
            width, height = height, width
        owner.bytes_used += file_size
        trashed = r() < 0.005
        hexid = asset_id.hex
        path = f"upload/{owner.id}/{hexid[:2]}/{hexid[2:4]}/{asset_id}.{extension.lower()}"
        update_id = self._update_id()
        assets.append((
            asset_id, owner.id, "VIDEO" if is_video else "IMAGE", path,
            f"{prefix}_{self.counter:05d}.{extension}", created_utc, created_utc, local, r() < 0.03, duration,
            rng.randbytes(20), "sha1", rng.randbytes(18 + int(r() * 8)), False, False,
            "trashed" if trashed else "active", "archive" if archived else "timeline", width, height, False,
            uploaded, uploaded, uploaded if trashed else None, update_id,
        ))  # fmt: skip
        latitude = longitude = None
        city = state = country = None
        if event.city is not None and r() < 0.9:
            city, state, country, lat0, lon0, _ = CITIES[event.city]
            latitude = lat0 + rng.gauss(0, 0.03)
            longitude = lon0 + rng.gauss(0, 0.03)
        exifs.append((
            asset_id, make, model, width, height, file_size, "6" if portrait and not is_video else "1",
            created_utc, created_utc, *shot[:4], latitude, longitude, city, state, country, "", *shot[4:6],
            event.zone, *shot[6:], RATINGS[int(r() * 6)], uploaded, update_id,
        ))  # fmt: skip
        jobs.append((asset_id, uploaded, uploaded, uploaded))
        if not is_video and owner.person_ids and r() < self.face_rate:
            for _ in range(1 + int(r() * 3)):
                person = owner.person_ids[bisect(self.person_weights, r() * self.person_weights[-1])]
                x, y, box = int(r() * (width - 400)), int(r() * (height - 400)), 120 + int(r() * 280)
                faces.append((
                    self._random_id(), asset_id, person, width, height, x, y, x + box, y + box,
                    "machine-learning", True, uploaded, self._update_id(),
                ))  # fmt: skip
        if not trashed and not archived and len(owner.sampled) < SAMPLE and r() < self.sample_rate:
            owner.sampled.append(asset_id)


def person_name(index: int, people: int) -> str:
    """Half of the people are named (Alice, …, Alice 1, …), the rest unnamed as after recognition."""
    if index >= people // 2:
        return ""
    suffix = f" {index // len(NAMES)}" if index >= len(NAMES) else ""
    return NAMES[index % len(NAMES)] + suffix


def _accumulate(values: Any) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


async def create_user(
    connection: asyncpg.Connection, email: str, name: str, password_hash: str, admin: bool, now: datetime
) -> uuid.UUID:
    user_id = uuid.uuid4()
    await connection.execute(
        'INSERT INTO "user" (id, email, password, name, is_admin, should_change_password,'
        " avatar_color, profile_changed_at, created_at, updated_at, update_id)"
        " VALUES ($1, $2, $3, $4, $5, false, 'primary', $6, $6, $6, $7)",
        user_id, email, password_hash, name, admin, now, uuid7(),
    )  # fmt: skip
    return user_id


async def secondary_indexes(connection: asyncpg.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the bulk tables' indexes that back no constraint."""
    rows = await connection.fetch(
        """
        SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY($1::text[]) AND t.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        list(BULK_TABLES),
    )
    return [(row["name"], row["definition"]) for row in rows]


async def copy(
    connection: asyncpg.Connection, table: str, columns: tuple[str, ...], rows: list[Any], loaded: Loaded
) -> None:
    if rows:
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))
        loaded.rows[table] += len(rows)


async def seed_owner(
    connection: asyncpg.Connection,
    rng: random.Random,
    owner: Owner,
    plan: Plan,
    now: datetime,
    loaded: Loaded,
) -> None:
    people = [
        (uuid.uuid4(), owner.id, person_name(index, owner.people), "", False, index < 3, now, now, uuid7())
        for index in range(owner.people)
    ]
    await copy(connection, "person", ("id", "owner_id", "name", "thumbnail_path", "is_hidden", "is_favorite",
                                      "created_at", "updated_at", "update_id"), people, loaded)  # fmt: skip
    owner.person_ids = [row[0] for row in people]
    generator = Generator(rng, owner, now, plan.face_rate)
    chunks = generator.chunks(CHUNK)
    loop = asyncio.get_running_loop()
    # The next chunk is generated in a thread while PostgreSQL takes in this one.
    upcoming = loop.run_in_executor(None, next, chunks, None)
    while (chunk := await upcoming) is not None:
        upcoming = loop.run_in_executor(None, next, chunks, None)
        assets, exifs, jobs, faces = chunk
        await copy(connection, "asset", ASSET_COLUMNS, assets, loaded)
        await copy(connection, "asset_exif", EXIF_COLUMNS, exifs, loaded)
        await copy(connection, "asset_job_status", JOB_COLUMNS, jobs, loaded)
        await copy(connection, "asset_face", FACE_COLUMNS, faces, loaded)
    # asset <-> stack and person <-> face point at each other: the second side is set afterwards.
    stacks = [(stack_id, owner.id, primary, now, now, uuid7()) for stack_id, primary, _ in generator.stacks]
    await copy(connection, "stack", ("id", "owner_id", "primary_asset_id", "created_at", "updated_at",
                                     "update_id"), stacks, loaded)  # fmt: skip
    members = [(asset_id, stack_id) for stack_id, _, ids in generator.stacks for asset_id in ids]
    await connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS seed_stack_member (asset_id uuid, stack_id uuid)"
    )
    await connection.execute("TRUNCATE seed_stack_member")
    await connection.copy_records_to_table("seed_stack_member", records=members)
    await connection.execute(
        "UPDATE asset SET stack_id = m.stack_id FROM seed_stack_member m WHERE asset.id = m.asset_id"
    )
    await connection.execute(
        """
        UPDATE person SET face_asset_id = f.id
        FROM (SELECT DISTINCT ON (person_id) person_id, id FROM asset_face
              WHERE person_id = ANY($1::uuid[]) ORDER BY person_id, id) f
        WHERE person.id = f.person_id
        """,
        owner.person_ids,
    )
    await connection.execute(
        'UPDATE "user" SET quota_usage_in_bytes = $2 WHERE id = $1', owner.id, owner.bytes_used
    )


async def seed_albums(
    connection: asyncpg.Connection,
    rng: random.Random,
    owner: Owner,
    partner: Owner,
    count: int,
    now: datetime,
    loaded: Loaded,
) -> None:
    """A few big albums (thousands of assets), the rest small; the first is shared with the partner."""
    pool = owner.sampled
    albums: list[tuple[Any, ...]] = []
    album_users: list[tuple[Any, ...]] = []
    album_assets: list[tuple[Any, ...]] = []
    for index in range(count):
        size = (5000, 3000, 2000)[index] if index < 3 else rng.randint(20, 400)
        size = min(size, len(pool) // 4 or len(pool))
        members = rng.sample(pool, size) if size else []
        album_id = uuid.uuid4()
        name = "Shared with partner" if index == 0 else f"Album {index:03d}"
        albums.append((album_id, name, "", members[0] if members else None, True, "desc", now, now, uuid7()))
        album_users.append((album_id, owner.id, "owner", uuid7(), now, now, uuid7()))
        if index == 0:
            album_users.append((album_id, partner.id, "editor", uuid7(), now, now, uuid7()))
        album_assets.extend((album_id, asset_id, now, now, uuid7()) for asset_id in members)
    await copy(connection, "album", ("id", "album_name", "description", "album_thumbnail_asset_id",
                                     "is_activity_enabled", "order", "created_at", "updated_at", "update_id"),
               albums, loaded)  # fmt: skip
    await copy(connection, "album_user", ("album_id", "user_id", "role", "create_id", "created_at",
                                          "updated_at", "update_id"), album_users, loaded)  # fmt: skip
    await copy(connection, "album_asset", ("album_id", "asset_id", "created_at", "updated_at", "update_id"),
               album_assets, loaded)  # fmt: skip


@dataclass
class Report:
    main_id: uuid.UUID
    partner_id: uuid.UUID
    rows: dict[str, int]
    load_seconds: float
    index_seconds: float
    analyze_seconds: float
    database_bytes: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


async def seed(
    url: str,
    plan: Plan,
    *,
    main_email: str = MAIN_EMAIL,
    partner_email: str = PARTNER_EMAIL,
    password: str = PASSWORD,
    keep_indexes: bool = False,
) -> Report:
    from albumen.kit.crypto import hash_secret

    rng = random.Random(plan.seed)  # noqa: S311 - reproducible synthetic data, no secrets
    now = datetime.now(UTC).replace(microsecond=0)
    password_hash = await hash_secret(password)
    connection = await asyncpg.connect(url)
    loaded = Loaded()
    try:
        taken = await connection.fetchval('SELECT count(*) FROM "user" WHERE email = ANY($1::text[])',
                                          [main_email, partner_email])  # fmt: skip
        if taken:
            raise SystemExit(f"seed: {main_email} or {partner_email} already exists in this database; "
                             "seed a fresh data dir or pass other --email / --partner-email")  # fmt: skip
        started = time.perf_counter()
        async with connection.transaction():
            await connection.execute("SET LOCAL synchronous_commit = off")
            await connection.execute("SET LOCAL maintenance_work_mem = '256MB'")
            dropped = [] if keep_indexes else await secondary_indexes(connection)
            for name, _ in dropped:
                await connection.execute(f'DROP INDEX "{name}"')
            # Row by row the triggers would redo per chunk what one grouped pass does at the end.
            await connection.execute("ALTER TABLE asset DISABLE TRIGGER USER")
            await connection.execute("ALTER TABLE stack DISABLE TRIGGER USER")
            has_admin = await connection.fetchval('SELECT EXISTS (SELECT 1 FROM "user" WHERE is_admin)')
            main_id = await create_user(connection, main_email, "Bench", password_hash, not has_admin, now)
            partner_id = await create_user(
                connection, partner_email, "Bench Partner", password_hash, False, now
            )
            loaded.rows["user"] += 2
            await connection.execute(
                "INSERT INTO partner (shared_by_id, shared_with_id, in_timeline, create_id, update_id)"
                " VALUES ($1, $2, true, $3, $4)",
                partner_id, main_id, uuid7(), uuid7(),
            )  # fmt: skip
            loaded.rows["partner"] += 1
            main = Owner(main_id, main_email, plan.assets, plan.stacks, plan.people, 0)
            partner_stacks = round(plan.stacks * plan.partner_assets / max(1, plan.assets))
            partner = Owner(partner_id, partner_email, plan.partner_assets, partner_stacks,
                            max(1, plan.people // 4), 2)  # fmt: skip
            await seed_owner(connection, rng, main, plan, now, loaded)
            await seed_owner(connection, rng, partner, plan, now, loaded)
            await seed_albums(connection, rng, main, partner, plan.albums, now, loaded)
            load_seconds = time.perf_counter() - started
            for _, definition in dropped:
                await connection.execute(definition)
            await connection.execute("ALTER TABLE asset ENABLE TRIGGER USER")
            await connection.execute("ALTER TABLE stack ENABLE TRIGGER USER")
            status = await connection.execute(
                month_count_backfill("a.owner_id = ANY($1::uuid[])"), [main_id, partner_id]
            )
            loaded.rows["asset_month_count"] += int(status.split()[-1])  # "INSERT 0 <rows>"
            index_seconds = time.perf_counter() - started - load_seconds
        for table in TABLES:
            await connection.execute(f'VACUUM (ANALYZE) "{table}"')
        analyze_seconds = time.perf_counter() - started - load_seconds - index_seconds
        size = await connection.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await connection.close()
    return Report(main_id, partner_id, loaded.rows, load_seconds, index_seconds, analyze_seconds, size)


async def open_database(data_dir: Path | None, database_url: str | None) -> tuple[str, Any]:
    """The URL `albumen serve` would use (migrated), and how to stop an embedded server started for it."""
    from albumen.config import load_settings
    from albumen.kit.startup import prepare_database

    settings = load_settings(None, data_dir=data_dir, database_url=database_url)
    prepared = await prepare_database(settings)
    return prepared.url, prepared.stop


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, help="albumen data dir (its embedded PostgreSQL) [ALBUMEN_DATA_DIR]"
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL URL instead of the embedded one [ALBUMEN_DATABASE_URL]"
    )
    parser.add_argument("--assets", type=int, default=1_000_000, help="the main user's assets")
    parser.add_argument("--partner-assets", type=int, default=200_000, help="the partner's assets")
    parser.add_argument("--albums", type=int, default=30)
    parser.add_argument("--stacks", type=int, default=3_000, help="stacks per million assets")
    parser.add_argument("--people", type=int, default=300, help="the main user's people")
    parser.add_argument("--face-rate", type=float, default=0.2, help="share of photos with faces (1-3 each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--email", default=MAIN_EMAIL)
    parser.add_argument("--partner-email", default=PARTNER_EMAIL)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--keep-indexes", action="store_true", help="load through the indexes (slower)")
    args = parser.parse_args()
    plan = Plan(args.assets, args.partner_assets, args.albums, round(args.stacks * args.assets / 1_000_000),
                args.people, args.face_rate, args.seed)  # fmt: skip

    async def run() -> Report:
        url, stop = await open_database(args.data_dir, args.database_url)
        try:
            return await seed(url, plan, main_email=args.email, partner_email=args.partner_email,
                              password=args.password, keep_indexes=args.keep_indexes)  # fmt: skip
        finally:
            await asyncio.to_thread(stop)

    report = asyncio.run(run())
    total = report.total_rows
    print(f"seeded {args.assets:,} + {args.partner_assets:,} assets; users {args.email} and "
          f"{args.partner_email} (password {args.password})")  # fmt: skip
    for table, count in report.rows.items():
        print(f"  {table:<18} {count:>12,}")
    print(f"  {'total rows':<18} {total:>12,}")
    print(f"load (COPY)      {report.load_seconds:8.1f} s  {total / report.load_seconds:>10,.0f} rows/s")
    print(f"index rebuild    {report.index_seconds:8.1f} s  (and the timeline's month counts)")
    print(f"VACUUM ANALYZE   {report.analyze_seconds:8.1f} s")
    overall = report.load_seconds + report.index_seconds + report.analyze_seconds
    print(f"overall          {overall:8.1f} s  {total / overall:>10,.0f} rows/s")
    print(f"database size    {report.database_bytes / 2**20:8.0f} MiB")


if __name__ == "__main__":
    main()
