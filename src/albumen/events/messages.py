"""The client events of CONTRACT §6, built for a unit of work to send after its commit:
`side_effects(db).emit(messages.asset_trash(user_id, ids))`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from albumen.events.bus import ClientEvent, Json
from albumen.immich import dto


def _json(model: Any) -> Json:
    """A response DTO as the HTTP API would send it (aliases, ISO dates, UUID strings)."""
    return model.model_dump(mode="json", by_alias=True)


# -- addressing -------------------------------------------------------------------------------------


def to_user(user_id: uuid.UUID | str, event: str, *args: Json) -> ClientEvent:
    """To every connection of one user (Immich's `clientSend(event, userId, ...)`)."""
    return ClientEvent(event, args, str(user_id))


def to_session(session_id: uuid.UUID | str, event: str, *args: Json) -> ClientEvent:
    """To the connections opened with one login session."""
    return ClientEvent(event, args, str(session_id))


def to_all(event: str, *args: Json) -> ClientEvent:
    """To every connected client (Immich's `clientBroadcast`)."""
    return ClientEvent(event, args, None)


# -- the events, typed --------------------------------------------------------------------------------


def upload_success(user_id: uuid.UUID, asset: dto.AssetResponseDto) -> ClientEvent:
    """`on_upload_success`: an upload's thumbnails are done (the web adds it to the timeline)."""
    return to_user(user_id, "on_upload_success", _json(asset))


def asset_upload_ready(user_id: uuid.UUID, asset: dto.SyncAssetV2, exif: dto.SyncAssetExifV1) -> ClientEvent:
    """`AssetUploadReadyV2`: the same moment, for the mobile app's local database."""
    return to_user(user_id, "AssetUploadReadyV2", {"asset": _json(asset), "exif": _json(exif)})


def asset_update(user_id: uuid.UUID, asset: dto.AssetResponseDto) -> ClientEvent:
    """`on_asset_update` (Immich 3.1.0 sends it only after writing a sidecar)."""
    return to_user(user_id, "on_asset_update", _json(asset))


def asset_delete(user_id: uuid.UUID, asset_id: uuid.UUID) -> ClientEvent:
    """`on_asset_delete`: one event per asset deleted for good."""
    return to_user(user_id, "on_asset_delete", str(asset_id))


def asset_trash(user_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> ClientEvent:
    """`on_asset_trash`: the ids moved to the trash, in one event."""
    return to_user(user_id, "on_asset_trash", [str(i) for i in asset_ids])


def asset_restore(user_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> ClientEvent:
    """`on_asset_restore`: the ids brought back from the trash, in one event."""
    return to_user(user_id, "on_asset_restore", [str(i) for i in asset_ids])


def asset_hidden(user_id: uuid.UUID, asset_id: uuid.UUID) -> ClientEvent:
    """`on_asset_hidden`: an asset became hidden (a live photo's motion part)."""
    return to_user(user_id, "on_asset_hidden", str(asset_id))


def user_delete(user_id: uuid.UUID) -> ClientEvent:
    """`on_user_delete`: broadcast to everyone, as Immich does."""
    return to_all("on_user_delete", str(user_id))


def asset_stack_update(user_id: uuid.UUID) -> ClientEvent:
    """`on_asset_stack_update`, without arguments: some stack of the user changed (clients reload)."""
    return to_user(user_id, "on_asset_stack_update")


def album_update(user_id: uuid.UUID, album_id: uuid.UUID) -> ClientEvent:
    """`on_album_update`: the album's assets changed (the web reloads it); to every member."""
    return to_user(user_id, "on_album_update", str(album_id))


def notification(user_id: uuid.UUID, item: dto.NotificationDto) -> ClientEvent:
    """`on_notification`: a new in-app notification for the user (the bell shows it)."""
    return to_user(user_id, "on_notification", item.model_dump(mode="json", exclude_unset=True))
