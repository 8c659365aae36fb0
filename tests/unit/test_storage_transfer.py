"""move_object: copy, verify, commit, then delete, so the object is always readable somewhere."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import pytest

from albumen.storage.base import ByteRange, ObjectNotFound, StorageBackend, WriteResult
from albumen.storage.local import TEMP_DIR, LocalStorage
from albumen.storage.memory import MemoryStorage
from albumen.storage.transfer import ChecksumMismatch, move_object

DATA = b"\xff\xd8 not really a jpeg " * 5000
SHA1 = hashlib.sha1(DATA).digest()
WRONG = hashlib.sha1(b"something else").digest()
SOURCE_KEY = "upload/u/ab/cd/abcd.jpg"
TARGET_KEY = "library/admin/2024/2024-03-05/IMG_0001.jpg"


class Injected(RuntimeError):
    pass


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 4096):
        yield data[start : start + 4096]


async def content(storage: StorageBackend, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key)])


async def readable(storage: StorageBackend, key: str) -> bool:
    try:
        return await content(storage, key) == DATA
    except ObjectNotFound:
        return False


def temporaries(storage: StorageBackend) -> int:
    if isinstance(storage, LocalStorage):
        return len(list((storage.root / TEMP_DIR).iterdir()))
    assert isinstance(storage, MemoryStorage)
    return len(storage._temporaries)


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "one")


@pytest.fixture
def other_local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "two")


async def check_moved(source: StorageBackend, target: StorageBackend) -> None:
    assert await content(target, TARGET_KEY) == DATA
    assert not await source.exists(SOURCE_KEY)
    assert temporaries(source) == 0
    assert temporaries(target) == 0


# --- moves that succeed -------------------------------------------------------------------------


async def test_memory_to_memory() -> None:
    source, target = MemoryStorage(), MemoryStorage()
    await source.write(SOURCE_KEY, chunks(DATA))
    await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    await check_moved(source, target)


async def test_within_one_memory_backend() -> None:
    storage = MemoryStorage()
    await storage.write(SOURCE_KEY, chunks(DATA))
    await move_object(storage, SOURCE_KEY, storage, TARGET_KEY, expected_sha1=None)
    await check_moved(storage, storage)


async def test_local_to_local_is_a_rename(local: LocalStorage) -> None:
    await local.write(SOURCE_KEY, chunks(DATA))
    inode = (local.root / SOURCE_KEY).stat().st_ino
    await move_object(local, SOURCE_KEY, local, TARGET_KEY, expected_sha1=SHA1)
    await check_moved(local, local)
    assert (local.root / TARGET_KEY).stat().st_ino == inode  # renamed, not copied


async def test_two_local_folders(local: LocalStorage, other_local: LocalStorage) -> None:
    await local.write(SOURCE_KEY, chunks(DATA))
    await move_object(local, SOURCE_KEY, other_local, TARGET_KEY, expected_sha1=SHA1)
    await check_moved(local, other_local)


async def test_local_to_memory(local: LocalStorage) -> None:
    target = MemoryStorage()
    await local.write(SOURCE_KEY, chunks(DATA))
    await move_object(local, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    await check_moved(local, target)


async def test_memory_to_local(local: LocalStorage) -> None:
    source = MemoryStorage()
    await source.write(SOURCE_KEY, chunks(DATA))
    await move_object(source, SOURCE_KEY, local, TARGET_KEY, expected_sha1=None)
    await check_moved(source, local)


async def test_an_empty_object_moves(local: LocalStorage) -> None:
    source = MemoryStorage()
    await source.write(SOURCE_KEY, chunks(b""))
    await move_object(source, SOURCE_KEY, local, TARGET_KEY, expected_sha1=hashlib.sha1(b"").digest())
    assert await content(local, TARGET_KEY) == b""


async def test_moving_onto_itself_keeps_the_object(local: LocalStorage) -> None:
    await local.write(SOURCE_KEY, chunks(DATA))
    await move_object(local, SOURCE_KEY, local, SOURCE_KEY, expected_sha1=SHA1)
    # A second LocalStorage on the same folder is the same place: copy-then-delete would lose it.
    await move_object(local, SOURCE_KEY, LocalStorage(local.root), SOURCE_KEY, expected_sha1=None)
    assert await readable(local, SOURCE_KEY)


async def test_rename_through_a_second_object_on_the_same_folder(local: LocalStorage) -> None:
    await local.write(SOURCE_KEY, chunks(DATA))
    await move_object(local, SOURCE_KEY, LocalStorage(local.root), TARGET_KEY, expected_sha1=None)
    await check_moved(local, local)


# --- checksums ----------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["memory-memory", "local-memory", "local-local", "memory-local"])
async def test_checksum_mismatch_moves_nothing(
    route: str, local: LocalStorage, other_local: LocalStorage
) -> None:
    source: StorageBackend = local if route.startswith("local") else MemoryStorage()
    target: StorageBackend = other_local if route.endswith("local") else MemoryStorage()
    await source.write(SOURCE_KEY, chunks(DATA))
    with pytest.raises(ChecksumMismatch, match=SHA1.hex()) as raised:
        await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=WRONG)
    assert raised.value.actual == SHA1
    assert await readable(source, SOURCE_KEY)
    assert not await target.exists(TARGET_KEY)
    assert temporaries(target) == 0


class LyingHash(MemoryStorage):
    """A back-end whose reported SHA-1 disagrees with the bytes: the last line of defence."""

    async def write_temporary(self, chunks: AsyncIterable[bytes]) -> WriteResult:
        written = await super().write_temporary(chunks)
        return WriteResult(written.key, written.size, WRONG)


async def test_the_targets_own_hash_is_checked_too() -> None:
    source, target = MemoryStorage(), LyingHash()
    await source.write(SOURCE_KEY, chunks(DATA))
    with pytest.raises(ChecksumMismatch):
        await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    assert await readable(source, SOURCE_KEY)
    assert not await target.exists(TARGET_KEY)
    assert temporaries(target) == 0


# --- failures and crashes -----------------------------------------------------------------------


class Flaky(MemoryStorage):
    """Fails at one named step, as a crash or a dropped connection would."""

    def __init__(self, fail_at: str | None = None) -> None:
        super().__init__()
        self.fail_at = fail_at

    async def read(self, key: str, byte_range: ByteRange | None = None) -> AsyncIterator[bytes]:
        async for chunk in super().read(key, byte_range):
            if self.fail_at == "read":
                yield chunk[:10]
                raise Injected("connection dropped mid-stream")
            yield chunk

    async def write_temporary(self, chunks: AsyncIterable[bytes]) -> WriteResult:
        written = await super().write_temporary(chunks)
        if self.fail_at == "write_temporary":
            raise Injected("crash after the temporary was written")
        return written

    async def commit(self, temporary_key: str, key: str) -> None:
        if self.fail_at == "commit":
            raise Injected("crash before the commit")
        await super().commit(temporary_key, key)
        if self.fail_at == "after_commit":
            raise Injected("crash just after the commit")

    async def delete(self, key: str) -> bool:
        if self.fail_at == "delete":
            raise Injected("crash before the source is deleted")
        return await super().delete(key)


@pytest.mark.parametrize(
    ("source_fails", "target_fails"),
    [("read", None), (None, "write_temporary"), (None, "commit"), (None, "after_commit"), ("delete", None)],
)
async def test_a_crash_at_any_step_leaves_the_object_readable(
    source_fails: str | None, target_fails: str | None
) -> None:
    source, target = Flaky(source_fails), Flaky(target_fails)
    await source.write(SOURCE_KEY, chunks(DATA))
    with pytest.raises(Injected):
        await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    source.fail_at = target.fail_at = None  # the "restart"
    assert await readable(source, SOURCE_KEY)  # the source goes only after a successful commit
    committed = target_fails == "after_commit" or source_fails == "delete"
    assert await readable(target, TARGET_KEY) == committed
    assert temporaries(target) == (1 if target_fails in ("write_temporary", "commit") else 0)
    # Running the job again finishes the move.
    await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    assert await readable(target, TARGET_KEY)
    assert not await source.exists(SOURCE_KEY)


class FailingDelete(LocalStorage):
    async def delete(self, key: str) -> bool:
        raise Injected("crash before the source is deleted")


async def test_failure_after_commit_before_delete_leaves_both(tmp_path: Path) -> None:
    source = FailingDelete(tmp_path / "source")
    target = MemoryStorage()
    await source.write(SOURCE_KEY, chunks(DATA))
    with pytest.raises(Injected):
        await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    assert await readable(source, SOURCE_KEY)
    assert await readable(target, TARGET_KEY)
    assert temporaries(source) == 0
    assert temporaries(target) == 0


# --- running again after a crash ----------------------------------------------------------------


async def test_a_finished_move_run_again_is_done_when_the_checksum_proves_it() -> None:
    source, target = MemoryStorage(), MemoryStorage()
    await source.write(SOURCE_KEY, chunks(DATA))
    await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    await move_object(source, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)
    assert await readable(target, TARGET_KEY)


async def test_a_finished_local_rename_run_again(local: LocalStorage) -> None:
    await local.write(SOURCE_KEY, chunks(DATA))
    await move_object(local, SOURCE_KEY, local, TARGET_KEY, expected_sha1=SHA1)
    await move_object(local, SOURCE_KEY, local, TARGET_KEY, expected_sha1=SHA1)
    assert await readable(local, TARGET_KEY)


async def test_a_missing_source_without_proof_is_an_error(local: LocalStorage) -> None:
    target = MemoryStorage()
    await target.write(TARGET_KEY, chunks(b"another photo"))
    with pytest.raises(ObjectNotFound):
        await move_object(local, SOURCE_KEY, target, TARGET_KEY, expected_sha1=SHA1)  # other bytes
    with pytest.raises(ObjectNotFound):
        await move_object(local, SOURCE_KEY, target, TARGET_KEY, expected_sha1=None)  # nothing to check
    with pytest.raises(ObjectNotFound):
        await move_object(local, SOURCE_KEY, local, TARGET_KEY, expected_sha1=SHA1)  # neither exists
    assert await content(target, TARGET_KEY) == b"another photo"
    assert temporaries(local) == 0
