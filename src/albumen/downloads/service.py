"""Downloads: how a selection splits into archives, and one archive as a zip streamed while it is built.

The zip is produced by stream-zip in 1 MiB pieces straight from storage reads: no temporary file, no
buffer holding an archive or a whole entry. Every member is ZIP64 (archives and entries over 4 GiB work)
and is written as deflate at level 0, i.e. stored blocks: photos and videos are already compressed,
and stream-zip's plain "stored" mode would need each file's CRC before its header, so it buffers the
whole file in memory. Level-0 deflate costs about 8 bytes per 64 KiB and no compression work.
"""

from __future__ import annotations

import logging
import posixpath
import stat
import uuid
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from stream_zip import ZIP_64, AsyncMemberFile, async_stream_zip

from albumen.access.service import AccessService
from albumen.authn.schemas import AuthContext
from albumen.downloads.repository import DownloadRepository
from albumen.downloads.schemas import ArchiveEntry, SizedAsset, StoredOriginal
from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.storage.base import StorageBackend, StorageError
from albumen.storage.layout import ASSET_FILE_KIND
from albumen.storage.names import sanitize_filename
from albumen.users.repository import UserRepository
from albumen.users.schemas import PREFERENCES_KEY, preferences

log = logging.getLogger("albumen.downloads")

GIB = 1024**3
DEFAULT_ARCHIVE_SIZE = 4 * GIB
ZIP_CHUNK = 1024 * 1024
FILE_MODE = stat.S_IFREG | 0o644
# Android motion photos: the embedded video extracted beside the still (storage/layout.py).
ANDROID_MOTION_PREFIX = "encoded-video/"
# A zip member's DOS date starts in 1980 and its Unix timestamp field is a signed 32-bit number.
_OLDEST = datetime(1980, 1, 1, tzinfo=UTC)
_NEWEST = datetime(2038, 1, 19, tzinfo=UTC)


def entry_name(name: str) -> str:
    """A name that cannot climb out of the folder it is extracted into, on any system (as Immich)."""
    return sanitize_filename(name) or "unnamed"


class EntryNames:
    """Repeats become `name+1.ext`, `name+2.ext`, … (Immich's scheme).

    Unlike Immich, a generated name never collides with a real one (a.jpg, a.jpg, a+1.jpg), and names
    are compared case-insensitively so nothing is overwritten when extracting on macOS or Windows.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._repeats: dict[str, int] = {}

    def take(self, name: str) -> str:
        base = entry_name(name)
        key = base.casefold()
        candidate = base
        if key in self._used:
            stem, extension = posixpath.splitext(base)
            count = self._repeats.get(key, 0)
            while candidate.casefold() in self._used:
                count += 1
                candidate = f"{stem}+{count}{extension}"
            self._repeats[key] = count
        self._used.add(candidate.casefold())
        return candidate


class ArchiveSplitter:
    """Packs assets in order into archives of at most `limit` bytes; one bigger asset gets its own.

    A still and its motion part are one group, so a live photo never straddles two archives. (Immich
    closes an archive only after it has passed the limit, and appends all motion parts at the end.)
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.archives: list[tuple[list[uuid.UUID], int]] = []
        self._ids: list[uuid.UUID] = []
        self._size = 0

    def add(self, group: Sequence[tuple[uuid.UUID, int]]) -> None:
        if not group:
            return
        size = sum(item_size for _, item_size in group)
        if self._ids and self._size + size > self.limit:
            self._close()
        self._ids.extend(asset_id for asset_id, _ in group)
        self._size += size

    def finish(self) -> list[tuple[list[uuid.UUID], int]]:
        if self._ids:
            self._close()
        return self.archives

    def _close(self) -> None:
        self.archives.append((self._ids, self._size))
        self._ids, self._size = [], 0


def _unique(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


async def _listed(assets: list[SizedAsset]) -> AsyncIterator[SizedAsset]:
    for asset in assets:
        yield asset


def _source(original: StoredOriginal) -> tuple[str, str]:
    """The storage kind and key that hold an asset's bytes."""
    if original.edited_path:
        return ASSET_FILE_KIND["fullsize"], original.edited_path
    if original.original_path.startswith(ANDROID_MOTION_PREFIX):
        return "encoded_video", original.original_path
    return "originals", original.original_path


def _member_date(value: datetime) -> datetime:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return min(max(value, _OLDEST), _NEWEST)


class DownloadService:
    def __init__(self, db: AsyncSession, storage: Mapping[str, StorageBackend]) -> None:
        self.downloads = DownloadRepository(db)
        self.users = UserRepository(db)
        self.access = AccessService(db)
        self.storage = storage

    async def info(self, auth: AuthContext, body: dto.DownloadInfoDto) -> dto.DownloadResponseDto:
        given = [value for value in (body.assetIds, body.albumId, body.userId) if value is not None]
        if not given:
            raise BadRequest("assetIds, albumId, or userId is required")
        if len(given) > 1:
            raise BadRequest("Only one of assetIds, albumId or userId may be given")

        assets: AsyncIterable[SizedAsset]
        if body.assetIds is not None:
            ids = _unique(asset_id.root for asset_id in body.assetIds)
            await self.access.require(auth, dto.Permission.asset_download, ids)
            assets = _listed(await self.downloads.sized_assets(ids))
        elif body.albumId is not None:
            await self.access.require(auth, dto.Permission.album_download, [body.albumId])
            assets = self.downloads.album_sized_assets(body.albumId)
        else:
            assert body.userId is not None
            await self.access.require(auth, dto.Permission.timeline_download, [body.userId])
            # The locked folder only for a session that entered its PIN, as for single assets.
            elevated = auth.session is not None and auth.session.has_elevated_permission
            assets = self.downloads.owner_sized_assets(body.userId, with_locked=elevated)

        splitter = ArchiveSplitter(body.archiveSize or DEFAULT_ARCHIVE_SIZE)
        seen: set[uuid.UUID] = set()
        embedded_videos: bool | None = None
        async for asset in assets:
            group: list[tuple[uuid.UUID, int]] = []
            if asset.id not in seen:
                group.append((asset.id, asset.size))
            if asset.motion_id is not None and asset.motion_id not in seen:
                if (asset.motion_path or "").startswith(ANDROID_MOTION_PREFIX):
                    if embedded_videos is None:
                        embedded_videos = await self._includes_embedded_videos(auth.user.id)
                    if embedded_videos:
                        group.append((asset.motion_id, asset.motion_size))
                else:
                    group.append((asset.motion_id, asset.motion_size))
            seen.update(asset_id for asset_id, _ in group)
            splitter.add(group)

        archives = [
            dto.DownloadArchiveInfo(assetIds=[dto.AssetId(asset_id) for asset_id in ids], size=size)
            for ids, size in splitter.finish()
        ]
        return dto.DownloadResponseDto(archives=archives, totalSize=sum(a.size for a in archives))

    async def archive(self, auth: AuthContext, body: dto.DownloadArchiveDto) -> AsyncIterator[bytes]:
        """Checks and loads everything from the database now; the returned stream reads storage only.

        So the request's transaction has ended before the first byte goes out, however long the
        download takes.
        """
        ids = _unique(asset_id.root for asset_id in body.assetIds)
        await self.access.require(auth, dto.Permission.asset_download, ids)
        found = {
            original.id: original
            for original in await self.downloads.originals(ids, edited=bool(body.edited))
        }
        names = EntryNames()
        entries = []
        for asset_id in ids:
            original = found.get(asset_id)
            if original is None:
                continue
            kind, key = _source(original)
            entries.append(ArchiveEntry(names.take(original.file_name), kind, key, original.modified_at))
        return stream_archive(entries, self.storage)

    async def _includes_embedded_videos(self, user_id: uuid.UUID) -> bool:
        metadata = await self.users.get_metadata(user_id)
        return bool(preferences(metadata.get(PREFERENCES_KEY))["download"]["includeEmbeddedVideos"])


async def stream_archive(
    entries: Sequence[ArchiveEntry], storage: Mapping[str, StorageBackend]
) -> AsyncIterator[bytes]:
    # stream-zip builds the zip in the loop's default thread pool and fetches each input chunk back
    # on the loop, so a storage back-end must never wait on that pool itself (it would deadlock once
    # every worker holds a download). Level 0: stored blocks, see the module docstring.
    members = _members(entries, storage)
    async for chunk in async_stream_zip(
        members, chunk_size=ZIP_CHUNK, get_compressobj=lambda: zlib.compressobj(0, zlib.DEFLATED, -15)
    ):
        yield chunk


async def _members(
    entries: Sequence[ArchiveEntry], storage: Mapping[str, StorageBackend]
) -> AsyncIterator[AsyncMemberFile]:
    for entry in entries:
        chunks = await _open(entry, storage)
        if chunks is not None:
            yield (entry.name, _member_date(entry.modified_at), FILE_MODE, ZIP_64, chunks)


async def _open(entry: ArchiveEntry, storage: Mapping[str, StorageBackend]) -> AsyncIterator[bytes] | None:
    """The entry's bytes, or None when its file cannot be read.

    A file that is missing or unreadable before its first byte is left out of the archive with a
    warning (Immich skips files it cannot read): one lost original must not cost the user the other
    thousand, and nothing of that entry has been written yet, so the zip stays valid. The first chunk
    is read here, ahead of the member header, to find that out.
    """
    backend = storage.get(entry.kind)
    if backend is None:
        log.warning("download: no storage for %s, skipping %s", entry.kind, entry.name)
        return None
    try:
        reader = aiter(backend.read(entry.key))
        first = await anext(reader)
    except StopAsyncIteration:
        first = b""
    except (StorageError, OSError) as error:
        log.warning("download: skipping %s (%s: %s)", entry.name, type(error).__name__, error)
        return None
    return _continue(entry, first, reader)


async def _continue(entry: ArchiveEntry, first: bytes, reader: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    try:
        async for chunk in reader:
            yield chunk
    except (StorageError, OSError) as error:
        # Half an entry is already out: ending it short would hand over a corrupt file that looks
        # whole. Failing the stream makes the client see an incomplete download instead.
        log.warning("download: %s failed part-way (%s: %s)", entry.name, type(error).__name__, error)
        raise
