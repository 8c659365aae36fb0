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
class AuthContext:
    user: AuthUser
    session: AuthSession | None = None
    api_key: AuthApiKey | None = None
    # Shared-link credentials arrive with the sharing capability; until then a link never resolves.
    shared_link_id: uuid.UUID | None = None

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
