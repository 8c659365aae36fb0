"""/assets/{id}/video/stream/...: HLS, answered as Immich answers with real-time transcoding off."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Path
from pydantic import UUID4

from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.kit.errors import BadRequest
from albumen.streaming.service import SEGMENT_FILENAME, StreamingService

router = ImmichRouter()


def streaming_service(db: DbDep, container: ContainerDep) -> StreamingService:
    return StreamingService(db, container.settings.config_file)


Service = Annotated[StreamingService, Depends(streaming_service)]
VariantIndex = Annotated[int, Path(ge=0)]


@router.operation("getMainPlaylist")
async def get_main_playlist(id: UUID4, auth: Auth, service: Service) -> None:
    await service.main_playlist(auth, id)


@router.operation("getMediaPlaylist")
async def get_media_playlist(
    id: UUID4, sessionId: UUID4, variantIndex: VariantIndex, auth: Auth, service: Service
) -> None:
    await service.media_playlist(auth, id)


@router.operation("getSegment")
async def get_segment(
    id: UUID4, sessionId: UUID4, variantIndex: VariantIndex, filename: str, auth: Auth, service: Service
) -> None:
    if not re.match(SEGMENT_FILENAME, filename):
        issue = {"code": "invalid_format", "format": "regex", "pattern": SEGMENT_FILENAME,
                 "path": ["filename"], "message": "Invalid HLS segment filename"}  # fmt: skip
        raise BadRequest("Validation failed", errors=[issue])
    await service.segment(auth, id)


@router.operation("endSession")
async def end_session(id: UUID4, sessionId: UUID4, auth: Auth, service: Service) -> None:
    await service.end_session(auth, id)
