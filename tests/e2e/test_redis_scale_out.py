"""Scale-out through Redis: one `albumen serve` that runs no jobs (--no-workers) and two `albumen
worker`s, all on one PostgreSQL database, one storage folder and one redis-server. Uploads to the server
are processed by the workers (both take a share), and a Socket.IO client connected to the server hears
every `on_upload_success`, though each is emitted in a worker process."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_job_faults import small_jpeg
from tests.integration.test_events import Listener
from tests.support.databases import fresh_database
from tests.support.jobs import wait_until_idle
from tests.support.redis import start_redis
from tests.support.server import ALBUMEN, RunningServer, assert_no_traceback, start_server
from tests.support.users import LoggedIn, sign_up_admin

pytestmark = pytest.mark.e2e
ASSETS = 30
WORKERS = 2
BOUND_SECONDS = 180


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [*ALBUMEN, "worker"], env=env, stdout=log_file, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while "albumen worker ready" not in self.log():
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.2)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def jobs_done(self) -> int:
        return sum(1 for line in self.log().splitlines() if "job done" in line)


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[tuple[RunningServer, list[WorkerProcess]]]:
    redis_url, stop_redis = start_redis(tmp_path)
    database_url = asyncio.run(fresh_database(postgres_url))
    workers: list[WorkerProcess] = []
    server: RunningServer | None = None
    try:
        server = start_server(
            tmp_path / "data",
            database_url,
            extra_env={"ALBUMEN_REDIS_URL": redis_url, "ALBUMEN_JOB_WORKERS": "false"},
        )
        for n in range(WORKERS):
            workers.append(WorkerProcess(server.env, tmp_path / f"worker-{n}.log"))
        for worker in workers:
            worker.wait_ready()
        yield server, workers
    finally:
        for worker in workers:
            assert worker.stop() == 0, worker.log()
        if server is not None:
            server.stop()
        stop_redis()
    assert_no_traceback(server)
    for worker in workers:
        assert "Traceback" not in worker.log(), worker.log()


async def upload_and_listen(server: RunningServer) -> tuple[LoggedIn, list[str], set[str]]:
    """Uploads the assets with a socket open; returns the admin, the asset ids and the ids announced."""
    async with httpx.AsyncClient(base_url=server.api, timeout=60) as http:
        admin = await sign_up_admin(http)
        listener = await Listener().connect(server, admin.headers)
        try:
            assert (await listener.next())[0] == "on_server_version"
            dates = {"fileCreatedAt": "2024-03-01T10:00:00Z", "fileModifiedAt": "2024-03-01T10:00:00Z"}
            ids = []
            for n in range(ASSETS):
                response = await http.post(
                    "/assets", headers=admin.headers, data=dates,
                    files={"assetData": (f"IMG_{n:04d}.jpg", small_jpeg(n), "image/jpeg")},
                )  # fmt: skip
                assert response.status_code == 201, response.text
                ids.append(response.json()["id"])
            announced: set[str] = set()
            deadline = time.monotonic() + BOUND_SECONDS
            while not set(ids) <= announced:
                name, args = await listener.next(timeout=max(1.0, deadline - time.monotonic()))
                if name == "on_upload_success":
                    announced.add(args[0]["id"])
            return admin, ids, announced
        finally:
            await listener.close()


def test_two_workers_share_the_uploads_and_the_server_hears_every_event(
    cluster: tuple[RunningServer, list[WorkerProcess]],
) -> None:
    server, workers = cluster
    admin, ids, announced = asyncio.run(upload_and_listen(server))

    assert set(ids) <= announced  # each emitted in a worker, delivered by the server
    counts = wait_until_idle(server, admin, BOUND_SECONDS)
    assert not {name: c["failed"] for name, c in counts.items() if c["failed"]}
    with httpx.Client(base_url=server.api, headers=admin.headers) as http:
        for asset_id in ids:
            assert http.get(f"/assets/{asset_id}").json()["thumbhash"], asset_id
            response = http.get(f"/assets/{asset_id}/thumbnail", params={"size": "thumbnail"})
            assert response.status_code == 200, asset_id
            assert response.headers["content-type"] == "image/webp"
    shares = [worker.jobs_done() for worker in workers]
    print(f"jobs done per worker: {shares}")
    assert all(share > 0 for share in shares), shares
    assert sum(shares) >= 2 * ASSETS  # at least metadata extraction and thumbnails for each asset
    assert "job done" not in server.log()  # the server ran none of them
