"""Moving a stored object, possibly between two back-ends (the storage template; a change of location).

The order is what makes it crash-safe: the bytes are written to a temporary key of the target, checked,
committed, and only then is the source deleted. A crash before the commit leaves the source (and at
worst an uncommitted temporary that `delete_stale_temporaries` sweeps); a crash after it leaves both
copies, and the caller, whose row still names the source, finds the asset where it was.
"""

from __future__ import annotations

import errno
import hashlib
from collections.abc import AsyncIterable, AsyncIterator

from albumen.storage.base import ObjectNotFound, StorageBackend, StorageError
from albumen.storage.local import LocalStorage
from albumen.storage.s3 import S3Storage


class ChecksumMismatch(StorageError):
    def __init__(self, key: str, expected: bytes, actual: bytes) -> None:
        super().__init__(f"{key}: SHA-1 is {actual.hex()}, expected {expected.hex()}; not moved")
        self.expected = expected
        self.actual = actual


async def _verified(chunks: AsyncIterable[bytes], key: str, expected: bytes | None) -> AsyncIterator[bytes]:
    """Passes the bytes on and fails at the end of the stream when they do not hash to `expected`.

    Failing inside the stream makes the back-end abandon its write (every back-end removes a temporary
    whose input raised), so a mismatch never leaves a temporary behind.
    """
    sha1 = hashlib.sha1()  # noqa: S324 - Immich's content checksum, not a security use
    async for chunk in chunks:
        sha1.update(chunk)
        yield chunk
    if expected is not None and sha1.digest() != expected:
        raise ChecksumMismatch(key, expected, sha1.digest())


def _same_location(source: StorageBackend, target: StorageBackend) -> bool:
    if source is target:
        return True
    # Two LocalStorage objects on one folder are one location: a copy onto itself then a delete of the
    # source would delete the only copy.
    return (
        isinstance(source, LocalStorage) and isinstance(target, LocalStorage) and source.root == target.root
    )


async def _sha1_of(storage: StorageBackend, key: str) -> bytes | None:
    digest = hashlib.sha1()  # noqa: S324 - as above
    try:
        async for chunk in storage.read(key):
            digest.update(chunk)
    except ObjectNotFound:
        return None
    return digest.digest()


async def _has_content(storage: StorageBackend, key: str, sha1: bytes) -> bool:
    return await _sha1_of(storage, key) == sha1


async def move_object(
    source: StorageBackend,
    source_key: str,
    target: StorageBackend,
    target_key: str,
    *,
    expected_sha1: bytes | None,
) -> None:
    """Moves `source_key` of `source` to `target_key` of `target`, replacing what is there (resolve
    collisions first).

    With `expected_sha1`, the copied bytes must hash to it or ChecksumMismatch is raised and nothing
    changes. A plain rename inside one local folder does not re-read the bytes: it cannot alter them.
    Safe to run again after a crash: when the source is gone but the target holds `expected_sha1`,
    the move counts as done; without a checksum to prove that, ObjectNotFound is raised.
    """
    same = _same_location(source, target)
    if same and source_key == target_key:
        return
    if same and isinstance(source, S3Storage):
        await _move_within_bucket(source, source_key, target_key, expected_sha1)
        return
    try:
        if same and isinstance(source, LocalStorage):
            try:
                await source.rename(source_key, target_key)
                return
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                # a mount point inside the folder: fall through to copy, verify, delete
        written = await target.write_temporary(_verified(source.read(source_key), source_key, expected_sha1))
    except ObjectNotFound:
        if (
            expected_sha1 is not None
            and not await source.exists(source_key)
            and await _has_content(target, target_key, expected_sha1)
        ):
            return  # an earlier run got past the commit and the delete
        raise
    if expected_sha1 is not None and written.sha1 != expected_sha1:
        # Only a back-end that hashes other bytes than it was given gets here (the stream check above
        # already passed); its temporary must not outlive the refusal.
        await target.discard(written.key)
        raise ChecksumMismatch(source_key, expected_sha1, written.sha1)
    await target.commit(written.key, target_key)
    await source.delete(source_key)


async def _move_within_bucket(
    storage: S3Storage, source_key: str, target_key: str, expected_sha1: bytes | None
) -> None:
    """A server-side copy (streamed above S3's 5 GiB copy limit), checked, then the source deleted."""
    try:
        await storage.copy(source_key, target_key)
    except ObjectNotFound:
        if expected_sha1 is not None and await _has_content(storage, target_key, expected_sha1):
            return  # an earlier run got past the copy and the delete
        raise
    if expected_sha1 is not None and (actual := await _sha1_of(storage, target_key)) != expected_sha1:
        await storage.delete(target_key)
        raise ChecksumMismatch(source_key, expected_sha1, actual or b"")
    await storage.delete(source_key)
