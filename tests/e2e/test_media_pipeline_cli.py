"""The real @immich/cli uploads ../shared/test-assets to `albumen serve`; the job chain then gives every
file its metadata, a thumbnail, a preview and a thumbhash, and pairs the motion photo, in bounded time."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips  # type: ignore[import-untyped]

from tests.conftest import ASSETS_DIR
from tests.e2e.harness import Node
from tests.e2e.test_immich_cli import immich
from tests.e2e.test_immich_cli_upload import json_report, supported_files
from tests.support.jobs import wait_until_idle
from tests.support.server import RunningServer, serving_on
from tests.support.users import LoggedIn, create_api_key, sign_up_admin

pytestmark = pytest.mark.e2e
BOUND_SECONDS = 300  # the whole set (33 photos and their previews) on 2 shared cores


@pytest.fixture(scope="module")
def server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving_on(postgres_url, tmp_path_factory.mktemp("pipeline") / "data") as running:
        yield running


async def admin_and_key(server: RunningServer) -> tuple[LoggedIn, str]:
    async with httpx.AsyncClient(base_url=server.api) as http:
        admin = await sign_up_admin(http)
        return admin, await create_api_key(http, admin, ["all"])


def test_every_test_asset_gets_metadata_previews_and_thumbhash(
    node: Node, server: RunningServer, tmp_path: Path
) -> None:
    admin, key = asyncio.run(admin_and_key(server))
    library = tmp_path / "library"
    shutil.copytree(ASSETS_DIR, library)
    assert immich(node, tmp_path, "login", server.api, key).returncode == 0

    result = immich(node, tmp_path, "upload", "--recursive", "--json-output", "--no-progress", str(library))

    assert result.returncode == 0, result.describe()
    by_path = {Path(item["filepath"]): item["id"] for item in json_report(result)["newAssets"]}
    assert set(by_path) == set(supported_files(library))
    started = time.monotonic()
    counts = wait_until_idle(server, admin, BOUND_SECONDS)
    seconds = time.monotonic() - started
    assert not {name: c["failed"] for name, c in counts.items() if c["failed"]}
    print(f"job chain for {len(by_path)} files took {seconds:.1f} s")

    facts: dict[str, Any] = {}
    with httpx.Client(base_url=server.api, headers=admin.headers) as http:
        for path, asset_id in by_path.items():
            info = http.get(f"/assets/{asset_id}").json()
            assert info["thumbhash"], path
            assert info["width"], path
            assert info["height"], path
            assert info["exifInfo"]["fileSizeInByte"] == path.stat().st_size, path
            for size, mime, target in (("thumbnail", "image/webp", 250), ("preview", "image/jpeg", 1440)):
                response = http.get(f"/assets/{asset_id}/thumbnail", params={"size": size})
                assert response.status_code == 200, (path, size)
                assert response.headers["content-type"] == mime, (path, size)
                image = pyvips.Image.new_from_buffer(response.content, "")
                assert min(image.width, image.height) == min(target, info["width"], info["height"]), path
            facts[path.name] = info

    thompson = facts["thompson-springs.jpg"]["exifInfo"]
    assert thompson["latitude"] == pytest.approx(39.115, abs=0.001)
    assert thompson["longitude"] == pytest.approx(-108.401, abs=0.001)
    # offline geocoding, with Immich's country names
    assert (thompson["state"], thompson["country"]) == ("Colorado", "United States of America")
    assert thompson["city"]
    assert facts["IMG_2682.heic"]["exifInfo"]["make"] == "Apple"
    assert facts["mongolels.jpg"]["exifInfo"]["rating"] == 3
    assert facts["datetimeoriginal-gps.jpg"]["exifInfo"]["timeZone"] == "America/Denver"
    assert facts["date-priority-test.jpg"]["localDateTime"].startswith("2023-02-02T02:00:00")
    assert facts["samsung-one-ui-6.heic"]["livePhotoVideoId"] is not None
