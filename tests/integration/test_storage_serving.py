"""Originals in a real S3 bucket (a loopback `rclone serve s3`): uploads land there, downloads stream
from it with ranges, or redirect to a presigned URL when asked; the admin sees every location."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from albumen.config import Settings, StorageSettings
from albumen.main import create_app
from tests.support.assets import fake_jpeg, upload_id
from tests.support.s3 import S3Server, running_s3
from tests.support.users import create_user, sign_up_admin


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_s3(tmp_path_factory.mktemp("s3")) as server:
        yield server


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver/api") as http,
    ):
        yield http


@pytest.fixture(params=[False, True], ids=["proxied", "presigned"])
async def s3_client(
    request: pytest.FixtureRequest, settings: Settings, s3_server: S3Server, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    storage = StorageSettings(originals=s3_server.url(tmp_path.name), presigned_downloads=request.param)
    async for http in client_for(settings.model_copy(update={"storage": storage})):
        yield http


async def test_originals_round_trip_through_the_bucket(
    s3_client: httpx.AsyncClient, s3_server: S3Server, settings: Settings
) -> None:
    admin = await sign_up_admin(s3_client)
    content = fake_jpeg("bucket", 300_000)
    asset_id = await upload_id(s3_client, admin, "in-the-bucket.jpg", content)
    info = (await s3_client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    stored = s3_server.root / s3_server.bucket
    assert [p.read_bytes() for p in stored.rglob("*.jpg") if p.name in info["originalPath"]] == [content]
    assert not list((settings.media_dir).rglob("*.jpg"))  # nothing went to the local media folder

    response = await s3_client.get(f"/assets/{asset_id}/original", headers=admin.headers)
    ranged_headers = {**admin.headers, "Range": "bytes=1000-1999"}
    if response.status_code == 307:  # presigned: the bytes come from the bucket, not from us
        location = response.headers["location"]
        assert location.startswith(s3_server.endpoint)
        assert "X-Amz-Signature" in location
        async with httpx.AsyncClient() as plain:
            fetched = await plain.get(location)
            ranged = await plain.get(location, headers={"Range": "bytes=1000-1999"})
        assert fetched.content == content
        assert ranged.content == content[1000:2000]
    else:
        assert response.status_code == 200
        assert hashlib.sha1(response.content).digest() == hashlib.sha1(content).digest()
        ranged = await s3_client.get(f"/assets/{asset_id}/original", headers=ranged_headers)
        assert ranged.status_code == 206
        assert ranged.content == content[1000:2000]
        cached = await s3_client.get(
            f"/assets/{asset_id}/original",
            headers={**admin.headers, "If-None-Match": response.headers["etag"]},
        )
        assert cached.status_code == 304

    await s3_client.request(
        "DELETE", "/assets", headers=admin.headers, json={"ids": [asset_id], "force": True}
    )
    assert not [p for p in stored.rglob("*.jpg") if p.name in info["originalPath"]]


async def test_admin_sees_each_location_without_secrets(
    settings: Settings, s3_server: S3Server, tmp_path: Path
) -> None:
    storage = StorageSettings(originals=s3_server.url(tmp_path.name))
    async for http in client_for(settings.model_copy(update={"storage": storage})):
        admin = await sign_up_admin(http)
        user = await create_user(http, admin, "user@example.com")
        await upload_id(http, admin, "a.jpg", fake_jpeg("a", 1234))
        response = await http.get("/storage/locations", headers=admin.headers)
        assert response.status_code == 200, response.text
        locations: list[dict[str, Any]] = response.json()
        by_kind = {kind: entry for entry in locations for kind in entry["kinds"]}
        bucket = by_kind["originals"]
        assert bucket["scheme"] == "s3"
        assert bucket["kinds"] == ["originals"]
        assert s3_server.secret_key not in response.text
        assert s3_server.access_key not in response.text
        assert bucket["disk"] is None
        assert bucket["originals"] == {"assets": 1, "bytes": 1234}
        local = by_kind["thumbnails"]
        assert local["scheme"] == "file"
        assert sorted(local["kinds"]) == ["backups", "encoded_video", "profile", "thumbnails"]
        assert local["disk"]["size"] > 0
        refused = await http.get("/storage/locations", headers=user.headers)
        assert refused.status_code == 403
