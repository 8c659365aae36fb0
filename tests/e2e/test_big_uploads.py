"""Big and broken uploads against a real `albumen serve`: memory stays flat, a dropped client leaves
nothing behind, and a resumable upload survives interruptions."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.support.server import RunningServer, serving_on
from tests.support.users import LoggedIn, sign_up_admin

pytestmark = pytest.mark.e2e
MIB = 1024 * 1024
BOUNDARY = "albumen-test-boundary"


@pytest.fixture(scope="module")
def server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving_on(postgres_url, tmp_path_factory.mktemp("big") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: RunningServer) -> LoggedIn:
    async def sign_up() -> LoggedIn:
        async with httpx.AsyncClient(base_url=server.api) as http:
            return await sign_up_admin(http)

    return asyncio.run(sign_up())


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def multipart_head(filename: str) -> bytes:
    fields = {"fileCreatedAt": "2024-01-01T00:00:00.000Z", "fileModifiedAt": "2024-01-01T00:00:00.000Z"}
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="assetData"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return "".join(parts).encode()


MULTIPART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def blocks(count: int, seed: bytes) -> Iterator[bytes]:
    block = hashlib.sha256(seed).digest() * (MIB // 32)
    for n in range(count):
        yield n.to_bytes(8, "big") + block[8:]


def stored_upload_files(server: RunningServer) -> list[Path]:
    root = server.data_dir / "library"
    return [
        p for p in root.rglob("*") if p.is_file() and (p.parts[-2:-1] == (".tmp",) or "upload" in p.parts)
    ]


def wait_until(condition: object, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def send_and_drop(server: RunningServer, head: bytes, body: bytes) -> None:
    """Sends a request whose body stops short of its Content-Length, then hangs up."""
    url = urlparse(server.base_url)
    with socket.create_connection((url.hostname, url.port)) as connection:
        connection.sendall(head + body)
        time.sleep(0.3)


def request_head(server: RunningServer, method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {urlparse(server.base_url).netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_2_gb_upload_streams_in_flat_memory(server: RunningServer, admin: LoggedIn) -> None:
    count = 2048
    head, sha1 = multipart_head("big.mp4"), hashlib.sha1()
    for block in blocks(count, b"big"):
        sha1.update(block)
    with httpx.Client(base_url=server.api, headers=admin.headers, timeout=600) as http:
        # Warm up (imports, pools) before measuring what idle means.
        warm = http.post("/assets", content=multipart_head("warm.jpg") + b"warm-up" + MULTIPART_TAIL,
                         headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})  # fmt: skip
        assert warm.status_code == 201, warm.text
        idle = rss_bytes(server.process.pid)
        peak = idle
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_bytes(server.process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            body = iter([head, *blocks(count, b"big"), MULTIPART_TAIL])
            response = http.post(
                "/assets",
                content=body,
                headers={
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    "Content-Length": str(len(head) + count * MIB + len(MULTIPART_TAIL)),
                },
            )
        finally:
            done.set()
            sampler.join()
        assert response.status_code == 201, response.text
        info = http.get(f"/assets/{response.json()['id']}").json()
    assert base64.b64decode(info["checksum"]) == sha1.digest()
    assert info["exifInfo"]["fileSizeInByte"] == count * MIB
    assert peak - idle <= 64 * MIB, f"RSS grew by {(peak - idle) / MIB:.1f} MiB"


def test_a_client_that_hangs_up_half_way_leaves_no_asset_and_no_file(
    server: RunningServer, admin: LoggedIn
) -> None:
    before = {p.name for p in stored_upload_files(server)}
    with httpx.Client(base_url=server.api, headers=admin.headers) as http:
        count_before = http.get("/assets/statistics").json()["total"]
    file_size = 32 * MIB
    head = multipart_head("dropped.mov")
    total = len(head) + file_size + len(MULTIPART_TAIL)
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    request = request_head(
        server,
        "POST",
        "/api/assets",
        {**admin.headers, "Content-Type": content_type, "Content-Length": str(total)},
    )
    send_and_drop(server, request, head + os.urandom(file_size // 2))

    wait_until(lambda: {p.name for p in stored_upload_files(server)} == before)
    with httpx.Client(base_url=server.api, headers=admin.headers) as http:
        assert http.get("/assets/statistics").json()["total"] == count_before


def test_a_resumable_upload_survives_three_interruptions(server: RunningServer, admin: LoggedIn) -> None:
    content = b"".join(blocks(24, b"resumable"))
    metadata = {
        "filename": "holiday.mp4",
        "fileCreatedAt": "2024-07-01T10:00:00.000Z",
        "fileModifiedAt": "2024-07-01T10:00:00.000Z",
        "checksum": hashlib.sha1(content).hexdigest(),
    }
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    tus = {"Tus-Resumable": "1.0.0"}
    with httpx.Client(base_url=server.base_url, headers={**admin.headers, **tus}, timeout=60) as http:
        created = http.post(
            "/api/uploads", headers={"Upload-Length": str(len(content)), "Upload-Metadata": encoded}
        )
        assert created.status_code == 201, created.text
        location = created.headers["location"]

        def offset() -> int:
            status = http.head(location)
            assert status.status_code == 200
            assert status.headers["upload-length"] == str(len(content))
            return int(status.headers["upload-offset"])

        assert offset() == 0
        for attempt in range(3):
            start = offset()
            sent = content[start : start + 5 * MIB + attempt]
            request = request_head(
                server, "PATCH", location,
                {**admin.headers, **tus, "Content-Type": "application/offset+octet-stream",
                 "Upload-Offset": str(start), "Content-Length": str(len(content) - start)},
            )  # fmt: skip
            send_and_drop(server, request, sent)
            wait_until(lambda start=start, sent=sent: offset() == start + len(sent))

        wrong = http.patch(location, content=b"x", headers={"Content-Type": "application/offset+octet-stream",
                                                             "Upload-Offset": "0"})  # fmt: skip
        assert wrong.status_code == 409
        start = offset()
        final = http.patch(
            location,
            content=content[start:],
            headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(start)},
        )
        assert final.status_code == 204, final.text
        assert final.headers["upload-offset"] == str(len(content))
        assert final.headers["x-immich-asset-status"] == "created"
        asset_id = final.headers["x-immich-asset-id"]
        assert http.head(location).status_code == 404

        original = http.get(f"/api/assets/{asset_id}/original")
        assert hashlib.sha1(original.content).digest() == hashlib.sha1(content).digest()
        info = http.get(f"/api/assets/{asset_id}").json()
        assert info["originalFileName"] == "holiday.mp4"
        assert info["type"] == "VIDEO"
    assert list((server.data_dir / "uploads").iterdir()) == []
