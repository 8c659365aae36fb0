"""One contract, every back-end: round trips, ranges, atomic commit, concurrent writers, listing."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from albumen.storage.base import (
    ByteRange,
    InvalidKey,
    ObjectNotFound,
    StorageBackend,
    parse_range,
)
from albumen.storage.local import LocalStorage
from albumen.storage.memory import MemoryStorage
from albumen.storage.rclone import RcloneStorage
from albumen.storage.s3 import S3Storage
from tests.support.assets import chunks_of
from tests.support.s3 import S3Server, running_s3

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_s3(tmp_path_factory.mktemp("s3")) as server:
        yield server


def s3_backend(server: S3Server) -> S3Storage:
    return S3Storage.connect(
        server.bucket,
        prefix=f"test-{uuid.uuid4().hex}",  # every test its own corner of the bucket
        endpoint=server.endpoint,
        region="us-east-1",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
    )


@pytest.fixture(scope="module")
def rclone_remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RcloneStorage, Path]]:
    """A real rclone remote (an alias to a folder, from a config file the test writes), served by rclone."""
    folder = tmp_path_factory.mktemp("rclone-remote")
    (folder / "photos").mkdir()
    config = folder.parent / f"{folder.name}.conf"
    config.write_text(f"[vault]\ntype = alias\nremote = {folder}\n")
    storage = RcloneStorage.start("vault:photos/library", config_file=config)
    try:
        yield storage, folder
    finally:
        storage.close()


@pytest.fixture(params=["local", "memory", "s3", "rclone"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> StorageBackend:
    if request.param == "local":
        return LocalStorage(tmp_path / "root")
    if request.param == "s3":
        return s3_backend(request.getfixturevalue("s3_server"))
    if request.param == "rclone":
        served: RcloneStorage = request.getfixturevalue("rclone_remote")[0]
        return RcloneStorage(served.store, prefix=f"{served.prefix}test-{uuid.uuid4().hex}")
    return MemoryStorage()


async def read_all(backend: StorageBackend, key: str, byte_range: ByteRange | None = None) -> bytes:
    return b"".join([chunk async for chunk in backend.read(key, byte_range)])


def test_implements_the_protocol(backend: StorageBackend) -> None:
    assert isinstance(backend, StorageBackend)


@pytest.mark.parametrize("size", [0, 1, 5 * MIB + 1])
async def test_round_trip_with_sha1(backend: StorageBackend, size: int) -> None:
    data = os.urandom(size)
    result = await backend.write("upload/user/ab/cd/file.bin", chunks_of(data))
    assert result.size == size
    assert result.sha1 == hashlib.sha1(data).digest()
    assert await read_all(backend, "upload/user/ab/cd/file.bin") == data
    info = await backend.stat("upload/user/ab/cd/file.bin")
    assert info.size == size
    assert info.etag


async def test_ranges(backend: StorageBackend) -> None:
    data = bytes(range(256)) * 40
    await backend.write("r.bin", chunks_of(data))
    size = len(data)
    for header, expected in (
        ("bytes=0-0", data[:1]),
        (f"bytes={size - 1}-{size - 1}", data[-1:]),
        ("bytes=-100", data[-100:]),
        ("bytes=5000-", data[5000:]),
        ("bytes=10-19", data[10:20]),
    ):
        assert await read_all(backend, "r.bin", parse_range(header, size)) == expected, header


async def test_missing_objects(backend: StorageBackend) -> None:
    assert await backend.delete("nothing/here.bin") is False
    assert await backend.exists("nothing/here.bin") is False
    with pytest.raises(ObjectNotFound):
        await backend.stat("nothing/here.bin")
    with pytest.raises(ObjectNotFound):
        await read_all(backend, "nothing/here.bin")


async def test_delete(backend: StorageBackend) -> None:
    await backend.write("a/b.bin", chunks_of(b"x"))
    assert await backend.delete("a/b.bin") is True
    assert await backend.exists("a/b.bin") is False


async def test_bad_keys_are_refused(backend: StorageBackend) -> None:
    with pytest.raises(InvalidKey):
        await backend.write("../escape.bin", chunks_of(b"x"))


async def test_temporary_is_invisible_until_commit(backend: StorageBackend) -> None:
    await backend.write("photo.jpg", chunks_of(b"old"))
    temporary = await backend.write_temporary(chunks_of(b"new version"))
    assert await read_all(backend, "photo.jpg") == b"old"
    assert [info.key async for info in backend.list()] == ["photo.jpg"]
    await backend.commit(temporary.key, "photo.jpg")
    assert await read_all(backend, "photo.jpg") == b"new version"


async def test_a_discarded_temporary_is_gone(backend: StorageBackend) -> None:
    temporary = await backend.write_temporary(chunks_of(b"refused upload"))
    await backend.discard(temporary.key)
    await backend.discard(temporary.key)  # twice is fine: clean-up may be retried
    with pytest.raises(ObjectNotFound):
        await backend.commit(temporary.key, "photo.jpg")
    assert await backend.delete_stale_temporaries(0) == 0


async def test_a_failed_write_leaves_nothing(backend: StorageBackend) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"half of it"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await backend.write("broken.bin", broken())
    assert await backend.exists("broken.bin") is False
    assert [info.key async for info in backend.list()] == []
    assert await backend.delete_stale_temporaries(0) == 0


async def test_concurrent_writers_of_one_key_leave_one_whole_object(backend: StorageBackend) -> None:
    versions = [bytes([n]) * (MIB + n) for n in range(6)]
    await asyncio.gather(*(backend.write("same.bin", chunks_of(v, 32 * 1024)) for v in versions))
    assert await read_all(backend, "same.bin") in versions


async def test_readers_never_see_a_partial_object(backend: StorageBackend) -> None:
    old, new = b"a" * (2 * MIB), b"b" * (3 * MIB)
    await backend.write("live.bin", chunks_of(old))
    seen: set[bytes] = set()

    async def keep_reading() -> None:
        for _ in range(20):
            seen.add(await read_all(backend, "live.bin"))
            await asyncio.sleep(0)

    await asyncio.gather(keep_reading(), backend.write("live.bin", chunks_of(new, 16 * 1024)))
    assert seen <= {old, new}


async def test_listing_by_prefix(backend: StorageBackend) -> None:
    for key in ("thumbs/u1/a.webp", "thumbs/u1/b.webp", "thumbs/u2/c.webp", "upload/u1/d.jpg"):
        await backend.write(key, chunks_of(key.encode()))
    assert [i.key async for i in backend.list("thumbs/u1/")] == ["thumbs/u1/a.webp", "thumbs/u1/b.webp"]
    assert len([i async for i in backend.list()]) == 4


async def test_stale_temporaries_are_swept(backend: StorageBackend) -> None:
    await backend.write_temporary(chunks_of(b"abandoned by a crashed writer"))
    assert await backend.delete_stale_temporaries(older_than_seconds=3600) == 0
    assert await backend.delete_stale_temporaries(older_than_seconds=-1) == 1


async def test_presigned_put_and_get_work_from_a_plain_client(s3_server: S3Server) -> None:
    import httpx

    storage = s3_backend(s3_server)
    put_url = await storage.presign("PUT", "direct/upload.bin", timedelta(minutes=5))
    async with httpx.AsyncClient() as plain:
        assert (await plain.put(put_url, content=b"sent straight to the bucket")).status_code == 200
        get_url = await storage.presign("GET", "direct/upload.bin", timedelta(minutes=5))
        fetched = await plain.get(get_url)
        assert fetched.status_code == 200
        assert fetched.content == b"sent straight to the bucket"
        tampered = get_url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        assert (await plain.get(tampered)).status_code == 403
        expired = await storage.presign("GET", "direct/upload.bin", timedelta(seconds=1))
        await asyncio.sleep(2.5)
        refused = await plain.get(expired)
        assert refused.status_code in (400, 403)  # rclone says 400 "expired", AWS 403
        assert refused.content != b"sent straight to the bucket"


WRITER = """
import asyncio, os, sys
from pathlib import Path
from albumen.storage.local import LocalStorage

async def endless():
    block = os.urandom(1024 * 1024)
    for _ in range(200):
        yield block
        print("wrote", flush=True)
        await asyncio.sleep(0.01)

asyncio.run(LocalStorage(Path(sys.argv[1])).write("big/200mb.bin", endless()))
"""


async def test_killed_writer_leaves_no_object_and_the_sweep_removes_its_orphan(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    root = tmp_path / "root"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    for _ in range(60):  # about 60 MiB in: well into the 200 MB write
        writer.stdout.readline()
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    storage = LocalStorage(root)
    assert [info.key async for info in storage.list()] == []
    assert await storage.exists("big/200mb.bin") is False
    orphans = list((root / ".tmp").iterdir())
    assert len(orphans) == 1
    assert await storage.delete_stale_temporaries(older_than_seconds=-1) == 1
    assert list((root / ".tmp").iterdir()) == []


async def test_200_mb_round_trip(backend: StorageBackend) -> None:
    storage = backend
    block = os.urandom(MIB)
    expected = hashlib.sha1()

    async def two_hundred_mb() -> AsyncIterator[bytes]:
        for n in range(200):
            chunk = block[n:] + block[:n]
            expected.update(chunk)
            yield chunk

    result = await storage.write("big/200mb.bin", two_hundred_mb())
    assert result.size == 200 * MIB
    assert result.sha1 == expected.digest()
    read_back = hashlib.sha1()
    async for chunk in storage.read("big/200mb.bin"):
        read_back.update(chunk)
    assert read_back.digest() == expected.digest()


async def test_rclone_objects_land_as_plain_files_in_the_remote(
    rclone_remote: tuple[RcloneStorage, Path],
) -> None:
    storage, folder = rclone_remote
    await storage.write("upload/u1/ab/cd/photo.jpg", chunks_of(b"jpeg bytes"))
    assert (folder / "photos" / "library" / "upload/u1/ab/cd/photo.jpg").read_bytes() == b"jpeg bytes"


def test_rclone_reports_an_unknown_remote_in_one_line(tmp_path: Path) -> None:
    from albumen.storage.base import StorageError

    config = tmp_path / "empty.conf"
    config.write_text("")
    with pytest.raises(StorageError, match="rclone could not serve nowhere"):
        RcloneStorage.start("nowhere:bucket", config_file=config)
