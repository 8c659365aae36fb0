"""Resumable uploads (tus 1.0.0): create, append from an offset, finish into an asset, cancel.

A dropped connection keeps every byte that arrived; the client asks for the offset (HEAD) and goes
on from there. The finished file becomes an asset through the same path as `POST /assets`, so
dedupe, quota, live-photo links and the file layout are identical.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import anyio
import structlog

from albumen.assets.schemas import UploadRequest, parse_checksum
from albumen.assets.service import AssetService, Staged, UploadOutcome
from albumen.authn.schemas import AuthContext
from albumen.kit.errors import BadRequest, Conflict, NotFound
from albumen.storage.base import WriteResult
from albumen.uploads.repository import PartialUpload, PartialUploadStore, UploadLocked
from albumen.uploads.schemas import ChecksumMismatch

log = structlog.get_logger("albumen.uploads")
EXPIRY = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    offset: int
    asset: UploadOutcome | None


class ResumableUploadService:
    def __init__(self, store: PartialUploadStore, assets: AssetService) -> None:
        self.store = store
        self.assets = assets

    async def create(self, auth: AuthContext, length: int, metadata: dict[str, str]) -> PartialUpload:
        # Refuse what could never become an asset now, not after hours of bytes.
        UploadRequest.parse(metadata, metadata.get("filename", ""))
        if length == 0:
            raise BadRequest("File is empty")
        self.assets.require_quota(auth, length)
        for stale in await self.store.expired():
            await self.store.remove(stale)
        now = datetime.now(UTC)
        upload = PartialUpload(
            id=str(uuid.uuid4()),
            owner_id=str(auth.user.id),
            length=length,
            metadata=metadata,
            created_at=now.isoformat(),
            expires_at=(now + EXPIRY).isoformat(),
        )
        await self.store.create(upload)
        log.info("resumable upload created", upload_id=upload.id, length=length)
        return upload

    async def owned(self, auth: AuthContext, upload_id: str) -> tuple[PartialUpload, int]:
        """The upload and its offset; someone else's, an expired or an unknown one are all 404."""
        upload = await self.store.get(upload_id)
        if upload is None or upload.owner_id != str(auth.user.id) or upload.expired:
            raise NotFound("Upload not found")
        return upload, await self.store.offset(upload_id)

    async def append(
        self, auth: AuthContext, upload_id: str, offset: int, body: AsyncIterator[bytes]
    ) -> AppendOutcome:
        upload, current = await self.owned(auth, upload_id)
        await self.assets.db.commit()  # no database work while bytes stream in
        try:
            async with self.store.appending(upload_id) as handle:
                current = await self.store.offset(upload_id)  # again, now that we hold the lock
                if offset != current:
                    raise Conflict(f"Upload-Offset {offset} does not match the upload's offset {current}")
                current = await _append(handle, body, current, upload.length)
        except UploadLocked:
            raise Conflict("Another request is appending to this upload") from None
        if current < upload.length:
            return AppendOutcome(current, None)
        return AppendOutcome(current, await self._finish(auth, upload))

    async def _finish(self, auth: AuthContext, upload: PartialUpload) -> UploadOutcome:
        """Streams the whole part file into storage (hashing it) and creates the asset. Safe to
        repeat: after a crash between the asset's commit and the clean-up, the retry is a duplicate."""
        originals = self.assets.storage["originals"]
        written: WriteResult = await originals.write_temporary(self.store.read(upload.id))
        declared = upload.metadata.get("checksum")
        if declared and parse_checksum(declared) != written.sha1:
            await originals.discard(written.key)
            await self.store.remove(upload.id)
            raise ChecksumMismatch("Checksum mismatch: the upload does not match the declared SHA-1")
        staged = Staged(originals, asset=written)
        try:
            outcome = await self.assets.store_upload(
                auth, upload.metadata, upload.metadata.get("filename", ""), staged, None
            )
        except BadRequest:
            await self.store.remove(upload.id)  # whole but refused: a retry cannot change that
            raise
        await self.store.remove(upload.id)
        log.info("resumable upload finished", upload_id=upload.id, asset_id=str(outcome.id))
        return outcome

    async def cancel(self, auth: AuthContext, upload_id: str) -> None:
        await self.owned(auth, upload_id)
        try:
            async with self.store.appending(upload_id):
                await self.store.remove(upload_id)
        except UploadLocked:
            raise Conflict("Another request is appending to this upload") from None


async def _append(handle: BinaryIO, body: AsyncIterator[bytes], offset: int, length: int) -> int:
    """Appends until the body ends (a client that went away ends it early); what arrived is flushed
    to disk either way, so the next request resumes from it."""
    try:
        async for chunk in body:
            if offset + len(chunk) > length:
                raise BadRequest("The body runs past Upload-Length")
            await anyio.to_thread.run_sync(handle.write, chunk)
            offset += len(chunk)
        if offset < length:
            log.info("resumable upload interrupted", offset=offset)
    finally:
        await anyio.to_thread.run_sync(handle.flush)
        await anyio.to_thread.run_sync(os.fsync, handle.fileno())
    return offset
