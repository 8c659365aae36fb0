"""OAuth use cases: start a login, finish it (match, link or register the user), link and unlink."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.authn.schemas import AuthContext, LoginDetails
from albumen.authn.service import AuthService
from albumen.immich import dto
from albumen.kit.errors import BadRequest, ServerFault
from albumen.models import User
from albumen.oauth.client import (
    DiscoveryError,
    OAuthClient,
    OAuthError,
    Profile,
    UnsupportedAlgorithm,
    client_for,
    pkce_pair,
)
from albumen.sessions.repository import SessionRepository
from albumen.storage.names import sanitize_storage_label
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository
from albumen.users.repository import UserRepository
from albumen.users.schemas import user_admin_dto

MOBILE_REDIRECT = "app.immich:///oauth-callback"
_MOBILE_CALLBACK = re.compile(r"app\.immich:/+oauth-callback")
GIB = 1024**3
log = logging.getLogger("albumen.oauth")


def mobile_redirect(query: str) -> str:
    return f"{MOBILE_REDIRECT}?{query}"


@dataclass(frozen=True, slots=True)
class AuthorizeResult:
    url: str
    state: str
    code_verifier: str | None


class OAuthService:
    def __init__(self, db: AsyncSession, auth_service: AuthService, config_file: Any = None) -> None:
        self.db = db
        self.auth_service = auth_service
        self.config_file = config_file
        self.users = UserRepository(db)

    async def _oauth_config(self) -> dict[str, Any]:
        config = await load_config(SystemMetadataRepository(self.db), self.config_file)
        oauth: dict[str, Any] = config["oauth"]
        if not oauth["enabled"]:
            raise BadRequest("OAuth is not enabled")
        return oauth

    @staticmethod
    async def _client(oauth: dict[str, Any]) -> OAuthClient:
        """The provider's client, its metadata discovered: a provider that cannot be discovered is a
        broken configuration (or provider), which no request can fix, so it is a server fault."""
        client = client_for(oauth)
        try:
            await client.metadata()
        except DiscoveryError as error:
            log.error("OAuth discovery failed: %s", error)
            raise ServerFault("Error in OAuth discovery") from None
        return client

    @staticmethod
    def _redirect_uri(oauth: dict[str, Any], url: str) -> str:
        if oauth["mobileOverrideEnabled"] and oauth["mobileRedirectUri"]:
            return _MOBILE_CALLBACK.sub(lambda _: oauth["mobileRedirectUri"], url)
        return url

    async def authorize(self, body: dto.OAuthConfigDto) -> AuthorizeResult:
        oauth = await self._oauth_config()
        state = body.state or secrets.token_urlsafe(24)
        verifier: str | None = None
        challenge = body.codeChallenge
        if not challenge:
            verifier, challenge = pkce_pair()
        try:
            url = await (await self._client(oauth)).authorization_url(
                self._redirect_uri(oauth, body.redirectUri), state, challenge, oauth.get("prompt", "")
            )
        except OAuthError as error:
            raise BadRequest("OAuth authorization failed", cause=str(error)) from None
        return AuthorizeResult(url=url, state=state, code_verifier=verifier)

    async def _profile(
        self, oauth: dict[str, Any], body: dto.OAuthCallbackDto, state: str | None, verifier: str | None
    ) -> Profile:
        if not state:
            raise BadRequest("OAuth state is missing")
        if not verifier:
            raise BadRequest("OAuth code verifier is missing")
        try:
            client = await self._client(oauth)
            return await client.exchange(self._redirect_uri(oauth, body.url), state, verifier)
        except UnsupportedAlgorithm as error:
            log.error("OAuth login impossible with this configuration: %s", error)
            raise ServerFault("Failed to finish oauth") from None
        except OAuthError as error:
            log.warning("OAuth login failed: %s", error)
            raise BadRequest("OAuth authentication failed") from None

    async def callback(
        self,
        body: dto.OAuthCallbackDto,
        cookie_state: str | None,
        cookie_verifier: str | None,
        details: LoginDetails,
    ) -> dto.LoginResponseDto:
        oauth = await self._oauth_config()
        profile = await self._profile(
            oauth, body, body.state or cookie_state, body.codeVerifier or cookie_verifier
        )
        user = await self._find_or_register(oauth, profile)
        return await self.auth_service.create_login_response(
            user, details, oauth_sid=profile.sid, oauth_bearer_token=profile.id_token
        )

    async def _find_or_register(self, oauth: dict[str, Any], profile: Profile) -> User:
        claims = profile.claims
        email = str(claims.get("email") or "").strip().lower() or None
        user = await self.users.get_by_oauth_id(profile.sub)
        if user is None and email:
            by_email = await self.users.get_by_email(email)
            if by_email is not None:
                if by_email.oauth_id:
                    raise BadRequest("OAuth authentication failed")
                user = await self.users.update(by_email.id, oauth_id=profile.sub)
        role = _role(claims.get(oauth["roleClaim"]))
        if user is not None:
            if role is not None and (role == "admin") != user.is_admin:
                user = await self.users.update(user.id, is_admin=role == "admin")
            return user
        if not oauth["autoRegister"]:
            # who was refused is for the admin's log, not for whoever tried
            log.warning("OAuth user %s (%s) does not exist and auto registering is disabled",
                        profile.sub, email or "no email")  # fmt: skip
            raise BadRequest("OAuth authentication failed")
        if not email:
            raise BadRequest("OAuth profile does not have an email address")
        if not await self.users.has_admin():
            raise BadRequest("The first registered account must the administrator.")
        name = claims.get("name") or " ".join(
            part for part in (claims.get("given_name"), claims.get("family_name")) if part
        )
        return await self.users.create(
            email=email,
            name=str(name or email),
            oauth_id=profile.sub,
            is_admin=role == "admin",
            password="",
            should_change_password=False,
            storage_label=await self._storage_label(claims.get(oauth["storageLabelClaim"])),
            quota_size_in_bytes=_quota(claims.get(oauth["storageQuotaClaim"]), oauth["defaultStorageQuota"]),
        )

    async def _storage_label(self, claim: Any) -> str | None:
        if not isinstance(claim, str) or not claim.strip():
            return None
        label = sanitize_storage_label(claim)
        if label and await self.users.get_by_storage_label(label) is not None:
            return None  # taken: the user keeps the default layout rather than failing to log in
        return label

    async def link(
        self,
        auth: AuthContext,
        body: dto.OAuthCallbackDto,
        cookie_state: str | None,
        cookie_verifier: str | None,
    ) -> dto.UserAdminResponseDto:
        oauth = await self._oauth_config()
        profile = await self._profile(
            oauth, body, body.state or cookie_state, body.codeVerifier or cookie_verifier
        )
        owner = await self.users.get_by_oauth_id(profile.sub)
        if owner is not None and owner.id != auth.user.id:
            raise BadRequest("This OAuth account has already been linked to another user.")
        if auth.session is not None and (profile.sid or profile.id_token):
            await SessionRepository(self.db).update(
                auth.session.id, oauth_sid=profile.sid, oauth_bearer_token=profile.id_token
            )
        user = await self.users.update(auth.user.id, oauth_id=profile.sub)
        return user_admin_dto(user, await self.users.get_metadata(user.id))

    async def backchannel_logout(self, logout_token: str) -> list[uuid.UUID]:
        """Ends the sessions the provider names: by its session id, by the user's subject, or both."""
        oauth = await self._oauth_config()
        try:
            claims = await (await self._client(oauth)).verify_logout_token(logout_token)
        except OAuthError:
            raise BadRequest("Error backchannel logout: token validation failed") from None
        sid, sub = claims.get("sid"), claims.get("sub")
        if not sid and not sub:
            raise BadRequest("Invalid logout token: it must contain either a sub or a sid claim")
        return await SessionRepository(self.db).delete_for_oauth(
            oauth_sid=str(sid) if sid else None, oauth_id=str(sub) if sub else None
        )

    async def unlink(self, auth: AuthContext) -> dto.UserAdminResponseDto:
        if auth.session is not None:
            await SessionRepository(self.db).update(auth.session.id, oauth_sid=None, oauth_bearer_token=None)
        user = await self.users.update(auth.user.id, oauth_id="")
        return user_admin_dto(user, await self.users.get_metadata(user.id))


def _role(value: Any) -> str | None:
    roles = value if isinstance(value, list) else [value]
    if "admin" in roles:
        return "admin"
    if "user" in roles:
        return "user"
    return None


def _quota(claim: Any, default_gib: Any) -> int | None:
    """The quota claim is in GiB; without a usable one the configured default (or none) applies."""
    for value in (claim, default_gib):
        if value is None or isinstance(value, bool):
            continue
        try:
            gib = float(value)
        except (TypeError, ValueError):
            continue
        if gib >= 0:
            return int(gib * GIB)
    return None
