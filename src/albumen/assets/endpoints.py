"""/assets: upload, read, change, delete, and the files of an asset."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import UUID4

from albumen.assets.service import AssetService, MediaFile, MediaRedirect
from albumen.container import Container
from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.files import serve_object
from albumen.http.multipart import read_form
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool
from albumen.media.jobs import ASSET_JOBS
from albumen.shared_links.service import SharedLinkService
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

router = ImmichRouter()


def asset_service(db: DbDep, container: ContainerDep) -> AssetService:
    return AssetService(db, container.storage)


Service = Annotated[AssetService, Depends(asset_service)]


def _presign_for(container: Container) -> timedelta | None:
    settings = container.settings.storage
    return timedelta(seconds=settings.presigned_expiry_seconds) if settings.presigned_downloads else None


@router.operation("uploadAsset")
async def upload_asset(request: Request, auth: Auth, service: Service, db: DbDep) -> JSONResponse:
    await service.require_upload(auth)
    links = SharedLinkService(db)
    duplicate = await service.existing_upload(auth, request.headers.get("x-immich-checksum"))
    if duplicate is not None:
        await links.attach_upload(auth, duplicate)
        return JSONResponse({"id": str(duplicate), "status": "duplicate"}, status_code=200)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        service.require_quota_for_body(auth, int(declared))
    await db.commit()  # hand the connection back while the body streams: a big video takes hours
    form = await read_form(
        request.stream(), request.headers.get("content-type"), service.stage_file, service.discard_file
    )
    outcome = await service.upload(auth, form.fields, form.files)
    await links.attach_upload(auth, outcome.id)
    status = "created" if outcome.created else "duplicate"
    return JSONResponse(
        {"id": str(outcome.id), "status": status}, status_code=201 if outcome.created else 200
    )


# Accepted items carry only {id, action}: Immich leaves the optional keys out rather than null.
@router.operation("checkBulkUpload", response_model_exclude_unset=True)
async def check_bulk_upload(
    body: dto.AssetBulkUploadCheckDto, auth: Auth, service: Service
) -> dto.AssetBulkUploadCheckResponseDto:
    return await service.check_bulk_upload(auth, body)


@router.operation("getAssetStatistics")
async def get_asset_statistics(
    auth: Auth,
    service: Service,
    isFavorite: QueryBool | None = None,
    isTrashed: QueryBool | None = None,
    visibility: dto.AssetVisibility | None = None,
) -> dto.AssetStatsResponseDto:
    return await service.statistics(auth, is_favorite=isFavorite, is_trashed=isTrashed, visibility=visibility)


@router.operation("updateAssets")
async def update_assets(body: dto.AssetBulkUpdateDto, auth: Auth, service: Service) -> None:
    await service.update_many(auth, body)


@router.operation("deleteAssets")
async def delete_assets(
    body: dto.AssetBulkDeleteDto, auth: Auth, service: Service, db: DbDep, container: ContainerDep
) -> None:
    config = await load_config(SystemMetadataRepository(db), container.settings.config_file)
    ids = [uuid.UUID(str(item.root)) for item in body.ids]
    await service.delete(auth, ids, force=bool(body.force), trash_enabled=bool(config["trash"]["enabled"]))


@router.operation("runAssetJobs")
async def run_asset_jobs(
    body: dto.AssetJobsDto, auth: Auth, service: Service, container: ContainerDep
) -> None:
    job = ASSET_JOBS[body.name.value]
    container.jobs.require(job)  # refuse the whole request before queueing any of it
    await service.queue_jobs(auth, [uuid.UUID(str(item.root)) for item in body.assetIds], job)


@router.operation("copyAsset")
async def copy_asset(body: dto.AssetCopyDto, auth: Auth, service: Service) -> None:
    await service.copy(auth, body)


@router.operation("updateBulkAssetMetadata")
async def update_bulk_asset_metadata(
    body: dto.AssetMetadataBulkUpsertDto, auth: Auth, service: Service
) -> list[dto.AssetMetadataBulkResponseDto]:
    results = []
    for item in body.items:
        for saved in await service.update_metadata(auth, item.assetId, [(item.key, item.value)]):
            results.append(
                dto.AssetMetadataBulkResponseDto(
                    assetId=item.assetId, key=saved.key, value=saved.value, updatedAt=saved.updatedAt
                )
            )
    return results


@router.operation("deleteBulkAssetMetadata")
async def delete_bulk_asset_metadata(
    body: dto.AssetMetadataBulkDeleteDto, auth: Auth, service: Service
) -> None:
    await service.delete_metadata(auth, [(item.assetId, item.key) for item in body.items])


@router.operation("getAssetInfo", response_model=dto.AssetResponseDto)
async def get_asset_info(id: UUID4, auth: Auth, service: Service) -> Any:
    found = await service.get_shown(auth, id)
    return JSONResponse(found) if isinstance(found, dict) else found


@router.operation("updateAsset")
async def update_asset(
    id: UUID4, body: dto.UpdateAssetDto, auth: Auth, service: Service
) -> dto.AssetResponseDto:
    return await service.update(auth, id, body)


@router.operation("getAssetMetadata")
async def get_asset_metadata(id: UUID4, auth: Auth, service: Service) -> list[dto.AssetMetadataResponseDto]:
    return await service.metadata(auth, id)


@router.operation("updateAssetMetadata")
async def update_asset_metadata(
    id: UUID4, body: dto.AssetMetadataUpsertDto, auth: Auth, service: Service
) -> list[dto.AssetMetadataResponseDto]:
    return await service.update_metadata(auth, id, [(item.key, item.value) for item in body.items])


@router.operation("getAssetMetadataByKey")
async def get_asset_metadata_by_key(
    id: UUID4, key: str, auth: Auth, service: Service
) -> dto.AssetMetadataResponseDto:
    return await service.metadata_item(auth, id, key)


@router.operation("deleteAssetMetadata")
async def delete_asset_metadata(id: UUID4, key: str, auth: Auth, service: Service) -> None:
    await service.delete_metadata(auth, [(id, key)])


@router.operation("downloadAsset")
async def download_asset(
    id: UUID4,
    request: Request,
    auth: Auth,
    service: Service,
    container: ContainerDep,
    edited: QueryBool = False,
) -> Response:
    return await _serve(request, service, container, await service.original_file(auth, id, edited=edited))


@router.operation("viewAsset")
async def view_asset(
    id: UUID4,
    request: Request,
    auth: Auth,
    service: Service,
    container: ContainerDep,
    size: dto.AssetMediaSize = dto.AssetMediaSize.thumbnail,
    edited: QueryBool = False,
) -> Response:
    chosen = await service.image_file(auth, id, size.value, edited=edited)
    if isinstance(chosen, MediaRedirect):
        base = request.url.path.rsplit("/", 1)[0]
        query = {"edited": "true"} if edited else {}
        if chosen.to == "preview":
            return RedirectResponse(
                f"{base}/thumbnail?{urlencode({'size': 'preview', **query})}", status_code=302
            )
        return RedirectResponse(f"{base}/original{'?' + urlencode(query) if query else ''}", status_code=302)
    return await _serve(request, service, container, chosen)


@router.operation("playAssetVideo")
async def play_asset_video(
    id: UUID4, request: Request, auth: Auth, service: Service, container: ContainerDep
) -> Response:
    return await _serve(request, service, container, await service.video_file(auth, id))


async def _serve(
    request: Request, service: AssetService, container: Container, chosen: MediaFile
) -> Response:
    await service.db.commit()  # nothing more to read: free the connection before streaming
    return await serve_object(
        request, container.storage[chosen.kind], chosen.key, filename=chosen.filename,
        presign_for=_presign_for(container),
    )  # fmt: skip
