"""HLS streaming (`/assets/{id}/video/stream/...`, Alpha in Immich v3.1.0): not built. Albumen answers
as Immich does with real-time transcoding switched off (its default): the main playlist is refused,
and since no streaming session can then exist, the session's playlists and segments are not found and
ending one does nothing. Videos play through /assets/{id}/video/playback, as in Immich by default.
Switching `ffmpeg.realtime.enabled` on is refused by the system config update (system/service.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest, NotFound
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

SEGMENT_FILENAME = r"^(init\.mp4|seg_\d+\.m4s)$"


class StreamingService:
    def __init__(self, db: AsyncSession, config_file: Path | None) -> None:
        self.db = db
        self.config_file = config_file
        self.access = AccessService(db)

    async def main_playlist(self, auth: AuthContext, asset_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.asset_view, [asset_id])
        config = await load_config(SystemMetadataRepository(self.db), self.config_file)
        if not config["ffmpeg"]["realtime"]["enabled"]:
            raise BadRequest("Real-time transcoding is not enabled")
        # Only a read-only config file can get here (the API refuses to switch it on).
        raise BadRequest("Real-time transcoding is not supported by this server")

    async def media_playlist(self, auth: AuthContext, asset_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.asset_view, [asset_id])
        raise NotFound("Asset not found or metadata not yet ready for streaming")

    async def segment(self, auth: AuthContext, asset_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.asset_view, [asset_id])
        raise NotFound("Session not found")

    async def end_session(self, auth: AuthContext, asset_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.asset_view, [asset_id])
