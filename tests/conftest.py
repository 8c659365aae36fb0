"""Shared fixtures: one real PostgreSQL per test run, a fresh migrated database per test, the ASGI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
import pytest

from albumen.config import Settings
from albumen.main import create_app
from tests.support.databases import create_template, fresh_database
from tests.support.licenses import license_server  # noqa: F401  (a fixture for every module)
from tests.support.postgres import start_tcp_postgres
from tests.support.redis import flush, start_redis
from tests.support.smtp import smtp_server  # noqa: F401  (a fixture for every module)

ASSETS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "test-assets"


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, stop = start_tcp_postgres(tmp_path_factory.mktemp("postgres") / "data")
    asyncio.run(create_template(url))
    try:
        yield url
    finally:
        stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, stop = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop()


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's redis-server, emptied for this test."""
    flush(redis_server)
    return redis_server


@pytest.fixture
async def database_url(postgres_url: str) -> str:
    return await fresh_database(postgres_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", log_format="console")  # type: ignore[call-arg]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    # Cookies are not kept between requests: each test says which credential it sends.
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver/api", cookies=no_cookies
    ) as http:
        yield http
