"""The sync stream under a phone that goes away: a client that stops reading and disconnects mid-stream
must not leave the server's COPY running or a transaction open on its database connection."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.support.assets import fake_jpeg
from tests.support.server import serving_on

JSON_LINES = "application/jsonlines+json"
# Enough rows that their lines (~500 bytes each) overflow the COPY queue and the socket buffers (the
# client's receive buffer kept small: loopback would otherwise grow it to 32 MiB), so the server is
# still inside the COPY when the client leaves.
COPIES = 30_000
SMALL_RECEIVE_BUFFER = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)]


def _sql(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(url)
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def _clone_asset(url: str, asset_id: str, copies: int) -> None:
    """`copies` more assets like `asset_id` (each with its own id, checksum, path and EXIF row)."""
    columns = [
        row["column_name"]
        for row in _sql(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'asset'")
    ]
    made = {
        "id": "gen_random_uuid()",
        "checksum": "sha256(g::text::bytea)",
        "original_path": "original_path || g",
    }
    values = ", ".join(made.get(column, column) for column in columns)
    _sql(
        url,
        f"INSERT INTO asset ({', '.join(columns)}) SELECT {values} "
        "FROM asset, generate_series(1, $2) g WHERE id = $1::uuid",
        asset_id,
        copies,
    )
    _sql(
        url,
        "INSERT INTO asset_exif (asset_id, update_id) SELECT id, update_id FROM asset ON CONFLICT DO NOTHING",
    )


def _sync_backends(url: str) -> list[asyncpg.Record]:
    """The server's connections that are inside a COPY or a transaction."""
    return _sql(
        url,
        "SELECT state, query FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND (query ILIKE 'COPY%' AND state = 'active' OR state LIKE 'idle in%')",
    )


def _wait_for(condition: Any, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_phone_disconnecting_mid_stream_leaves_no_copy_or_transaction(
    postgres_url: str, tmp_path: Path
) -> None:
    with (
        serving_on(postgres_url, tmp_path / "data", {"ALBUMEN_JOB_WORKERS": "false"}) as server,
        httpx.Client(
            base_url=server.api,
            timeout=60,
            transport=httpx.HTTPTransport(socket_options=SMALL_RECEIVE_BUFFER),
        ) as http,
    ):
        url = server.env["ALBUMEN_DATABASE_URL"]
        signed_up = http.post(
            "/auth/admin-sign-up", json={"email": "a@example.com", "password": "pw", "name": "A"}
        )
        assert signed_up.status_code == 201
        token = http.post("/auth/login", json={"email": "a@example.com", "password": "pw"}).json()[
            "accessToken"
        ]
        headers = {"Authorization": f"Bearer {token}", "Accept": JSON_LINES}
        files = {"assetData": ("a.jpg", fake_jpeg(1), "application/octet-stream")}
        data = {"fileCreatedAt": "2024-05-01T12:00:00.000Z", "fileModifiedAt": "2024-05-01T12:00:00.000Z"}
        uploaded = http.post("/assets", headers=headers, files=files, data=data)
        assert uploaded.status_code == 201
        _clone_asset(url, uploaded.json()["id"], COPIES)
        time.sleep(0.005)

        body = {"types": ["AuthUsersV1", "AssetsV2", "AssetExifsV1"]}
        with http.stream("POST", "/sync/stream", headers=headers, json=body) as response:
            assert response.status_code == 200
            lines = response.iter_lines()  # kept: dropping the iterator would close the response
            first = next(lines)
            assert json.loads(first)["type"] == "AuthUserV1"
            # The phone stops reading: the server fills its queue and waits inside the COPY.
            assert _wait_for(lambda: any(row["query"].startswith("COPY") for row in _sync_backends(url)))
        # The phone is gone (the response is closed mid-body).
        assert _wait_for(lambda: not _sync_backends(url)), _sync_backends(url)

        # The connection went back to the pool healthy: a whole stream still works.
        with http.stream("POST", "/sync/stream", headers=headers, json=body) as response:
            types = [json.loads(line)["type"] for line in response.iter_lines()]
        assert types.count("AssetV2") == COPIES + 1
        assert types.count("AssetExifV1") == COPIES + 1 == _sql(url, "SELECT count(*) FROM asset_exif")[0][0]
        assert types[-1] == "SyncCompleteV1"
        assert not _sync_backends(url)
