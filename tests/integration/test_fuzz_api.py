"""Schemathesis over Immich's own spec for the operations built so far: no input may produce a 5xx.

Runs against a real `albumen serve` (external database on the test PostgreSQL), authenticated with an
admin API key holding `all`, so that fuzzed logouts or session deletions do not lock the fuzzer out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from albumen.immich.spec import SPEC_FILE
from tests.support.databases import fresh_database
from tests.support.server import RunningServer, start_server

FUZZED_TAGS = [
    "Authentication",
    "Users",
    "Users (admin)",
    "Sessions",
    "Shared links",
    "API keys",
    "Server",
    "System config",
    "System metadata",
    "Assets",
    "Activities",
    "Albums",
    "Trash",
    "Download",
    "Stacks",
    "Memories",
    "Map",
    "Partners",
    "Search",
    "Notifications",
    "People",
    "Faces",
    "Timeline",
    "Sync",
    "Tags",
    "Views",
]
# OAuth stays disabled here, so its operations are fuzzed too without calling any provider.
schema = schemathesis.openapi.from_path(str(SPEC_FILE)).include(tag=FUZZED_TAGS)


@pytest.fixture(scope="module")
def fuzz_target(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningServer, str]]:
    database_url = asyncio.run(fresh_database(postgres_url))
    server = start_server(Path(tmp_path_factory.mktemp("fuzz")) / "data", database_url)
    try:
        with httpx.Client(base_url=server.api) as http:
            http.post(
                "/auth/admin-sign-up",
                json={"email": "admin@immich.cloud", "password": "admin-password", "name": "Admin"},
            ).raise_for_status()
            token = http.post(
                "/auth/login", json={"email": "admin@immich.cloud", "password": "admin-password"}
            ).json()["accessToken"]
            secret = http.post(
                "/api-keys",
                headers={"Authorization": f"Bearer {token}"},
                json={"name": "fuzz", "permissions": ["all"]},
            ).json()["secret"]
        yield server, secret
    finally:
        server.stop()
        log = server.log()
        first = log.find("Traceback")
        assert first < 0, log[max(0, first - 500) : first + 3500]


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case, fuzz_target: tuple[RunningServer, str]) -> None:
    server, secret = fuzz_target
    response = case.call(base_url=server.api, headers={"x-api-key": secret}, timeout=30)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    )
    if response.status_code >= 400:
        assert "message" in response.json(), response.text
        assert "x-correlation-id" in {name.lower() for name in response.headers}
