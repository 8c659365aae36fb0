"""`albumen serve` with ALBUMEN_DATABASE_URL: it uses that PostgreSQL and starts none of its own."""

from __future__ import annotations

import secrets
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.e2e.harness import serving
from tests.support.databases import fresh_database, with_database
from tests.support.server import RunningServer
from tests.support.users import ADMIN_EMAIL, ADMIN_PASSWORD, login, sign_up_admin

pytestmark = pytest.mark.e2e


async def _check_a_first_day(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.api) as http:
        ping = await http.get("/server/ping")
        assert ping.status_code == 200
        assert ping.json() == {"res": "pong"}
        admin = await sign_up_admin(http)
        again = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert again.user_id == admin.user_id
        me = await http.get("/users/me", headers=again.headers)
        assert me.status_code == 200, me.text
        assert me.json()["email"] == ADMIN_EMAIL
        ready = await http.get("/health/ready")
        assert ready.json() == {"status": "ok", "database": "up"}


async def _count_users(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        count: int = await connection.fetchval('SELECT count(*) FROM "user"')
        return count
    finally:
        await connection.close()


async def test_serves_from_an_external_database(postgres_url: str, tmp_path: Path) -> None:
    database_url = await fresh_database(postgres_url)
    data_dir = tmp_path / "data"

    with serving(data_dir, database_url) as server:
        await _check_a_first_day(server)

    assert not (data_dir / "postgres").exists(), "an embedded PostgreSQL was started despite the URL"
    # The account is in the database the URL named, not somewhere of the server's own.
    assert await _count_users(database_url) == 1


async def test_migrates_an_empty_external_database(postgres_url: str, tmp_path: Path) -> None:
    name = f"albumen_empty_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    database_url = with_database(postgres_url, name)

    with serving(tmp_path / "data", database_url) as server:
        await _check_a_first_day(server)

    assert await _count_users(database_url) == 1
