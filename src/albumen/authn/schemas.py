"""Who is calling: the credentials a request carried and the identity they resolve to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from albumen.immich.dto import Permission


class AuthType(StrEnum):
    PASSWORD = "password"
    OAUTH = "oauth"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Every credential a request may carry, in the order Immich tries them."""

    share_key: str | None = None
    share_slug: str | None = None
    # Proofs of shared-link passwords entered earlier (cookie `immich_shared_link_token`).
    shared_link_tokens: tuple[str, ...] = ()
    session_token: str | None = None
    api_key: str | None = None
    user_agent: str = ""
    device_model: str | None = None
    device_type: str | None = None


@dataclass(frozen=True, slots=True)
class AuthUser:
    id: uuid.UUID
    email: str
    name: str
    is_admin: bool
    quota_size_in_bytes: int | None
    quota_usage_in_bytes: int


@dataclass(frozen=True, slots=True)
class AuthSession:
    id: uuid.UUID
    has_elevated_permission: bool
    pin_expires_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuthApiKey:
    id: uuid.UUID
    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class AuthSharedLink:
    """A shared-link credential: the caller is anonymous and acts as the link's owner, within the link."""

    id: uuid.UUID
    album_id: uuid.UUID | None
    allow_upload: bool
    allow_download: bool
    show_exif: bool
    # The link has a password and the request carried no proof of it.
    locked: bool = False


@dataclass(frozen=True, slots=True)
class AuthContext:
    user: AuthUser
    session: AuthSession | None = None
    api_key: AuthApiKey | None = None
    shared_link: AuthSharedLink | None = None

    @property
    def shared_link_id(self) -> uuid.UUID | None:
        return self.shared_link.id if self.shared_link is not None else None

    @property
    def shows_metadata(self) -> bool:
        """False for a shared link created with showMetadata=false: no EXIF, place or file name."""
        return self.shared_link is None or self.shared_link.show_exif

    def holds(self, permission: Permission) -> bool:
        """Sessions carry every permission of their user; API keys only what they were granted."""
        if self.api_key is None:
            return True
        return Permission.all in self.api_key.permissions or permission in self.api_key.permissions


@dataclass(frozen=True, slots=True)
class LoginDetails:
    is_secure: bool
    client_ip: str
    device_type: str
    device_os: str
    app_version: str | None
