"""Hand edits of an asset's date, place, description and rating, as Immich's SidecarWrite job does them:
the values are locked, written into the XMP sidecar with the real exiftool, the metadata is read again
(so the place gets its city, state and country) and the owner hears `on_asset_update` over a real
Socket.IO connection to a real `albumen serve`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from albumen.media.metadata import MetadataReader
from tests.conftest import ASSETS_DIR
from tests.integration.test_events import Listener
from tests.support.assets import upload_id
from tests.support.server import RunningServer, serving_on
from tests.support.users import LoggedIn, sign_up_admin

PHOTO = ASSETS_DIR / "albums/nature/wood_anemones.jpg"  # a real photo with a date and no position
MUNICH = {"latitude": 48.137, "longitude": 11.575}
PROCESSED = 60.0  # the job chain on a loaded machine


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("edits") / "data"


@pytest.fixture(scope="module")
def server(postgres_url: str, data_dir: Path) -> Iterator[RunningServer]:
    with serving_on(postgres_url, data_dir) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: RunningServer) -> LoggedIn:
    async def set_up() -> LoggedIn:
        async with httpx.AsyncClient(base_url=server.api) as http:
            return await sign_up_admin(http)

    return asyncio.run(set_up())


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.api, timeout=30) as client:
        yield client


@pytest.fixture
async def socket(server: RunningServer, admin: LoggedIn) -> AsyncIterator[Listener]:
    listener = await Listener().connect(server, headers=admin.headers)
    await listener.expect("on_server_version")
    yield listener
    await listener.close()


async def until(listener: Listener, event: str, count: int = 1) -> list[dict[str, Any]]:
    """The payloads of the next `count` `event`s, skipping the others."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        name, args = await listener.next(timeout=PROCESSED)
        if name == event:
            found.append(args[0])
    return found


async def uploaded(http: httpx.AsyncClient, admin: LoggedIn, socket: Listener, name: str) -> str:
    content = PHOTO.read_bytes() + name.encode()  # bytes after the image's end: a distinct file
    asset_id = await upload_id(http, admin, name, content)
    await until(socket, "on_upload_success")  # the upload's own chain is done
    return asset_id


def sidecars(data_dir: Path) -> list[Path]:
    return sorted(data_dir.rglob("*.xmp"))


def sidecar_tags(path: Path) -> dict[str, Any]:
    with MetadataReader() as reader:
        return reader.read_tags(path)


async def test_a_position_edit_is_written_to_the_sidecar_and_named(
    http: httpx.AsyncClient, admin: LoggedIn, socket: Listener, data_dir: Path
) -> None:
    asset_id = await uploaded(http, admin, socket, "anemones.jpg")
    before = (await http.get(f"/assets/{asset_id}", headers=admin.headers)).json()["exifInfo"]
    assert before["latitude"] is None
    assert before["city"] is None

    edit = {**MUNICH, "description": "by the river\nline two", "rating": 4,
            "dateTimeOriginal": "2024-05-06T07:08:09.000+02:00"}  # fmt: skip
    response = await http.put(f"/assets/{asset_id}", headers=admin.headers, json=edit)
    assert response.status_code == 200, response.text

    [announced] = await until(socket, "on_asset_update")
    assert announced["id"] == asset_id
    exif = announced["exifInfo"]
    assert (exif["city"], exif["state"], exif["country"]) == ("Munich", "Bavaria", "Germany")
    assert (exif["latitude"], exif["longitude"]) == (48.137, 11.575)
    assert exif["description"] == "by the river\nline two"
    assert exif["rating"] == 4
    assert announced["localDateTime"].startswith("2024-05-06T07:08:09")
    assert announced["fileCreatedAt"].startswith("2024-05-06T05:08:09")

    [sidecar] = sidecars(data_dir)
    tags = sidecar_tags(sidecar)
    assert (tags["GPSLatitude"], tags["GPSLongitude"]) == (48.137, 11.575)
    assert tags["Description"] == "by the river\nline two"
    assert tags["Rating"] == 4
    assert tags["DateTimeOriginal"] == "2024:05:06 07:08:09+02:00"

    found = await http.post("/search/metadata", headers=admin.headers, json={"city": "Munich"})
    assert [item["id"] for item in found.json()["assets"]["items"]] == [asset_id]

    # A later refresh reads the file and the sidecar again and keeps every edited value.
    refresh = {"assetIds": [asset_id], "name": "refresh-metadata"}
    assert (await http.post("/assets/jobs", headers=admin.headers, json=refresh)).status_code == 204
    await until(socket, "on_upload_success")
    again = (await http.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert (again["exifInfo"]["city"], again["exifInfo"]["latitude"]) == ("Munich", 48.137)
    assert again["exifInfo"]["description"] == "by the river\nline two"
    assert again["localDateTime"].startswith("2024-05-06T07:08:09")

    # A second edit rewrites the same sidecar, keeping what the first one set.
    moved = {"latitude": 52.52, "longitude": 13.405}
    assert (await http.put(f"/assets/{asset_id}", headers=admin.headers, json=moved)).status_code == 200
    [announced] = await until(socket, "on_asset_update")
    assert announced["exifInfo"]["city"] == "Mitte"  # GeoNames: the nearest place is the district
    assert sidecars(data_dir) == [sidecar]
    tags = sidecar_tags(sidecar)
    assert (tags["GPSLatitude"], tags["Rating"]) == (52.52, 4)


async def test_a_bulk_edit_names_every_asset(
    http: httpx.AsyncClient, admin: LoggedIn, socket: Listener
) -> None:
    ids = [await uploaded(http, admin, socket, f"bulk-{n}.jpg") for n in range(2)]
    edit = {"ids": ids, "dateTimeOriginal": "2021-01-02T03:04:05.000Z", **MUNICH}

    response = await http.put("/assets", headers=admin.headers, json=edit)
    assert response.status_code == 204, response.text

    announced = await until(socket, "on_asset_update", count=2)
    assert sorted(item["id"] for item in announced) == sorted(ids)
    for asset_id in ids:
        info = (await http.get(f"/assets/{asset_id}", headers=admin.headers)).json()
        assert info["exifInfo"]["country"] == "Germany"
        assert info["localDateTime"].startswith("2021-01-02T03:04:05")
    cities = (await http.get("/search/cities", headers=admin.headers)).json()
    assert "Munich" in {item["exifInfo"]["city"] for item in cities}


@pytest.mark.parametrize(
    "body",
    [{"latitude": 91, "longitude": 0}, {"longitude": 181, "latitude": 0}, {"rating": 6},
     {"dateTimeOriginal": "yesterday"}, {"latitude": "north", "longitude": 1}],
)  # fmt: skip
async def test_bad_edits_are_refused_and_queue_nothing(
    http: httpx.AsyncClient, admin: LoggedIn, socket: Listener, body: dict[str, Any]
) -> None:
    asset_id = await uploaded(http, admin, socket, f"refused-{sorted(body.items())}.jpg")

    response = await http.put(f"/assets/{asset_id}", headers=admin.headers, json=body)
    bulk = await http.put("/assets", headers=admin.headers, json={"ids": [asset_id], **body})

    assert response.status_code == 400, response.text
    assert bulk.status_code == 400, bulk.text
    assert response.json()["message"]
    await asyncio.sleep(2)  # a queued SidecarWrite would have announced itself by now
    heard = [socket.received.get_nowait()[0] for _ in range(socket.received.qsize())]
    assert "on_asset_update" not in heard
