"""The real @immich/sdk pauses, resumes and empties the job queues of a running `albumen serve`, and the
uploads' jobs wait, run or vanish accordingly."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.harness import JS_DIR, Node
from tests.support.assets import fake_jpeg, upload_id
from tests.support.server import RunningServer, serving_on
from tests.support.users import LoggedIn, create_api_key, sign_up_admin

pytestmark = pytest.mark.e2e
QUEUE = "metadataExtraction"


@pytest.fixture(scope="module")
def server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving_on(postgres_url, tmp_path_factory.mktemp("queues") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: RunningServer) -> tuple[LoggedIn, str]:
    async def sign_up() -> tuple[LoggedIn, str]:
        async with httpx.AsyncClient(base_url=server.api) as http:
            who = await sign_up_admin(http)
            return who, await create_api_key(http, who, ["all"])

    return asyncio.run(sign_up())


def sdk(
    node: Node, server: RunningServer, key: str, operation: str, argument: dict[str, Any] | None = None
) -> Any:
    args = [str(node.binary), str(JS_DIR / "sdk-queues.mjs"), server.api, key, operation, QUEUE]
    result = node.run([*args, json.dumps(argument)] if argument is not None else args)
    assert result.returncode == 0, result.describe()
    outcome = json.loads(result.stdout)
    assert outcome["ok"], outcome
    return outcome["value"]


def upload(server: RunningServer, who: LoggedIn, name: str) -> str:
    async def go() -> str:
        async with httpx.AsyncClient(base_url=server.api) as http:
            return await upload_id(http, who, name, fake_jpeg(name))

    return asyncio.run(go())


def until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.2)


def test_pause_resume_and_empty_from_the_sdk(
    node: Node, server: RunningServer, admin: tuple[LoggedIn, str]
) -> None:
    who, key = admin
    legacy = sdk(node, server, key, "command", {"command": "pause", "force": False})
    assert legacy["queueStatus"]["isPaused"] is True
    assert sdk(node, server, key, "get")["isPaused"] is True

    upload(server, who, "waits.jpg")
    time.sleep(2)  # a running worker would have taken it by now
    counts = sdk(node, server, key, "get")["statistics"]
    assert counts["paused"] == 1
    assert counts["active"] == 0

    resumed = sdk(node, server, key, "update", {"isPaused": False})
    assert resumed["isPaused"] is False
    until(lambda: sdk(node, server, key, "get")["statistics"]["paused"] == 0)
    until(lambda: sdk(node, server, key, "get")["statistics"]["waiting"] == 0)

    sdk(node, server, key, "command", {"command": "pause", "force": False})
    for n in range(3):
        upload(server, who, f"dropped-{n}.jpg")
    until(lambda: sdk(node, server, key, "get")["statistics"]["paused"] == 3)
    sdk(node, server, key, "empty", {"failed": False})
    assert sdk(node, server, key, "get")["statistics"]["paused"] == 0
    sdk(node, server, key, "command", {"command": "resume", "force": False})
    legacy_all = sdk(node, server, key, "legacy")
    assert legacy_all[QUEUE]["queueStatus"]["isPaused"] is False
