"""/download."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.responses import StreamingResponse

from albumen.downloads.service import DownloadService
from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


def download_service(db: DbDep, container: ContainerDep) -> DownloadService:
    return DownloadService(db, container.storage)


Service = Annotated[DownloadService, Depends(download_service)]


@router.operation("getDownloadInfo")
async def get_download_info(
    body: dto.DownloadInfoDto, auth: Auth, service: Service
) -> dto.DownloadResponseDto:
    return await service.info(auth, body)


@router.operation("downloadArchive", response_class=StreamingResponse)
async def download_archive(body: dto.DownloadArchiveDto, auth: Auth, service: Service) -> StreamingResponse:
    # The database session closes when this returns (DbDep is function-scoped); the body streams after.
    return StreamingResponse(await service.archive(auth, body), media_type="application/octet-stream")
