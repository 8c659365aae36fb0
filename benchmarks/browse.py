"""Browsing a big library: timeline, search, map and first sync latencies, as ratios to raw SQL.

    .venv/bin/python benchmarks/seed.py --data-dir ./bench-data            # once: 1,000,000 + 200,000
    .venv/bin/python benchmarks/browse.py --data-dir ./bench-data [--runs 30]
    .venv/bin/python benchmarks/browse.py --url http://host:2283 --database-url postgresql://… [--pid N]

Starts `albumen serve` on the seeded data dir (or uses --url), logs in as the users seed.py made and
times, each `--runs` times after one warm-up, p50 and p95 of:

- `GET /timeline/buckets` (visibility=timeline, withStacked), and the same withPartners=true (its
  SQL side sums the trigger-kept month counts, as the server does);
- `GET /timeline/bucket` of the largest month;
- `POST /search/metadata` by the commonest city, and by a one-year date range;
- `GET /map/markers`;
- a first full `POST /sync/stream` with the types the v3 mobile app asks for: assets per second over
  the whole stream, and the server's RSS (VmRSS sampled from /proc/<pid>/status, and VmHWM).

Each is set against the same query run here as raw SQL through asyncpg (what the endpoint has to
read, serialised to JSON by PostgreSQL; for sync, written out through COPY), so `ratio` = API time /
SQL time (for sync: SQL rate / API rate); 1.0 would be a server that adds nothing. An endpoint that
answers 404 is reported as not built and skipped. Goals: bucket p95 <= 20 ms, buckets p95 <= 50 ms,
first full sync >= 50,000 assets/s with a flat RSS (growth <= 64 MiB while streaming).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from seed import MAIN_EMAIL, PARTNER_EMAIL, PASSWORD  # noqa: E402

SYNC_TYPES = [
    "AuthUsersV1", "UsersV1", "AssetsV2", "AssetExifsV1", "AssetEditsV1", "AssetMetadataV1", "PartnersV1",
    "PartnerAssetsV2", "PartnerAssetExifsV1", "AlbumsV2", "AlbumUsersV1", "AlbumAssetsV2",
    "AlbumAssetExifsV1", "AlbumToAssetsV1", "MemoriesV1", "MemoryToAssetsV1", "StacksV1", "PartnerStacksV1",
    "UserMetadataV1", "PeopleV1", "AssetFacesV2", "AssetOcrV1",
]  # fmt: skip
ASSET_LINES = {"AssetV2", "PartnerAssetV2", "PartnerAssetBackfillV2"}
RSS_GROWTH_GOAL = 64 * 2**20
TYPE_AT_LINE_START = re.compile(rb'\n\{"type": ?"(\w+)"')  # a literal start: found at memchr speed


class NotBuilt(Exception):
    """The endpoint answered 404: not on this branch yet."""


class Failed(Exception):
    """The endpoint answered something other than 2xx or 404."""


@dataclass
class Context:
    client: httpx.AsyncClient
    db: asyncpg.Connection
    headers: dict[str, str]
    user_id: str
    partner_ids: list[str]
    runs: int


# --- raw SQL: what each endpoint has to read, serialised by PostgreSQL --------------------------

STACK_PRIMARY = """(a.stack_id IS NULL OR EXISTS (
    SELECT 1 FROM stack s WHERE s.id = a.stack_id AND s.primary_asset_id = a.id))"""
MONTH = "date_trunc('month', a.local_date_time AT TIME ZONE 'UTC')"

# The month counts the server keeps by trigger (asset_month_count): what the endpoint reads.
SQL_BUCKETS = """
SELECT coalesce(json_agg(json_build_object('timeBucket', bucket::text, 'count', n)
                         ORDER BY bucket DESC), '[]')::text
FROM (SELECT taken_month AS bucket, sum(count) AS n FROM asset_month_count
      WHERE owner_id = ANY($1::uuid[]) AND visibility = 'timeline' AND NOT is_trashed
        AND NOT is_stack_hidden
      GROUP BY 1 HAVING sum(count) > 0) buckets
"""

SQL_BUCKET = f"""
WITH month AS (
    SELECT a.id, a.owner_id, a.duration, a.visibility, a.is_favorite AND a.owner_id = $1 AS is_favorite,
           a.type = 'IMAGE' AS is_image, a.deleted_at IS NOT NULL AS is_trashed, a.live_photo_video_id,
           extract(epoch FROM a.local_date_time - a.file_created_at)::real / 3600 AS local_offset_hours,
           a.status, a.file_created_at AT TIME ZONE 'UTC' AS file_created_at,
           a.created_at AT TIME ZONE 'UTC' AS created_at, encode(a.thumbhash, 'base64') AS thumbhash,
           e.projection_type, e.city, e.country,
           CASE WHEN a.width > 0 AND a.height > 0 THEN round(a.width::numeric / a.height, 3) ELSE 1 END
               AS ratio,
           (SELECT ARRAY[m.stack_id::text, count(*)::text] FROM asset m
            WHERE m.stack_id = a.stack_id AND m.deleted_at IS NULL AND m.visibility = 'timeline'
            GROUP BY m.stack_id) AS stack
    FROM asset a JOIN asset_exif e ON e.asset_id = a.id
    WHERE a.owner_id = ANY($2::uuid[]) AND a.deleted_at IS NULL AND a.visibility = 'timeline'
      AND {MONTH} = $3::timestamp AND {STACK_PRIMARY}
    ORDER BY (a.local_date_time AT TIME ZONE 'UTC')::date DESC, a.file_created_at DESC
)
SELECT json_build_object(
    'id', coalesce(array_agg(id), '{{}}'), 'ownerId', coalesce(array_agg(owner_id), '{{}}'),
    'duration', coalesce(array_agg(duration), '{{}}'), 'visibility', coalesce(array_agg(visibility), '{{}}'),
    'isFavorite', coalesce(array_agg(is_favorite), '{{}}'), 'isImage', coalesce(array_agg(is_image), '{{}}'),
    'isTrashed', coalesce(array_agg(is_trashed), '{{}}'),
    'livePhotoVideoId', coalesce(array_agg(live_photo_video_id), '{{}}'),
    'fileCreatedAt', coalesce(array_agg(file_created_at), '{{}}'),
    'localOffsetHours', coalesce(array_agg(local_offset_hours), '{{}}'),
    'createdAt', coalesce(array_agg(created_at), '{{}}'),
    'projectionType', coalesce(array_agg(projection_type), '{{}}'),
    'ratio', coalesce(array_agg(ratio), '{{}}'), 'status', coalesce(array_agg(status), '{{}}'),
    'thumbhash', coalesce(array_agg(thumbhash), '{{}}'), 'city', coalesce(array_agg(city), '{{}}'),
    'country', coalesce(array_agg(country), '{{}}'), 'stack', coalesce(json_agg(stack), '[]'))::text
FROM month
"""  # noqa: S608 - built from this file's constants

ASSET_JSON = """json_build_object(
    'id', a.id, 'ownerId', a.owner_id, 'type', a.type, 'originalPath', a.original_path,
    'originalFileName', a.original_file_name, 'fileCreatedAt', a.file_created_at,
    'fileModifiedAt', a.file_modified_at, 'localDateTime', a.local_date_time, 'updatedAt', a.updated_at,
    'createdAt', a.created_at, 'isFavorite', a.is_favorite, 'visibility', a.visibility,
    'isTrashed', a.deleted_at IS NOT NULL, 'duration', a.duration, 'checksum', encode(a.checksum, 'base64'),
    'thumbhash', encode(a.thumbhash, 'base64'), 'width', a.width, 'height', a.height,
    'stackId', a.stack_id, 'exifInfo', to_jsonb(e) - 'update_id')"""

SQL_SEARCH = f"""
SELECT coalesce(json_agg(item), '[]')::text FROM (
    SELECT {ASSET_JSON} AS item FROM asset a JOIN asset_exif e ON e.asset_id = a.id
    WHERE a.owner_id = ANY($1::uuid[]) AND a.deleted_at IS NULL AND a.visibility IN ('timeline', 'archive')
      AND ($2::text IS NULL OR e.city = $2)
      AND ($3::timestamptz IS NULL OR a.file_created_at >= $3)
      AND ($4::timestamptz IS NULL OR a.file_created_at <= $4)
    ORDER BY a.file_created_at DESC LIMIT 251) page
"""  # noqa: S608 - built from this file's constants

SQL_MARKERS = """
SELECT coalesce(json_agg(json_build_object(
    'id', a.id, 'lat', e.latitude, 'lon', e.longitude, 'city', e.city, 'state', e.state,
    'country', e.country)), '[]')::text
FROM asset a JOIN asset_exif e ON e.asset_id = a.id
WHERE a.owner_id = ANY($1::uuid[]) AND a.deleted_at IS NULL AND a.visibility = 'timeline'
  AND e.latitude IS NOT NULL AND e.longitude IS NOT NULL
"""

SYNC_ASSET = """json_build_object(
    'id', a.id, 'ownerId', a.owner_id, 'originalFileName', a.original_file_name,
    'thumbhash', encode(a.thumbhash, 'base64'), 'checksum', encode(a.checksum, 'base64'),
    'fileCreatedAt', a.file_created_at, 'fileModifiedAt', a.file_modified_at,
    'localDateTime', a.local_date_time, 'duration', a.duration, 'type', a.type, 'deletedAt', a.deleted_at,
    'isFavorite', a.is_favorite, 'visibility', a.visibility, 'livePhotoVideoId', a.live_photo_video_id,
    'stackId', a.stack_id, 'libraryId', a.library_id, 'width', a.width, 'height', a.height,
    'isEdited', a.is_edited)"""

# The bulk of a first sync: the user's and the partners' assets and their EXIF, in update order.
SQL_SYNC = [
    ("SELECT json_build_object('type', $2::text, 'data', " + SYNC_ASSET + ", 'ack', $2 || '|' || a.update_id)"  # noqa: S608
     "::text FROM asset a WHERE a.owner_id = ANY($1::uuid[]) ORDER BY a.update_id", True),
    ("SELECT json_build_object('type', $2::text, 'data', to_jsonb(e) - 'update_id',"
     " 'ack', $2 || '|' || e.update_id)::text FROM asset_exif e JOIN asset a ON a.id = e.asset_id"
     " WHERE a.owner_id = ANY($1::uuid[]) ORDER BY e.update_id", False),
]  # fmt: skip


# --- measuring ------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    await call()  # warm-up: plans cached, pages in memory
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def api_call(ctx: Context, method: str, path: str, **kwargs: Any) -> Callable[[], Awaitable[bytes]]:
    async def call() -> bytes:
        response = await ctx.client.request(method, path, headers=ctx.headers, **kwargs)
        if response.status_code == 404:
            raise NotBuilt(f"{method} {path} answered 404")
        if response.status_code >= 300:
            raise Failed(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.content

    return call


def sql_call(ctx: Context, query: str, *args: Any) -> Callable[[], Awaitable[Any]]:
    async def call() -> Any:
        return await ctx.db.fetchval(query, *args)

    return call


async def compare(
    ctx: Context,
    name: str,
    api: Callable[[], Awaitable[bytes]],
    sql: Callable[[], Awaitable[Any]],
    goal: float | None,
    runs: int | None = None,
) -> None:
    runs = runs or ctx.runs
    sql_p50, sql_p95 = percentiles(await timed(sql, runs))
    label = f"{name:<34}"
    sql_text = f"SQL p50 {sql_p50:7.1f} ms p95 {sql_p95:7.1f} ms"
    try:
        api_p50, api_p95 = percentiles(await timed(api, runs))
    except NotBuilt as error:
        print(f"{label} skipped: {error} (endpoint not built on this branch); {sql_text}")
        return
    except Failed as error:
        print(f"{label} FAILED: {error}; {sql_text}")
        return
    verdict = ""
    if goal is not None:
        verdict = f"  goal p95 <= {goal:.0f} ms: {'met' if api_p95 <= goal else 'MISSED'}"
    print(f"{label} API p50 {api_p50:7.1f} ms p95 {api_p95:7.1f} ms | {sql_text} | "
          f"ratio p50 {api_p50 / sql_p50:5.1f}x p95 {api_p95 / sql_p95:5.1f}x{verdict}")  # fmt: skip


class RssSampler(threading.Thread):
    """Peak VmRSS of a process, read from /proc every few milliseconds while it runs."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.peak = max(self.peak, proc_status(self.pid).get("VmRSS", 0))
            self.stopping.wait(self.interval)

    def stop(self) -> int:
        self.stopping.set()
        self.join()
        return self.peak


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (bytes) of a process; empty when it is not ours to read."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


class LineTypes:
    """Counts a JSON-lines stream's types as its bytes arrive: one regex pass per chunk when every
    line starts as compact JSON does (so a fast server is not held back by this client parsing each
    line), else by parsing the lines."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._raw: Counter[bytes] = Counter()
        self._pending = b"\n"  # each complete line is looked at with the newline before it

    def feed(self, chunk: bytes) -> None:
        complete, _, rest = (self._pending + chunk).rpartition(b"\n")
        if complete:
            self._count(complete)
        self._pending = b"\n" + rest

    def finish(self) -> Counter[str]:
        if self._pending.strip():
            self._count(self._pending)
        self._pending = b"\n"
        for kind, count in self._raw.items():
            self.counts[kind.decode()] += count
        self._raw.clear()
        return self.counts

    def _count(self, lines: bytes) -> None:
        found = TYPE_AT_LINE_START.findall(lines)
        if len(found) == lines.count(b"\n"):
            self._raw.update(found)
            return
        for line in lines.split(b"\n"):
            if line.strip():
                self.counts[json.loads(line)["type"]] += 1


async def api_sync(ctx: Context, pid: int | None) -> float | None:
    """Assets/s of a first full sync through the API, with the server's RSS; None when not built."""
    before = proc_status(pid) if pid else {}
    sampler = RssSampler(pid) if pid and before else None
    if sampler:
        sampler.start()
    line_types = LineTypes()
    started = time.perf_counter()
    first_line = None
    try:
        async with ctx.client.stream(
            "POST", "/sync/stream", headers={**ctx.headers, "Accept": "application/jsonlines+json"},
            json={"types": SYNC_TYPES}, timeout=None,
        ) as response:  # fmt: skip
            if response.status_code == 404:
                print(f"{'first full sync (API)':<34} skipped: POST /sync/stream answered 404 "
                      "(endpoint not built on this branch)")  # fmt: skip
                return None
            if response.status_code >= 300:
                body = (await response.aread()).decode(errors="replace")[:300]
                print(f"{'first full sync (API)':<34} FAILED: {response.status_code}: {body}")
                return None
            async for chunk in response.aiter_bytes():
                if first_line is None:
                    first_line = time.perf_counter() - started
                line_types.feed(chunk)
    finally:
        peak = sampler.stop() if sampler else 0
    seconds = time.perf_counter() - started
    types = line_types.finish()
    assets = sum(types[name] for name in ASSET_LINES)
    lines = sum(types.values())
    rate = assets / seconds if seconds else 0.0
    print(f"{'first full sync (API)':<34} {lines:,} lines ({assets:,} assets) in {seconds:.1f} s, "
          f"first bytes after {1000 * (first_line or 0):.0f} ms: {rate:,.0f} assets/s "
          f"(goal >= 50,000: {'met' if rate >= 50_000 else 'MISSED'})")  # fmt: skip
    print(f"{'':<34} by type: {dict(types.most_common())}")
    if sampler:
        after = proc_status(pid) if pid else {}
        growth = peak - before["VmRSS"]
        print(f"{'':<34} server RSS {before['VmRSS'] / 2**20:.0f} MiB before, peak {peak / 2**20:.0f} MiB "
              f"(+{growth / 2**20:.0f} MiB), VmHWM {after.get('VmHWM', 0) / 2**20:.0f} MiB; "
              f"flat (<= +{RSS_GROWTH_GOAL // 2**20} MiB): "
              f"{'met' if growth <= RSS_GROWTH_GOAL else 'MISSED'}")  # fmt: skip
    return rate


async def sql_sync(ctx: Context) -> float:
    """Assets/s of PostgreSQL writing the same rows as JSON lines, in update order, through COPY TO
    STDOUT (no per-row work on this side): the most a server streaming them could reach."""
    owners = [ctx.user_id, *ctx.partner_ids]
    counted = {"lines": 0}

    async def count(chunk: bytes) -> None:
        counted["lines"] += chunk.count(b"\n")

    started = time.perf_counter()
    assets = 0
    async with ctx.db.transaction(isolation="repeatable_read", readonly=True):
        for query, is_asset in SQL_SYNC:
            for owner in owners:
                mine = owner == ctx.user_id
                kind = ("AssetV2" if mine else "PartnerAssetV2") if is_asset else "AssetExifV1"
                before = counted["lines"]
                await ctx.db.copy_from_query(query, [owner], kind, output=count)
                assets += (counted["lines"] - before) if is_asset else 0
    seconds = time.perf_counter() - started
    rate = assets / seconds
    print(f"{'first full sync (SQL)':<34} {counted['lines']:,} lines ({assets:,} assets) in {seconds:.1f} s: "
          f"{rate:,.0f} assets/s")  # fmt: skip
    return rate


# --- setting up -------------------------------------------------------------------------------------


async def login(client: httpx.AsyncClient, email: str, password: str) -> tuple[str, str]:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    if response.status_code != 201:
        raise SystemExit(f"browse: cannot log in as {email} ({response.status_code}: {response.text[:200]}); "
                         "seed the data dir with benchmarks/seed.py first")  # fmt: skip
    body = response.json()
    return body["userId"], body["accessToken"]


def start_server(data_dir: Path, database_url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("ALBUMEN_")}
    env.update(
        ALBUMEN_HOST="127.0.0.1", ALBUMEN_PORT=str(port), ALBUMEN_DATA_DIR=str(data_dir),
        ALBUMEN_LOG_LEVEL="warning", ALBUMEN_JOB_WORKERS="false", ALBUMEN_HOUSEKEEPING_INTERVAL_SECONDS="0",
    )  # fmt: skip
    if database_url:
        env["ALBUMEN_DATABASE_URL"] = database_url
    log = data_dir.parent / f"{data_dir.name}-browse-server.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "albumen.cli.main", "serve"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"browse: albumen serve exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{base}/api/server/ping", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"browse: albumen serve did not answer within 180 s; see {log}")


def embedded_url(data_dir: Path) -> str:
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata((data_dir / "postgres").resolve())
    if info is None:
        raise SystemExit(f"browse: no running PostgreSQL in {data_dir / 'postgres'}; pass --database-url")
    uri: str = info.get_uri()
    return uri


async def choose(db: asyncpg.Connection, user_id: str) -> tuple[datetime, str | None, datetime, datetime]:
    """The largest month, the commonest city and the latest full year of the main user's timeline."""
    month = await db.fetchval(
        "SELECT " + MONTH + " FROM asset a WHERE owner_id = $1 AND deleted_at IS NULL"  # noqa: S608
        " AND visibility = 'timeline' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        user_id,
    )  # fmt: skip
    city = await db.fetchval(
        "SELECT city FROM asset_exif e JOIN asset a ON a.id = e.asset_id WHERE a.owner_id = $1"
        " AND city IS NOT NULL GROUP BY city ORDER BY count(*) DESC LIMIT 1",
        user_id,
    )  # fmt: skip
    latest = await db.fetchval("SELECT max(file_created_at) FROM asset WHERE owner_id = $1", user_id)
    year = (latest or datetime.now(UTC)).year - 1
    return month, city, datetime(year, 1, 1, tzinfo=UTC), datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC)


async def run(args: argparse.Namespace) -> None:
    process = None
    base = args.url
    pid = args.pid
    if base is None:
        process, base = start_server(args.data_dir, args.database_url)
        pid = process.pid
    try:
        db = await asyncpg.connect(args.database_url or embedded_url(args.data_dir))
        try:
            async with httpx.AsyncClient(base_url=f"{base}/api", timeout=120) as client:
                user_id, token = await login(client, args.email, args.password)
                partner_id, _ = await login(client, args.partner_email, args.password)
                headers = {"Authorization": f"Bearer {token}"}
                await report(
                    Context(client, db, headers, user_id, [partner_id], args.runs),
                    pid,
                    args.skip_sync,
                    args.timeline_only,
                )
        finally:
            await db.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait(60)


async def report(ctx: Context, pid: int | None, skip_sync: bool, timeline_only: bool = False) -> None:
    db, me, everyone = ctx.db, ctx.user_id, [ctx.user_id, *ctx.partner_ids]
    counts = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE owner_id = $1) AS mine, count(*) AS total FROM asset"
        " WHERE owner_id = ANY($2::uuid[])",
        me, everyone,
    )  # fmt: skip
    month, city, year_start, year_end = await choose(db, me)
    bucket = month.date().isoformat()
    print(f"{counts['mine']:,} assets of the main user, {counts['total']:,} with the partner's; "
          f"{ctx.runs} runs each after a warm-up; largest month {bucket}, city {city!r}, "
          f"date range {year_start.year}")  # fmt: skip
    timeline = {"visibility": "timeline", "withStacked": "true"}
    await compare(ctx, "GET /timeline/buckets", api_call(ctx, "GET", "/timeline/buckets", params=timeline),
                  sql_call(ctx, SQL_BUCKETS, [me]), 50)  # fmt: skip
    await compare(ctx, "GET /timeline/buckets withPartners",
                  api_call(ctx, "GET", "/timeline/buckets", params={**timeline, "withPartners": "true"}),
                  sql_call(ctx, SQL_BUCKETS, everyone), 50)  # fmt: skip
    await compare(ctx, f"GET /timeline/bucket {bucket}",
                  api_call(ctx, "GET", "/timeline/bucket", params={**timeline, "timeBucket": bucket}),
                  sql_call(ctx, SQL_BUCKET, me, [me], month.replace(tzinfo=None)), 20)  # fmt: skip
    if timeline_only:
        return
    await compare(ctx, "POST /search/metadata city",
                  api_call(ctx, "POST", "/search/metadata", json={"city": city}),
                  sql_call(ctx, SQL_SEARCH, everyone, city, None, None), None)  # fmt: skip
    await compare(ctx, f"POST /search/metadata {year_start.year}",
                  api_call(ctx, "POST", "/search/metadata", json={"takenAfter": year_start.isoformat(),
                                                                   "takenBefore": year_end.isoformat()}),
                  sql_call(ctx, SQL_SEARCH, everyone, None, year_start, year_end), None)  # fmt: skip
    # Every located asset in one answer (~600,000 at a million): fewer runs.
    await compare(ctx, "GET /map/markers", api_call(ctx, "GET", "/map/markers"),
                  sql_call(ctx, SQL_MARKERS, [me]), None, runs=min(ctx.runs, 10))  # fmt: skip
    if skip_sync:
        return
    sql_rate = await sql_sync(ctx)
    api_rate = await api_sync(ctx, pid)
    if api_rate:
        print(f"{'first full sync ratio':<34} SQL rate / API rate {sql_rate / api_rate:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="a data dir seeded by benchmarks/seed.py")
    parser.add_argument("--database-url", help="its PostgreSQL when not the embedded one")
    parser.add_argument("--url", help="an already running server (base URL, without /api)")
    parser.add_argument("--pid", type=int, help="that server's process id, to sample its RSS")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--email", default=MAIN_EMAIL)
    parser.add_argument("--partner-email", default=PARTNER_EMAIL)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--skip-sync", action="store_true", help="leave out the first full sync")
    parser.add_argument("--timeline-only", action="store_true", help="only the three timeline rows")
    args = parser.parse_args()
    if args.url is None and args.data_dir is None:
        parser.error("give --data-dir (a server is started on it) or --url with --database-url")
    if args.url is not None and args.database_url is None:
        parser.error("--url needs --database-url for the raw SQL side")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
