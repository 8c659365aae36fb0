"""Non-destructive edits of a photo: what Immich v3.1.0's asset service accepts, stored as rows; the
edited thumbnail, preview and full-size image are rendered by a job (tasks.py) and served with
`?edited=true`. The original is never touched."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.assets.repository import AssetRepository
from albumen.authn.schemas import AuthContext
from albumen.edits.repository import EditRepository
from albumen.edits.schemas import EditItemResponse, EditsBody, EditsResponse, parse_edits
from albumen.immich import dto
from albumen.jobs.schemas import JobName
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest
from albumen.models import Asset, AssetEdit, AssetExif

_SIDEWAYS = {"5", "6", "7", "8"}  # EXIF orientations that swap width and height


def upright_size(exif: AssetExif | None) -> tuple[int, int] | None:
    """The original's size as shown (the crop's coordinate space), None when the file declared none."""
    if exif is None or not exif.exif_image_width or not exif.exif_image_height:
        return None
    width, height = exif.exif_image_width, exif.exif_image_height
    return (height, width) if exif.orientation in _SIDEWAYS else (width, height)


def _refuse_uneditable(asset: Asset, exif: AssetExif | None) -> None:
    name = (asset.original_path or "").lower()
    if asset.type != "IMAGE":
        raise BadRequest("Only images can be edited")
    if asset.live_photo_video_id:
        raise BadRequest("Editing live photos is not supported")
    projection = exif.projection_type if exif else None
    if projection == "EQUIRECTANGULAR" or asset.original_file_name.lower().endswith(".insp"):
        raise BadRequest("Editing panorama images is not supported")
    if name.endswith(".gif"):
        raise BadRequest("Editing GIF images is not supported")
    if name.endswith(".svg"):
        raise BadRequest("Editing SVG images is not supported")


def _response(asset_id: uuid.UUID, rows: Sequence[AssetEdit]) -> EditsResponse:
    return EditsResponse(
        assetId=asset_id,
        edits=[
            EditItemResponse(id=row.id, action=dto.AssetEditAction(row.action), parameters=row.parameters)
            for row in rows
        ],
    )


class EditService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.edits = EditRepository(db)
        self.assets = AssetRepository(db)
        self.access = AccessService(db)

    async def get(self, auth: AuthContext, asset_id: uuid.UUID) -> EditsResponse:
        await self.access.require(auth, dto.Permission.asset_read, [asset_id])
        return _response(asset_id, await self.edits.edits(asset_id))

    async def apply(self, auth: AuthContext, asset_id: uuid.UUID, body: EditsBody) -> EditsResponse:
        edits = parse_edits(body)  # the body first, as Immich validates it before access
        await self.access.require(auth, dto.Permission.asset_edit_create, [asset_id])
        asset = await self.assets.get(asset_id)
        if asset is None:
            raise BadRequest("Asset not found")
        exif = await self.assets.exif(asset_id)
        _refuse_uneditable(asset, exif)
        size = upright_size(exif)
        if size is None:
            raise BadRequest("Asset dimensions are not available for editing")
        crops = [edit for edit in edits if edit.action == "crop"]
        if crops:
            if edits[0].action != "crop":
                raise BadRequest("Crop action must be the first edit action")
            crop = crops[0].parameters
            if crop["x"] + crop["width"] > size[0] or crop["y"] + crop["height"] > size[1]:
                raise BadRequest("Crop parameters are out of bounds")
        rows = await self.edits.replace(asset_id, edits)
        self._render(asset_id)
        return _response(asset_id, rows)

    async def remove(self, auth: AuthContext, asset_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.asset_edit_delete, [asset_id])
        if await self.assets.get(asset_id) is None:
            raise BadRequest("Asset not found")
        await self.edits.replace(asset_id, [])
        self._render(asset_id)

    def _render(self, asset_id: uuid.UUID) -> None:
        # No job key: a render already running may have read the edits this request replaces; the newer
        # job renders again, and the older one drops its output when it sees the edits changed.
        side_effects(self.db).queue(JobName.AssetEditThumbnailGeneration, {"id": str(asset_id)})
