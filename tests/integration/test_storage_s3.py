"""S3 specifics against a real S3 server (`rclone serve s3`): S3's 5 GiB limit on one CopyObject, and
one pooled HTTP client per location for ranged reads."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import obstore
import pytest

from albumen.config import Settings, StorageSettings
from albumen.main import create_app
from albumen.storage import s3 as s3_module
from albumen.storage.base import ByteRange, ObjectNotFound
from albumen.storage.s3 import S3Storage
from albumen.storage.transfer import move_object
from tests.support.assets import chunks_of, fake_jpeg, upload_id
from tests.support.jobs import settle
from tests.support.s3 import S3Server, running_s3
from tests.support.users import sign_up_admin

MIB = 1024 * 1024
# The test's stand-in for S3's 5 GiB: small enough to cross with a few MiB.
COPY_LIMIT = 2 * MIB


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_s3(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def storage(s3_server: S3Server) -> S3Storage:
    return S3Storage.connect(
        s3_server.bucket,
        prefix=f"test-{uuid.uuid4().hex}",
        endpoint=s3_server.endpoint,
        region="us-east-1",
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
    )


@pytest.fixture
def copy_requests(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Enforces the copy limit as S3 does (a CopyObject of a bigger source fails) and records the size
    of every CopyObject issued."""
    issued: list[int] = []
    real_copy = obstore.copy_async

    async def copy_with_s3_limit(store: Any, source: str, target: str, **options: Any) -> None:
        size = (await obstore.head_async(store, source))["size"]
        issued.append(size)
        if size > COPY_LIMIT:
            raise RuntimeError("InvalidRequest: The specified copy source is larger than the maximum")
        await real_copy(store, source, target, **options)

    monkeypatch.setattr(s3_module, "MAX_COPY_BYTES", COPY_LIMIT)
    monkeypatch.setattr(obstore, "copy_async", copy_with_s3_limit)
    return issued


async def read_all(storage: S3Storage, key: str, byte_range: ByteRange | None = None) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key, byte_range)])


async def test_an_upload_above_the_copy_limit_lands_whole_without_copy_object(
    storage: S3Storage, copy_requests: list[int]
) -> None:
    data = os.urandom(3 * MIB + 17)
    temporary = await storage.write_temporary(chunks_of(data, 256 * 1024))
    await storage.commit(temporary.key, "upload/u/ab/cd/video.mov")
    assert copy_requests == []
    assert hashlib.sha1(await read_all(storage, "upload/u/ab/cd/video.mov")).digest() == temporary.sha1
    assert await storage.delete_stale_temporaries(older_than_seconds=-1) == 0  # the temporary is gone


async def test_small_objects_still_use_one_server_side_copy(
    storage: S3Storage, copy_requests: list[int]
) -> None:
    temporary = await storage.write_temporary(chunks_of(b"small photo"))
    await storage.commit(temporary.key, "photo.jpg")
    assert copy_requests == [len(b"small photo")]
    assert await read_all(storage, "photo.jpg") == b"small photo"


async def test_a_template_move_above_the_copy_limit_within_a_bucket(
    storage: S3Storage, copy_requests: list[int]
) -> None:
    data = os.urandom(3 * MIB)
    written = await storage.write("upload/u/ab/cd/big.mov", chunks_of(data, 512 * 1024))
    await move_object(
        storage, "upload/u/ab/cd/big.mov", storage, "library/u/2024/big.mov", expected_sha1=written.sha1
    )
    assert copy_requests == []
    assert await read_all(storage, "library/u/2024/big.mov") == data
    assert await storage.exists("upload/u/ab/cd/big.mov") is False
    # Run again after a crash past the delete: already done, nothing lost.
    await move_object(
        storage, "upload/u/ab/cd/big.mov", storage, "library/u/2024/big.mov", expected_sha1=written.sha1
    )
    assert await read_all(storage, "library/u/2024/big.mov") == data


async def test_a_move_within_a_bucket_is_one_server_side_copy_below_the_limit(
    storage: S3Storage, copy_requests: list[int]
) -> None:
    written = await storage.write("a.jpg", chunks_of(b"jpeg"))
    await move_object(storage, "a.jpg", storage, "b.jpg", expected_sha1=written.sha1)
    assert copy_requests == [4]
    assert await read_all(storage, "b.jpg") == b"jpeg"
    with pytest.raises(ObjectNotFound):
        await storage.stat("a.jpg")


async def test_ranged_reads_share_one_http_client(
    storage: S3Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[httpx.AsyncClient] = []
    real_client = httpx.AsyncClient

    def counted(*args: Any, **kwargs: Any) -> httpx.AsyncClient:
        client = real_client(*args, **kwargs)
        opened.append(client)
        return client

    monkeypatch.setattr(httpx, "AsyncClient", counted)
    data = bytes(range(256)) * 64
    await storage.write("r.bin", chunks_of(data))
    for start in range(0, 5000, 1000):
        assert await read_all(storage, "r.bin", ByteRange(start, start + 99)) == data[start : start + 100]
    assert len(opened) == 1


async def test_an_api_upload_above_the_copy_limit_lands_whole_where_the_template_says(
    settings: Settings, s3_server: S3Server, storage: S3Storage, copy_requests: list[int]
) -> None:
    """POST /assets into a bucket, then the storage template's move inside it: S3 would refuse a
    CopyObject of this size, and none is issued."""
    url = s3_server.url(storage.prefix)
    app = create_app(settings.model_copy(update={"storage": StorageSettings(originals=url)}))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver/api") as client,
    ):
        admin = await sign_up_admin(client)
        config = (await client.get("/system-config", headers=admin.headers)).json()
        config["storageTemplate"] = {
            "enabled": True,
            "hashVerificationEnabled": True,
            "template": "{{filename}}",
        }
        assert (await client.put("/system-config", headers=admin.headers, json=config)).status_code == 200
        content = fake_jpeg("over the copy limit", 3 * MIB)
        asset_id = await upload_id(client, admin, "big.jpg", content)
        await settle(app)
        path = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()["originalPath"]
    assert path == "library/admin/big.jpg"
    assert [size for size in copy_requests if size > COPY_LIMIT] == []
    assert await read_all(storage, path) == content


def test_copy_limit_is_s3s() -> None:
    assert s3_module.MAX_COPY_BYTES == 5 * 1024**3
