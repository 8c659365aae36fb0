"""kill -9 the process running the jobs 20 times, at random moments, while 500 uploads go through the
chain: in the end every asset has all its rows and files, no job is lost, stuck or failed, and no
file is left that nothing points at."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from pathlib import Path

import httpx
import pytest
import pyvips  # type: ignore[import-untyped]
from sqlalchemy import func, select

from albumen.kit.db import Database, create_engine
from albumen.models import Asset, AssetExif, AssetFile
from tests.support.databases import fresh_database
from tests.support.jobs import wait_until_idle
from tests.support.server import RunningServer, assert_no_traceback, start_server
from tests.support.users import LoggedIn, sign_up_admin

ASSETS = 500
KILLS = 20
# Each wait has its own bound, sized for a loaded 2-core machine, where one start of the server (mostly
# importing it) takes a minute; the test's time limit is their sum, so only a wait that overran fails it.
START_TIMEOUT = 180
UPLOAD_TIMEOUT = 600
IDLE_TIMEOUT = 480
WORST_CASE = UPLOAD_TIMEOUT + KILLS * (1.5 + START_TIMEOUT) + 2 * START_TIMEOUT + 2 * IDLE_TIMEOUT
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(WORST_CASE + 60)]
FAST_RECOVERY = {
    "ALBUMEN_JOB_HEARTBEAT_SECONDS": "2",  # a killed worker's jobs come back within seconds
    "ALBUMEN_SHUTDOWN_GRACE_SECONDS": "1",
    "ALBUMEN_STALE_TEMPORARY_SECONDS": "5",  # the last start sweeps what killed writers left
    # A run cut short by a kill counts as an attempt, and a job claimed at a start may be cut by every
    # kill that follows: with more attempts than kills, only a job's own error can fail it.
    "ALBUMEN_JOB_ATTEMPTS": str(KILLS + 2),
    "ALBUMEN_JOB_RETRY_DELAY_SECONDS": "1",
}


def start(data_dir: Path, database_url: str) -> RunningServer:
    return start_server(data_dir, database_url, extra_env=FAST_RECOVERY, timeout=START_TIMEOUT)


def small_jpeg(n: int) -> bytes:
    image = pyvips.Image.black(96, 64, bands=3).linear([1, 1, 1], [n % 251, (n * 7) % 253, (n * 13) % 255])
    data: bytes = image.jpegsave_buffer(Q=90)
    return data


async def upload_all(server: RunningServer) -> tuple[LoggedIn, list[str]]:
    async with httpx.AsyncClient(base_url=server.api, timeout=120) as http:
        admin = await sign_up_admin(http)
        dates = {"fileCreatedAt": "2024-03-01T10:00:00Z", "fileModifiedAt": "2024-03-01T10:00:00Z"}
        semaphore = asyncio.Semaphore(4)

        async def one(n: int) -> str:
            async with semaphore:
                response = await http.post(
                    "/assets", headers=admin.headers, data=dates,
                    files={"assetData": (f"IMG_{n:04d}.jpg", small_jpeg(n), "image/jpeg")},
                )  # fmt: skip
                assert response.status_code == 201, response.text
                asset_id: str = response.json()["id"]
                return asset_id

        return admin, list(await asyncio.gather(*(one(n) for n in range(ASSETS))))


def test_twenty_kills_lose_nothing(postgres_url: str, tmp_path: Path) -> None:
    database_url = asyncio.run(fresh_database(postgres_url))
    data_dir = tmp_path / "data"
    server = start(data_dir, database_url)
    admin, ids = asyncio.run(asyncio.wait_for(upload_all(server), UPLOAD_TIMEOUT))
    chaos = random.Random(20)
    for _ in range(KILLS):
        time.sleep(chaos.uniform(0.2, 1.5))
        server.stop(signal.SIGKILL)
        server = start(data_dir, database_url)
    try:
        wait_until_idle(server, admin, IDLE_TIMEOUT)
        # One more start after everything settled: its housekeeping sweeps the killed writers' temporaries.
        server.stop()
        server = start(data_dir, database_url)
        counts = wait_until_idle(server, admin, IDLE_TIMEOUT)
    finally:
        server.stop()
    assert_no_traceback(server)
    assert not {name: c["failed"] for name, c in counts.items() if c["failed"]}

    async def check() -> None:
        database = Database(create_engine(database_url, pool_size=1))
        try:
            async with database.unit_of_work() as db:
                assets = (await db.scalars(select(Asset))).all()
                files = (await db.scalars(select(AssetFile))).all()
                with_exif = await db.scalar(
                    select(func.count()).select_from(AssetExif).where(AssetExif.exif_image_width.is_not(None))
                )
        finally:
            await database.dispose()
        assert sorted(str(a.id) for a in assets) == sorted(ids)
        assert all(a.thumbhash for a in assets)
        assert with_exif == ASSETS  # metadata extraction ran for every asset
        by_asset: dict[str, set[str]] = {}
        for stored in files:
            by_asset.setdefault(str(stored.asset_id), set()).add(stored.type)
            assert (data_dir / "library" / stored.path).is_file(), stored.path
        assert all(by_asset.get(i) == {"thumbnail", "preview"} for i in ids)
        referenced = {stored.path for stored in files} | {a.original_path for a in assets}
        on_disk = {
            str(p.relative_to(data_dir / "library"))
            for p in (data_dir / "library").rglob("*")
            if p.is_file() and p.name != ".immich"
        }
        assert on_disk == referenced  # no orphan, no temporary left

    asyncio.run(check())
