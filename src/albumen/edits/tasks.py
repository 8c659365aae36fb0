"""The editor queue's job: render an asset's edits into its edited thumbnail, preview and full-size
image (as Immich, the full size is always made for an edited photo), or, once the edits are gone,
drop those and give the asset back its original size and thumbhash."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import structlog

from albumen.assets.repository import AssetRepository
from albumen.edits.repository import EditRepository
from albumen.jobs.schemas import JobName, QueueName
from albumen.kit.db import Database
from albumen.media.editing import Edit
from albumen.media.images import GeneratedImages, ImageError, ImageSpec, generate_images
from albumen.media.tasks import generate_thumbnails, original
from albumen.storage.base import StorageBackend
from albumen.storage.layout import image_key
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.edits")


def register(container: Container) -> None:
    database, storage = container.database, container.storage

    async def render(data: Any) -> None:
        async with database.unit_of_work() as db:
            config = await load_config(SystemMetadataRepository(db), container.settings.config_file)
        try:
            await render_edits(database, storage, uuid.UUID(str(data["id"])), config["image"])
        except ImageError as error:  # retrying cannot decode an undecodable file
            log.warning("edits not rendered", asset_id=str(data["id"]), error=str(error))

    container.jobs.register(JobName.AssetEditThumbnailGeneration, QueueName.editor, render)


async def render_edits(
    database: Database,
    storage: Mapping[str, StorageBackend],
    asset_id: uuid.UUID,
    image_config: Mapping[str, Any],
) -> GeneratedImages | None:
    """Writes the edited renditions of the asset's current edits; None when there was nothing to render
    (asset gone, not an image, no edits, or edits changed meanwhile: a newer job renders those)."""
    async with database.unit_of_work() as db:
        asset = await AssetRepository(db).get(asset_id)
        if asset is None or asset.type != "IMAGE":
            return None
        rows = await EditRepository(db).edits(asset_id)
        snapshot = [row.id for row in rows]
        edits = [Edit(row.action, row.parameters) for row in rows]
        owner_id, original_key, checksum = asset.owner_id, asset.original_path, asset.checksum
    if not edits:
        await _drop_edited(database, storage, asset_id, image_config)
        return None
    make = functools.partial(
        generate_images,
        thumbnail=ImageSpec.from_config(image_config["thumbnail"]),
        preview=ImageSpec.from_config(image_config["preview"]),
        fullsize=ImageSpec.from_config(image_config["fullsize"]),
        colorspace=image_config.get("colorspace", "p3"),
        edits=edits,
    )
    async with original(storage["originals"], original_key, asset_id, checksum, None) as path:
        generated: GeneratedImages = await anyio.to_thread.run_sync(make, path)
    thumbnails = storage["thumbnails"]
    written: dict[str, str] = {}
    for kind, encoded in (("thumbnail", generated.thumbnail), ("preview", generated.preview),
                          ("fullsize", generated.fullsize)):  # fmt: skip
        assert encoded is not None  # the full size is always asked for
        key = image_key(owner_id, asset_id, kind, "webp" if encoded.format == "webp" else "jpeg", edited=True)
        await thumbnails.write(key, _once(encoded.data))
        written[kind] = key
    assert generated.fullsize is not None
    async with database.unit_of_work() as db:
        edit_rows = EditRepository(db)
        current = [row.id for row in await edit_rows.edits(asset_id)]
        if current != snapshot:  # replaced or removed meanwhile; our keys may be the newer job's too
            return None
        stale = [f.path for f in await edit_rows.edited_files(asset_id) if f.path not in written.values()]
        await edit_rows.set_edited_files(asset_id, written)
        await AssetRepository(db).update(
            [asset_id],
            thumbhash=generated.thumbhash,
            width=generated.fullsize.width,
            height=generated.fullsize.height,
        )
    await _delete(thumbnails, stale)
    log.info("edits rendered", asset_id=str(asset_id), edits=len(edits))
    return generated


async def _drop_edited(
    database: Database,
    storage: Mapping[str, StorageBackend],
    asset_id: uuid.UUID,
    image_config: Mapping[str, Any],
) -> None:
    """No edits any more: the edited files go; the unedited renditions are made again, which gives the
    asset back the thumbhash and size of the original."""
    async with database.unit_of_work() as db:
        stale = [f.path for f in await EditRepository(db).edited_files(asset_id)]
    generated = await generate_thumbnails(database, storage, asset_id, image_config)
    async with database.unit_of_work() as db:
        if await EditRepository(db).edits(asset_id):
            return  # edited again meanwhile: that job owns the edited files now
        await EditRepository(db).set_edited_files(asset_id, {})
        if generated is not None:
            await AssetRepository(db).update([asset_id], width=generated.width, height=generated.height)
    await _delete(storage["thumbnails"], stale)


async def _delete(location: StorageBackend, keys: list[str]) -> None:
    for key in keys:
        await location.delete(key)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
