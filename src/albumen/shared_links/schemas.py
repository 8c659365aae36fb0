"""Shared-link keys, password proofs and Immich's SharedLinkResponseDto."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from albumen.assets.schemas import asset_response, sanitized_asset
from albumen.immich import dto
from albumen.models import Asset, AssetExif, SharedLink

HEX_KEY_LENGTH = 100  # 50 bytes as hex: Immich accepts the old form too


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def decode_key(text: str) -> bytes | None:
    """A key as the web sends it (base64url, or 100 hex digits); None when it is neither."""
    try:
        if len(text) == HEX_KEY_LENGTH:
            return bytes.fromhex(text)
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return None


def password_token(link_id: uuid.UUID, password: str) -> str:
    """What the `immich_shared_link_token` cookie holds once the password was entered (Immich's form)."""
    return base64.b64encode(hashlib.sha256(f"{link_id}-{password}".encode()).digest()).decode()


def merge_tokens(existing: Sequence[str], token: str) -> str:
    return ",".join([*existing, token] if token not in existing else existing)


def link_response(
    link: SharedLink,
    assets: Sequence[tuple[Asset, AssetExif | None]],
    album: dto.AlbumResponseDto | None,
    *,
    strip_metadata: bool,
) -> dict[str, Any]:
    """SharedLinkResponseDto as JSON; with `strip_metadata` its assets are the sanitized form."""
    body: dict[str, Any] = {
        "id": str(link.id),
        "description": link.description,
        "password": link.password,
        "userId": str(link.user_id),
        "key": encode_key(link.key),
        "type": link.type,
        "createdAt": _iso(link.created_at),
        "expiresAt": _iso(link.expires_at) if link.expires_at else None,
        "assets": [
            sanitized_asset(asset) if strip_metadata else asset_response(asset, exif).model_dump(mode="json")
            for asset, exif in assets
        ],
        "allowUpload": link.allow_upload,
        "allowDownload": link.allow_download,
        "showMetadata": link.show_exif,
        "slug": link.slug,
    }
    if album is not None:
        # Immich marks the album of a link as shared, whoever else is in it.
        shown = album.model_copy(update={"shared": True, "hasSharedLink": True})
        body["album"] = shown.model_dump(mode="json", exclude_unset=True)
    return body


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
