"""The real @immich/cli uploads a folder (the shared real-world media plus 200 generated JPEGs)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from albumen.media import types as media_types
from tests.conftest import ASSETS_DIR
from tests.e2e.harness import ADMIN_EMAIL, Completed, Node
from tests.e2e.test_immich_cli import immich
from tests.support.assets import fake_jpeg
from tests.support.server import RunningServer, serving_on
from tests.support.users import ADMIN_PASSWORD, LoggedIn, create_api_key, create_user, login, sign_up_admin

pytestmark = pytest.mark.e2e
GENERATED = 200


@pytest.fixture(scope="module")
def server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving_on(postgres_url, tmp_path_factory.mktemp("cli-upload") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared media (copied: tests never touch the originals) and 200 generated JPEGs."""
    root = tmp_path_factory.mktemp("library")
    shutil.copytree(ASSETS_DIR, root / "test-assets")
    generated = root / "generated"
    generated.mkdir()
    for n in range(GENERATED):
        (generated / f"IMG_{n:04d}.jpg").write_bytes(fake_jpeg(f"generated-{n}", 2048 + n))
    return root


def supported_files(root: Path) -> list[Path]:
    known = media_types.IMAGE.keys() | media_types.VIDEO.keys()
    return sorted(path for path in root.rglob("*") if path.is_file() and path.suffix.lower() in known)


def json_report(result: Completed) -> dict[str, Any]:
    start = result.stdout.index("\n{") + 1
    end = result.stdout.index("\n}", start) + 2
    report: dict[str, Any] = json.loads(result.stdout[start:end])
    return report


async def new_user(server: RunningServer, email: str) -> tuple[LoggedIn, str]:
    async with httpx.AsyncClient(base_url=server.api) as http:
        initialized = (await http.get("/server/config")).json()["isInitialized"]
        if initialized:
            admin = await login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        else:
            admin = await sign_up_admin(http, ADMIN_EMAIL)
        user = await create_user(http, admin, email)
        return user, await create_api_key(http, user, ["all"])


async def assets_of(server: RunningServer, user: LoggedIn) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=server.api, headers=user.headers) as http:
        stats: dict[str, int] = (await http.get("/assets/statistics")).json()
        return stats


@pytest.mark.parametrize("concurrency", [None, 8])
def test_upload_a_folder_once_then_find_only_duplicates(
    node: Node, server: RunningServer, library: Path, tmp_path: Path, concurrency: int | None
) -> None:
    user, key = asyncio.run(new_user(server, f"uploader-{concurrency}@immich.test"))
    assert immich(node, tmp_path, "login", server.api, key).returncode == 0
    files = supported_files(library)
    unique = {hashlib.sha1(path.read_bytes()).digest() for path in files}
    assert len(files) >= GENERATED + 30
    options = ["--concurrency", str(concurrency)] if concurrency else []

    first = immich(
        node, tmp_path, "upload", "--recursive", "--json-output", "--no-progress", *options, str(library)
    )

    assert first.returncode == 0, first.describe()
    report = json_report(first)
    # Every supported file is sent; files whose bytes repeat (the same photo in two folders) are
    # stored once and answered as duplicates.
    assert len(report["newFiles"]) == len(files), first.stdout
    assert {Path(item["filepath"]) for item in report["newAssets"]} == set(files)
    assert len({item["id"] for item in report["newAssets"]}) == len(unique)
    assert f"Successfully uploaded {len(unique)} new assets" in first.stdout
    stats = asyncio.run(assets_of(server, user))
    assert stats["total"] == len(unique)

    second = immich(
        node, tmp_path, "upload", "--recursive", "--json-output", "--no-progress", *options, str(library)
    )

    assert second.returncode == 0, second.describe()
    assert f"Found 0 new files and {len(files)} duplicates" in second.stdout
    assert "All assets were already uploaded, nothing to do." in second.stdout
    assert asyncio.run(assets_of(server, user))["total"] == len(unique)

    # What the server keeps is byte-identical to what was on disk.
    by_path = {Path(item["filepath"]): item["id"] for item in report["newAssets"]}
    sample = [p for p in files if "generated" not in p.parts] + [p for p in files if "generated" in p.parts][
        :5
    ]

    async def verify() -> None:
        async with httpx.AsyncClient(base_url=server.api, headers=user.headers) as http:
            for path in sample:
                original = await http.get(f"/assets/{by_path[path]}/original")
                assert original.status_code == 200
                assert hashlib.sha1(original.content).digest() == hashlib.sha1(path.read_bytes()).digest()
                info = (await http.get(f"/assets/{by_path[path]}")).json()
                assert base64.b64decode(info["checksum"]) == hashlib.sha1(path.read_bytes()).digest()

    asyncio.run(verify())


def test_album_option_creates_an_album_per_folder(
    node: Node, server: RunningServer, library: Path, tmp_path: Path
) -> None:
    user, key = asyncio.run(new_user(server, "albums@home.test"))
    assert immich(node, tmp_path, "login", server.api, key).returncode == 0
    folders = library / "test-assets" / "albums"
    expected = {folder.name: len(supported_files(folder)) for folder in folders.iterdir()}

    result = immich(node, tmp_path, "upload", "--recursive", "--album", "--no-progress", str(folders))

    assert result.returncode == 0, result.describe()

    async def albums() -> dict[str, int]:
        async with httpx.AsyncClient(base_url=server.api, headers=user.headers) as http:
            listed = (await http.get("/albums")).json()
            return {album["albumName"]: album["assetCount"] for album in listed}

    assert asyncio.run(albums()) == expected
    # A second run adds nothing and creates no second album of the same name.
    again = immich(node, tmp_path, "upload", "--recursive", "--album", "--no-progress", str(folders))
    assert again.returncode == 0, again.describe()
    assert asyncio.run(albums()) == expected
