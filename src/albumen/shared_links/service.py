"""Shared links: the owner creates, edits and lists them; an anonymous holder opens one by key or slug."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.albums.repository import AlbumRepository
from albumen.albums.service import AlbumService
from albumen.authn.schemas import AuthContext, AuthSharedLink
from albumen.immich import dto
from albumen.kit import crypto
from albumen.kit.errors import BadRequest, Forbidden, Unauthorized
from albumen.kit.time import utcnow
from albumen.models import SharedLink
from albumen.shared_links.repository import SharedLinkRepository, SlugTaken
from albumen.shared_links.schemas import decode_key, encode_key, link_response, password_token
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository

ALBUM = dto.SharedLinkType.ALBUM.value
INDIVIDUAL = dto.SharedLinkType.INDIVIDUAL.value
# Where Immich points OpenGraph images when neither an external domain nor the request's host is known.
FALLBACK_DOMAIN = "https://my.immich.app"


@dataclass(frozen=True)
class ShareTags:
    """A live link's page: its OpenGraph values, or none for a password-protected link."""

    title: str | None = None
    description: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class LoginResult:
    body: dict[str, Any]
    token: str


class SharedLinkService:
    def __init__(self, db: AsyncSession, config_file: Path | None = None) -> None:
        self.db = db
        self.links = SharedLinkRepository(db)
        self.access = AccessService(db)
        self.config_file = config_file

    # -- the owner ----------------------------------------------------------------------------------

    async def get_all(
        self, auth: AuthContext, *, link_id: uuid.UUID | None, album_id: uuid.UUID | None
    ) -> list[dict[str, Any]]:
        links = await self.links.owned(auth.user.id, link_id=link_id, album_id=album_id)
        # The list shows one asset per link (the web's preview), as Immich does.
        return await self._describe(auth, links, per_link=1, strip_metadata=False)

    async def get(self, auth: AuthContext, link_id: uuid.UUID) -> dict[str, Any]:
        link = await self._owned(auth, link_id)
        return (await self._describe(auth, [link], strip_metadata=False))[0]

    async def create(self, auth: AuthContext, body: dto.SharedLinkCreateDto) -> dict[str, Any]:
        asset_ids: list[uuid.UUID] = []
        if body.type == dto.SharedLinkType.ALBUM:
            if body.albumId is None:
                raise BadRequest("Invalid albumId")
            await self.access.require(auth, dto.Permission.album_share, [body.albumId])
        else:
            asset_ids = list(dict.fromkeys(item.root for item in body.assetIds or []))
            if not asset_ids:
                raise BadRequest("Invalid assetIds")
            await self.access.require(auth, dto.Permission.asset_share, asset_ids)
        show_exif = body.showMetadata
        link = SharedLink(
            user_id=auth.user.id,
            key=crypto.share_key(),
            slug=body.slug or None,
            type=body.type.value,
            # An INDIVIDUAL link never carries an album: the album would open through it unchecked.
            album_id=body.albumId if body.type == dto.SharedLinkType.ALBUM else None,
            description=body.description or None,
            expires_at=body.expiresAt,
            allow_upload=True if body.allowUpload is None else body.allowUpload,
            # Without metadata the original (whose bytes carry it) is not offered either.
            allow_download=body.allowDownload and show_exif,
            show_exif=show_exif,
            password=body.password or None,
            created_at=utcnow(),
        )
        try:
            await self.links.create(link, asset_ids)
        except SlugTaken:
            raise BadRequest("Failed to save shared link") from None
        return (await self._describe(auth, [link], strip_metadata=False))[0]

    async def update(
        self, auth: AuthContext, link_id: uuid.UUID, body: dto.SharedLinkEditDto
    ) -> dict[str, Any]:
        link = await self._owned(auth, link_id)
        given = body.model_fields_set
        changes: dict[str, Any] = {}
        if "description" in given:
            changes["description"] = body.description or None
        if "password" in given:
            changes["password"] = body.password or None
        if "expiresAt" in given:
            changes["expires_at"] = body.expiresAt
        if "slug" in given:
            changes["slug"] = body.slug or None
        if "allowUpload" in given and body.allowUpload is not None:
            changes["allow_upload"] = body.allowUpload
        if "allowDownload" in given and body.allowDownload is not None:
            changes["allow_download"] = body.allowDownload
        if "showMetadata" in given and body.showMetadata is not None:
            changes["show_exif"] = body.showMetadata
        if not changes.get("show_exif", link.show_exif):
            changes["allow_download"] = False
        try:
            await self.links.update(link, changes)
        except SlugTaken:
            raise BadRequest("Failed to save shared link") from None
        return (await self._describe(auth, [link], strip_metadata=False))[0]

    async def remove(self, auth: AuthContext, link_id: uuid.UUID) -> None:
        link = await self._owned(auth, link_id)
        await self.links.delete(link.id)

    async def add_assets(
        self, auth: AuthContext, link_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
    ) -> list[dto.AssetIdsResponseDto]:
        link = await self._individual(auth, link_id)
        present = await self.links.linked_asset_ids(link.id)
        allowed = await self.access.allowed(auth, dto.Permission.asset_share, set(asset_ids) - present)
        results: list[dto.AssetIdsResponseDto] = []
        added: list[uuid.UUID] = []
        for asset_id in asset_ids:
            if asset_id in present:
                results.append(_failed(asset_id, dto.AssetIdErrorReason.duplicate))
            elif asset_id not in allowed:
                results.append(_failed(asset_id, dto.AssetIdErrorReason.no_permission))
            else:
                present.add(asset_id)
                added.append(asset_id)
                results.append(dto.AssetIdsResponseDto(assetId=asset_id, success=True))
        await self.links.add_assets(link.id, added)
        return results

    async def remove_assets(
        self, auth: AuthContext, link_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
    ) -> list[dto.AssetIdsResponseDto]:
        link = await self._individual(auth, link_id)
        removed = await self.links.remove_assets(link.id, asset_ids)
        results: list[dto.AssetIdsResponseDto] = []
        for asset_id in asset_ids:
            if asset_id in removed:
                removed.discard(asset_id)  # a second mention of the same id found nothing left
                results.append(dto.AssetIdsResponseDto(assetId=asset_id, success=True))
            else:
                results.append(_failed(asset_id, dto.AssetIdErrorReason.not_found))
        return results

    # -- the holder of a key or slug ----------------------------------------------------------------

    async def get_mine(self, auth: AuthContext) -> dict[str, Any]:
        credential = _credential(auth)
        if credential.locked:
            raise Unauthorized("Password required")
        return await self._mine(auth, credential)

    async def login(self, auth: AuthContext, body: dto.SharedLinkLoginDto) -> LoginResult:
        credential = _credential(auth)
        link = await self._link_of(auth, credential)
        if not link.password:
            raise BadRequest("Shared link is not password protected")
        if not hmac.compare_digest(link.password.encode(), body.password.encode()):
            raise Unauthorized("Invalid password")
        return LoginResult(await self._mine(auth, credential), password_token(link.id, link.password))

    async def attach_upload(self, auth: AuthContext, asset_id: uuid.UUID) -> None:
        """An asset uploaded through a link joins what the link shows: its album, or the link itself."""
        credential = auth.shared_link
        if credential is None:
            return
        if credential.album_id is not None:
            await self.access.require(auth, dto.Permission.albumAsset_create, [credential.album_id])
            await AlbumRepository(self.db).add_assets([(credential.album_id, asset_id)])
        else:
            await self.links.add_assets(credential.id, [asset_id])

    async def page_tags(self, kind: str, value: str, origin: str) -> ShareTags | None:
        """The OpenGraph values of the web page /share/<key> or /s/<slug>; None for no live link."""
        key = decode_key(value) if kind == "key" else None
        if kind == "key" and key is None:
            return None
        found = await self.links.credential(key=key, slug=value if kind == "slug" else None)
        if found is None:
            return None
        link, _owner = found
        if link.expires_at is not None and link.expires_at <= utcnow():
            return None
        if link.password:
            return ShareTags()  # the page stays, without telling anything of what it holds
        assets = (await self.links.assets([link.id]))[link.id]
        album = (await self.links.albums([link.album_id])).get(link.album_id) if link.album_id else None
        count = len(assets) or (await self.links.album_asset_count(album.id) if album else 0)
        thumbnail = (album.album_thumbnail_asset_id if album else None) or (
            assets[0][0].id if assets else None
        )
        path = (
            f"/api/assets/{thumbnail}/thumbnail?key={encode_key(link.key)}"
            if thumbnail
            else "/feature-panel.png"
        )
        config = await load_config(SystemMetadataRepository(self.db), self.config_file)
        domain = config["server"]["externalDomain"] or origin or FALLBACK_DOMAIN
        return ShareTags(
            title=album.album_name if album else "Public Share",
            description=link.description or f"{count} shared photos & videos",
            image_url=urljoin(domain, path),
        )

    # -- helpers ------------------------------------------------------------------------------------

    async def _mine(self, auth: AuthContext, credential: AuthSharedLink) -> dict[str, Any]:
        link = await self._link_of(auth, credential)
        return (await self._describe(auth, [link], strip_metadata=not link.show_exif))[0]

    async def _link_of(self, auth: AuthContext, credential: AuthSharedLink) -> SharedLink:
        link = await self.links.get_owned(auth.user.id, credential.id)
        if link is None:
            raise BadRequest("Shared link not found")
        return link

    async def _owned(self, auth: AuthContext, link_id: uuid.UUID) -> SharedLink:
        link = await self.links.get_owned(auth.user.id, link_id)
        if link is None:
            raise BadRequest("Shared link not found")
        return link

    async def _individual(self, auth: AuthContext, link_id: uuid.UUID) -> SharedLink:
        link = await self._owned(auth, link_id)
        if link.type != INDIVIDUAL:
            raise BadRequest("Invalid shared link type")
        return link

    async def _describe(
        self,
        auth: AuthContext,
        links: Sequence[SharedLink],
        *,
        strip_metadata: bool,
        per_link: int | None = None,
    ) -> list[dict[str, Any]]:
        individual = [link.id for link in links if link.type == INDIVIDUAL]
        assets = await self.links.assets(individual, per_link=per_link)
        albums = await self.links.albums(link.album_id for link in links if link.album_id)
        described = await AlbumService(self.db).describe(auth, list(albums.values()))
        album_dtos = {album.id: response for album, response in zip(albums.values(), described, strict=True)}
        return [
            link_response(
                link,
                assets.get(link.id, []),
                album_dtos.get(link.album_id) if link.album_id else None,
                strip_metadata=strip_metadata,
            )
            for link in links
        ]


def _credential(auth: AuthContext) -> AuthSharedLink:
    if auth.shared_link is None:
        raise Forbidden("Forbidden")
    return auth.shared_link


def _failed(asset_id: uuid.UUID, reason: dto.AssetIdErrorReason) -> dto.AssetIdsResponseDto:
    return dto.AssetIdsResponseDto(assetId=asset_id, success=False, error=reason)
