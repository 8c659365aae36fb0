"""Upload throughput and memory, and bulk-upload-check latency, as ratios to baselines run alongside.

    .venv/bin/python benchmarks/upload.py [--big-mb 1024] [--files 1000] [--file-mb 4] [--clients 4]
                                          [--assets 1000000] [--checks 5000] [--calls 30] [--dir DIR]

Quick mode (about a minute): --big-mb 128 --files 100 --file-mb 1 --assets 50000 --calls 10

Starts a PostgreSQL on a loopback port (the test suite's pgserver binaries), a migrated database and a
real `albumen serve` child process, signs up the admin and creates an API key, then:

1. Uploads. Writes one big file (default 1 GiB) and many small ones (default 1,000 x 4 MiB, each
   different), then POSTs them to /api/assets as multipart (fileCreatedAt, fileModifiedAt, isFavorite
   and the file part assetData), streamed by httpx from the open file: the big one alone, the small ones
   from --clients concurrent clients. The baseline is `cp` of the same files into a folder on the same
   disk, timed alone and followed by `sync` of the copies, because the server fsyncs each original
   before it answers. "÷cp" is cp seconds / upload seconds: 1.00 would be as fast as cp, 0.25 is four
   times slower. A thread samples the server's VmRSS in /proc every 5 ms during the big upload; "peak
   RSS above idle" is that maximum less the value just before (flat streaming keeps it at a few MB).
2. bulk-upload-check. Inserts --assets rows for the admin straight into `asset` with one SQL
   INSERT ... SELECT generate_series per 100,000 rows (20-byte checksums from md5), then ANALYZE.
   Each call sends --checks hex SHA-1 checksums, half present and half absent, and the answer is
   checked. The baseline is the same lookup as one direct SQL query through asyncpg (owner_id = $1,
   library_id IS NULL, checksum = ANY($2)), which is what the server's query does; "÷SQL" is HTTP
   latency / SQL latency, so it shows what HTTP, JSON, validation and the service layer add (> 1, lower
   is better). A middle row times the server's own repository call (SQLAlchemy, the same IN query)
   in this process, to split the overhead between the ORM and HTTP/validation. The plan PostgreSQL
   picks for the lookup (as = ANY and as an IN list) is printed, to show which index it uses.

Everything lives in one temporary folder (default under /tmp; --dir to choose the disk) that is
removed at the end, with the server and PostgreSQL stopped. Needs about 2 x (big + files x file-mb)
of free disk. On a shared or busy machine, run it twice and compare: the ratios matter, not seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
ROWS_PER_INSERT = 100_000
JSON = {"content-type": "application/json"}
FIELDS = {
    "fileCreatedAt": "2024-05-01T12:00:00.000Z",
    "fileModifiedAt": "2024-05-01T12:00:00.000Z",
    "isFavorite": "false",
}


# --- generated files ---------------------------------------------------------------------------


def generate(path: Path, size_mb: int, seed: int, block: bytes) -> None:
    """Bytes that differ per file and per MiB (a counter in front of one random MiB)."""
    with path.open("wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0")
        for n in range(size_mb):
            piece = seed.to_bytes(8, "little") + n.to_bytes(8, "little") + block
            handle.write(piece[: MIB - (4 if n == size_mb - 1 else 0)])


def sha1_of(path: Path) -> bytes:
    digest = hashlib.sha1()  # noqa: S324 - Immich's checksum, not a security use
    with path.open("rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.digest()


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)  # noqa: S603 - cp/sync with our own paths
    return time.perf_counter() - started


def copy_baseline(sources: list[Path], target: Path) -> tuple[float, float]:
    """Seconds for `cp` of the files into `target`, and for `sync` of the copies after it."""
    target.mkdir()
    subprocess.run(["sync"], check=True)  # noqa: S607 - start from no dirty pages of ours
    cp_seconds = timed(["cp", *map(str, sources), str(target)])
    copies = [str(target / source.name) for source in sources]
    sync_seconds = timed(["sync", *copies])  # fsync of each copy
    shutil.rmtree(target)
    subprocess.run(["sync"], check=True)  # noqa: S607
    return cp_seconds, sync_seconds


# --- server memory -------------------------------------------------------------------------------


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


class RssSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = rss_kb(pid)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, rss_kb(self.pid))
            time.sleep(self.interval)

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak_kb


# --- uploads -------------------------------------------------------------------------------------


async def upload(client: httpx.AsyncClient, path: Path) -> str:
    with path.open("rb") as handle:  # httpx reads it in 64 KiB pieces as it sends; never whole
        response = await client.post(
            "/assets", data=FIELDS, files={"assetData": (path.name, handle, "application/octet-stream")}
        )
    assert response.status_code == 201, (response.status_code, response.text)
    asset_id: str = response.json()["id"]
    return asset_id


def client_for(api: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=api, headers={"x-api-key": key}, timeout=600)


async def upload_many(api: str, key: str, paths: list[Path], clients: int) -> float:
    queue: asyncio.Queue[Path] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)

    async def worker() -> None:
        async with client_for(api, key) as client:
            while not queue.empty():
                await upload(client, queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - started


def rate(size_mb: float, seconds: float) -> str:
    return f"{size_mb / seconds:8.1f} MiB/s ({seconds:6.2f} s)"


async def bench_uploads(args: argparse.Namespace, work: Path, api: str, key: str, pid: int) -> None:
    sources = work / "sources"
    (sources / "small").mkdir(parents=True)
    block = os.urandom(MIB)
    big = sources / "big.mp4"
    print(f"writing {args.big_mb} MiB + {args.files} x {args.file_mb} MiB of test files …", flush=True)
    generate(big, args.big_mb, 0, block)
    small = [sources / "small" / f"IMG_{n:05d}.jpg" for n in range(args.files)]
    for n, path in enumerate(small, start=1):
        generate(path, args.file_mb, n, block)

    async with client_for(api, key) as client:  # warm-up: first request, imports, pool
        warm = sources / "warm.jpg"
        generate(warm, 1, 10**9, block)
        await upload(client, warm)

        cp_s, sync_s = copy_baseline([big], work / "copy")
        await asyncio.sleep(1)
        idle = rss_kb(pid)
        hwm_before = rss_kb(pid, "VmHWM")
        sampler = RssSampler(pid)
        sampler.start()
        started = time.perf_counter()
        big_id = await upload(client, big)
        up_s = time.perf_counter() - started
        peak = sampler.stop()
        hwm_after = rss_kb(pid, "VmHWM")
        stored = (await client.get(f"/assets/{big_id}")).json()["checksum"]
        assert stored == base64.b64encode(sha1_of(big)).decode(), "stored checksum differs"

    size = args.big_mb
    print(f"\n1 x {size} MiB (one client):")
    print(f"  cp           {rate(size, cp_s)}")
    print(f"  cp + sync    {rate(size, cp_s + sync_s)}")
    print(
        f"  upload       {rate(size, up_s)}   ÷cp {cp_s / up_s:.2f}   ÷(cp+sync) {(cp_s + sync_s) / up_s:.2f}"
    )
    hwm_note = f"; VmHWM rose {(hwm_after - hwm_before) / 1024:.1f} MB" if hwm_after > hwm_before else ""
    print(
        f"  server RSS   idle {idle / 1024:.1f} MB, peak {peak / 1024:.1f} MB, "
        f"peak above idle {(peak - idle) / 1024:.1f} MB{hwm_note}"
    )

    cp_s, sync_s = copy_baseline(small, work / "copy")
    up_s = await upload_many(api, key, small, args.clients)
    size = args.files * args.file_mb
    print(f"\n{args.files} x {args.file_mb} MiB ({args.clients} concurrent clients):")
    print(f"  cp           {rate(size, cp_s)}")
    print(f"  cp + sync    {rate(size, cp_s + sync_s)}")
    print(
        f"  upload       {rate(size, up_s)}   ÷cp {cp_s / up_s:.2f}   ÷(cp+sync) {(cp_s + sync_s) / up_s:.2f}"
    )
    print(f"               {args.files / up_s:.1f} files/s")
    shutil.rmtree(sources)


# --- bulk-upload-check ---------------------------------------------------------------------------

INSERT = """
INSERT INTO asset (owner_id, type, original_path, original_file_name, file_created_at, file_modified_at,
                   local_date_time, checksum, update_id)
SELECT $1, 'IMAGE', 'upload/bench/' || n || '.jpg', 'IMG_' || n || '.jpg',
       t, t, t, decode(md5('bench' || n) || left(md5('extra' || n), 8), 'hex'), gen_random_uuid()
FROM generate_series($2::int, $3::int) AS n,
     LATERAL (SELECT timestamptz '2000-01-01' + n * interval '1 minute') AS at(t)
"""
LOOKUP = (
    "SELECT checksum, id, deleted_at IS NOT NULL FROM asset "
    "WHERE owner_id = $1 AND library_id IS NULL AND checksum = ANY($2::bytea[])"
)


@dataclass
class Latency:
    p50: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        return cls(statistics.median(seconds), statistics.quantiles(seconds, n=20, method="inclusive")[18])


def plan_summary(plan: list[str]) -> str:
    """The nodes of an EXPLAIN without costs, e.g. 'Bitmap Heap Scan on asset <- Bitmap Index Scan on …'."""
    nodes = [line.strip().lstrip("-> ").split("  (")[0] for line in plan if "(cost=" in line]
    return " <- ".join(nodes)


async def time_repository(
    database_url: str, user_id: str, checksums: list[bytes], calls: int, expected: int
) -> list[float]:
    """The server's own query (AssetRepository.uploads_by_checksum, SQLAlchemy), in this process."""
    from albumen.assets.repository import AssetRepository
    from albumen.kit.db import create_engine

    engine = create_engine(database_url, pool_size=1)
    owner = uuid.UUID(user_id)
    seconds = []
    try:
        async with AsyncSession(engine) as session:
            repository = AssetRepository(session)
            for n in range(calls + 3):
                started = time.perf_counter()
                found = await repository.uploads_by_checksum(owner, checksums)
                if n >= 3:
                    seconds.append(time.perf_counter() - started)
                assert len(found) == expected, (len(found), expected)
    finally:
        await engine.dispose()
    return seconds


async def bench_check(args: argparse.Namespace, database_url: str, api: str, key: str, user_id: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        print(f"\ninserting {args.assets:,} assets …", flush=True)
        started = time.perf_counter()
        for first in range(1, args.assets + 1, ROWS_PER_INSERT):
            last = min(first + ROWS_PER_INSERT - 1, args.assets)
            await connection.execute(INSERT, user_id, first, last)
        await connection.execute("ANALYZE asset")
        total = await connection.fetchval("SELECT count(*) FROM asset WHERE owner_id = $1", user_id)
        print(f"  {total:,} assets for the user ({time.perf_counter() - started:.1f} s with ANALYZE)")

        half = args.checks // 2
        present = [
            row[0]
            for row in await connection.fetch(
                "SELECT checksum FROM asset WHERE owner_id = $1 ORDER BY random() LIMIT $2", user_id, half
            )
        ]
        checksums = present + [os.urandom(20) for _ in range(args.checks - len(present))]
        random.shuffle(checksums)
        body = {"assets": [{"id": str(n), "checksum": c.hex()} for n, c in enumerate(checksums)]}
        payload = json.dumps(body).encode()

        plan = [
            row[0] for row in await connection.fetch(f"EXPLAIN {LOOKUP}", user_id, checksums)
        ]  # fmt: skip
        in_list = ", ".join(f"${n}" for n in range(2, len(checksums) + 2))
        in_plan = await connection.fetch(
            f"EXPLAIN {LOOKUP.split(' AND checksum')[0]} AND checksum IN ({in_list})", user_id, *checksums
        )

        sql_seconds = []
        for n in range(args.calls + 3):
            started = time.perf_counter()
            rows = await connection.fetch(LOOKUP, user_id, checksums)
            if n >= 3:
                sql_seconds.append(time.perf_counter() - started)
            assert len(rows) == len(present), (len(rows), len(present))
    finally:
        await connection.close()
    orm_seconds = await time_repository(database_url, user_id, checksums, args.calls, len(present))

    http_seconds = []
    async with client_for(api, key) as client:
        for n in range(args.calls + 3):
            started = time.perf_counter()
            response = await client.post("/assets/bulk-upload-check", content=payload, headers=JSON)
            elapsed = time.perf_counter() - started  # the body was encoded once, before timing
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            assert sum(r["action"] == "reject" for r in results) == len(present)
            if n >= 3:
                http_seconds.append(elapsed)

    http, sql, orm = Latency.of(http_seconds), Latency.of(sql_seconds), Latency.of(orm_seconds)
    print(
        f"\nbulk-upload-check, {args.checks:,} checksums ({len(present):,} present) "
        f"against {total:,} assets, {args.calls} calls after 3 warm-up:"
    )
    print(f"  direct SQL   p50 {sql.p50 * 1000:8.1f} ms   p95 {sql.p95 * 1000:8.1f} ms")
    print(
        f"  repository   p50 {orm.p50 * 1000:8.1f} ms   p95 {orm.p95 * 1000:8.1f} ms   "
        f"÷SQL p50 {orm.p50 / sql.p50:.2f}   p95 {orm.p95 / sql.p95:.2f}"
    )
    print(
        f"  HTTP         p50 {http.p50 * 1000:8.1f} ms   p95 {http.p95 * 1000:8.1f} ms   "
        f"÷SQL p50 {http.p50 / sql.p50:.2f}   p95 {http.p95 / sql.p95:.2f}"
    )
    print(f"  plan (= ANY): {plan_summary(plan)}")
    print(f"  plan (IN …):  {plan_summary([row[0] for row in in_plan])}")


# --- set-up --------------------------------------------------------------------------------------


async def create_key(api: str) -> tuple[str, str]:
    from tests.support.users import create_api_key, sign_up_admin

    async with httpx.AsyncClient(base_url=api, timeout=60) as client:
        admin = await sign_up_admin(client)
        return admin.user_id, await create_api_key(client, admin, ["asset.upload", "asset.read"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the single big upload, MiB")
    parser.add_argument("--files", type=int, default=1000, help="number of small uploads")
    parser.add_argument("--file-mb", type=int, default=4, help="size of each small upload, MiB")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for the small uploads")
    parser.add_argument("--assets", type=int, default=1_000_000, help="asset rows for bulk-upload-check")
    parser.add_argument("--checks", type=int, default=5000, help="checksums per bulk-upload-check call")
    parser.add_argument("--calls", type=int, default=30, help="timed bulk-upload-check calls")
    parser.add_argument("--dir", type=Path, default=None, help="parent of the work folder (default /tmp)")
    args = parser.parse_args()

    from tests.support.databases import create_template, fresh_database
    from tests.support.postgres import start_tcp_postgres
    from tests.support.server import start_server

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="albumen-upload-bench-", dir=args.dir))
    stop_postgres = None
    server = None
    try:
        server_url, stop_postgres = start_tcp_postgres(work / "postgres")
        asyncio.run(create_template(server_url))
        database_url = asyncio.run(fresh_database(server_url))
        server = start_server(work / "data", database_url)
        user_id, key = asyncio.run(create_key(server.api))
        print(f"albumen serve pid {server.process.pid} at {server.base_url}; work folder {work}")
        asyncio.run(bench_uploads(args, work, server.api, key, server.process.pid))
        asyncio.run(bench_check(args, database_url, server.api, key, user_id))
    finally:
        if server is not None:
            server.stop()
        if stop_postgres is not None:
            stop_postgres()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
