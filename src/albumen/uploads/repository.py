"""Resumable uploads in progress, kept on local disk so a restart or a dropped connection loses nothing.

Each upload is two files in `<data_dir>/uploads/`: `<id>.json` (owner, declared length, metadata,
expiry) and `<id>.part` (the bytes received so far). The part file's size *is* the offset, so there
is no second record that could disagree with the bytes after a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import anyio

CHUNK = 1024 * 1024
LOCK_WAIT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class PartialUpload:
    id: str
    owner_id: str
    length: int
    metadata: dict[str, str]
    created_at: str
    expires_at: str

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires_at) <= datetime.now(UTC)


class UploadLocked(Exception):
    """Another request is appending to this upload right now."""


class PartialUploadStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _record(self, upload_id: str) -> Path:
        return self.folder / f"{upload_id}.json"

    def part(self, upload_id: str) -> Path:
        return self.folder / f"{upload_id}.part"

    async def create(self, upload: PartialUpload) -> None:
        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.part(upload.id).touch()
            temporary = self._record(upload.id).with_suffix(".json.tmp")
            temporary.write_text(json.dumps(asdict(upload)))
            os.replace(temporary, self._record(upload.id))

        await anyio.to_thread.run_sync(write)

    async def get(self, upload_id: str) -> PartialUpload | None:
        try:
            uuid.UUID(upload_id)  # ids are ours; anything else never names a file
        except ValueError:
            return None

        def read() -> PartialUpload | None:
            try:
                return PartialUpload(**json.loads(self._record(upload_id).read_text()))
            except (FileNotFoundError, ValueError, TypeError):
                return None

        return await anyio.to_thread.run_sync(read)

    async def offset(self, upload_id: str) -> int:
        return (await anyio.to_thread.run_sync(self.part(upload_id).stat)).st_size

    async def remove(self, upload_id: str) -> None:
        def unlink() -> None:
            self._record(upload_id).unlink(missing_ok=True)
            self.part(upload_id).unlink(missing_ok=True)

        await anyio.to_thread.run_sync(unlink)

    @contextlib.asynccontextmanager
    async def appending(
        self, upload_id: str, wait_seconds: float = LOCK_WAIT_SECONDS
    ) -> AsyncIterator[BinaryIO]:
        """The part file opened for append under an exclusive lock (across processes too).

        A client that lost its connection often resumes before the server has noticed the old
        request is dead; waiting a moment for that request to let go beats answering 409 at once.
        """
        handle = self.part(upload_id).open("ab")
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise UploadLocked(upload_id) from None
                    await anyio.sleep(0.05)
            yield handle
        finally:
            handle.close()

    async def read(self, upload_id: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.part(upload_id), "rb") as handle:
            while chunk := await handle.read(CHUNK):
                yield chunk

    async def expired(self) -> list[str]:
        def scan() -> list[str]:
            if not self.folder.is_dir():
                return []
            found = []
            for record in self.folder.glob("*.json"):
                try:
                    upload = PartialUpload(**json.loads(record.read_text()))
                except (OSError, ValueError, TypeError):
                    continue
                if upload.expired:
                    found.append(upload.id)
            return found

        return await anyio.to_thread.run_sync(scan)
