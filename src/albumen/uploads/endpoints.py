"""`/api/uploads`: resumable uploads over the tus 1.0.0 protocol (https://tus.io/protocols/resumable-upload).

Albumen's addition to the Immich API, for files too big to send in one go (Immich's `POST /assets`
keeps working for the stock clients). Any tus client works: create with `POST` (Upload-Length, and
Upload-Metadata carrying the same fields as the multipart upload: filename, fileCreatedAt,
fileModifiedAt, and optionally isFavorite, visibility, livePhotoVideoId, duration, checksum), then
`PATCH` bytes from `Upload-Offset`; after a dropped connection `HEAD` says where to go on. The last
PATCH answers with `X-Immich-Asset-Id` and `X-Immich-Asset-Status` (created or duplicate).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from albumen.assets.service import AssetService
from albumen.http.bodies import until_disconnect
from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.uploads.repository import PartialUploadStore
from albumen.uploads.schemas import (
    OFFSET_CONTENT_TYPE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    UnsupportedMediaType,
    UnsupportedVersion,
    encode_metadata,
    parse_length,
    parse_metadata,
)
from albumen.uploads.service import ResumableUploadService

router = ImmichRouter()
PATH = "/uploads"


def upload_service(db: DbDep, container: ContainerDep) -> ResumableUploadService:
    store = PartialUploadStore(container.settings.data_dir / "uploads")
    return ResumableUploadService(store, AssetService(db, container.storage))


Service = Annotated[ResumableUploadService, Depends(upload_service)]


def _tus(headers: dict[str, str] | None = None) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, **(headers or {})}


def _require_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise UnsupportedVersion(f"Tus-Resumable {TUS_VERSION} is required", version=TUS_VERSION)


async def options() -> Response:
    return Response(
        status_code=204,
        headers=_tus(
            {"Tus-Version": TUS_VERSION, "Tus-Extension": TUS_EXTENSIONS, "Tus-Checksum-Algorithm": "sha1"}
        ),
    )


async def create(request: Request, auth: Auth, service: Service) -> Response:
    _require_version(request)
    if request.headers.get("upload-defer-length"):
        raise UnsupportedMediaType("Upload-Defer-Length is not supported: send Upload-Length")
    length = parse_length(request.headers.get("upload-length"), "Upload-Length")
    upload = await service.create(auth, length, parse_metadata(request.headers.get("upload-metadata")))
    location = f"{request.url.path.rstrip('/')}/{upload.id}"
    return Response(
        status_code=201, headers=_tus({"Location": location, "Upload-Expires": upload.expires_at})
    )


async def status(upload_id: str, request: Request, auth: Auth, service: Service) -> Response:
    _require_version(request)
    upload, offset = await service.owned(auth, upload_id)
    return Response(
        status_code=200,
        headers=_tus(
            {
                "Upload-Offset": str(offset),
                "Upload-Length": str(upload.length),
                "Upload-Metadata": encode_metadata(upload.metadata),
                "Upload-Expires": upload.expires_at,
                "Cache-Control": "no-store",
            }
        ),
    )


async def append(upload_id: str, request: Request, auth: Auth, service: Service) -> Response:
    _require_version(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != OFFSET_CONTENT_TYPE:
        raise UnsupportedMediaType(f"Content-Type must be {OFFSET_CONTENT_TYPE}")
    offset = parse_length(request.headers.get("upload-offset"), "Upload-Offset")
    outcome = await service.append(auth, upload_id, offset, until_disconnect(request))
    headers = {"Upload-Offset": str(outcome.offset)}
    if outcome.asset is not None:
        headers["X-Immich-Asset-Id"] = str(outcome.asset.id)
        headers["X-Immich-Asset-Status"] = "created" if outcome.asset.created else "duplicate"
    return Response(status_code=204, headers=_tus(headers))


async def cancel(upload_id: str, request: Request, auth: Auth, service: Service) -> Response:
    _require_version(request)
    await service.cancel(auth, upload_id)
    return Response(status_code=204, headers=_tus())


router.add_api_route(
    PATH, options, methods=["OPTIONS"], operation_id="albumenUploadOptions", tags=["Uploads"]
)
router.add_api_route(PATH, create, methods=["POST"], operation_id="albumenUploadCreate", tags=["Uploads"])
router.add_api_route(
    PATH + "/{upload_id}", status, methods=["HEAD"], operation_id="albumenUploadStatus", tags=["Uploads"]
)
router.add_api_route(
    PATH + "/{upload_id}", append, methods=["PATCH"], operation_id="albumenUploadAppend", tags=["Uploads"]
)
router.add_api_route(
    PATH + "/{upload_id}", cancel, methods=["DELETE"], operation_id="albumenUploadCancel", tags=["Uploads"]
)
