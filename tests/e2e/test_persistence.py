"""`albumen serve` on the embedded database: a clean SIGTERM, data that outlives it, no lost request."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.harness import postmaster_running, serving
from tests.support.server import RunningServer
from tests.support.users import ADMIN_EMAIL, ADMIN_PASSWORD, create_api_key, login, sign_up_admin

pytestmark = pytest.mark.e2e


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for whichever process adopted it to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


async def test_sigterm_exits_0_and_stops_the_embedded_postgres(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir) as server:
        async with httpx.AsyncClient(base_url=server.api) as http:
            await sign_up_admin(http)
        pid_file = data_dir / "postgres" / "postmaster.pid"
        postgres_pid = int(pid_file.read_text().splitlines()[0])
        assert _alive(postgres_pid)

        returncode = server.stop(signal.SIGTERM)

        assert returncode == 0, f"exit code {returncode}; server log ends:\n{server.log()[-1500:]}"
        assert not postmaster_running(data_dir), "the embedded PostgreSQL was left running"
        assert not _alive(postgres_pid)


async def test_sessions_api_keys_and_users_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir) as first:
        async with httpx.AsyncClient(base_url=first.api) as http:
            admin = await sign_up_admin(http)
            key = await create_api_key(http, admin, ["all"])
    # Leaving the block stopped the server and its PostgreSQL: the next one starts from what is on disk.
    assert not postmaster_running(data_dir)

    with serving(data_dir) as second:
        async with httpx.AsyncClient(base_url=second.api) as http:
            by_token = await http.get("/users/me", headers=admin.headers)
            assert by_token.status_code == 200, by_token.text
            assert by_token.json()["id"] == admin.user_id
            assert by_token.json()["email"] == ADMIN_EMAIL

            by_key = await http.get("/users/me", headers={"x-api-key": key})
            assert by_key.status_code == 200, by_key.text
            assert by_key.json()["id"] == admin.user_id

            again = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            assert again.user_id == admin.user_id
            second_admin = await http.post(
                "/auth/admin-sign-up", json={"email": "other@example.com", "password": "pw", "name": "Other"}
            )
            assert second_admin.status_code == 400, second_admin.text


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _read_to_close(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _wait_until_not_listening(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server still accepted connections {timeout}s after SIGTERM")


def _start_login_and_wait_for_100_continue(server: RunningServer, body: bytes) -> socket.socket:
    """Sends the headers of a login with `Expect: 100-continue` and returns once the app is reading the body.

    Uvicorn answers `100 Continue` when the application first asks for the body, so at that point the request
    is certainly being handled: the SIGTERM that follows cannot arrive before it, and the test is not a race.
    """
    port = urlparse(server.base_url).port
    assert port is not None
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        "POST /api/auth/login HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    sock.sendall(head.encode())
    interim = _read_until(sock, b"\r\n\r\n")
    assert interim.startswith(b"HTTP/1.1 100"), interim
    return sock


async def test_a_request_in_flight_at_sigterm_still_gets_its_answer(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as server:
        async with httpx.AsyncClient(base_url=server.api) as http:
            admin = await sign_up_admin(http)
        port = urlparse(server.base_url).port
        assert port is not None
        body = json.dumps({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).encode()

        with _start_login_and_wait_for_100_continue(server, body) as sock:
            server.process.send_signal(signal.SIGTERM)
            _wait_until_not_listening(port)  # shutdown has begun: no new connections
            assert server.process.poll() is None, "the server quit with a request in flight"
            sock.sendall(body)
            response = _read_to_close(sock)

        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 201"), response
        answer = json.loads(payload)
        assert answer["userId"] == admin.user_id
        assert answer["accessToken"]
        server.process.wait(30)
