"""Authentication use cases: resolving credentials, login/logout, first admin, password and PIN code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.api_keys.repository import ApiKeyRepository
from albumen.authn.devices import device_details
from albumen.authn.ratelimit import LoginThrottle
from albumen.authn.schemas import (
    AuthApiKey,
    AuthContext,
    AuthSession,
    AuthSharedLink,
    AuthType,
    AuthUser,
    Credentials,
    LoginDetails,
)
from albumen.immich import dto
from albumen.immich.operations import OperationPolicy
from albumen.kit import crypto
from albumen.kit.errors import BadRequest, Forbidden, TooManyRequests, Unauthorized
from albumen.kit.time import utcnow
from albumen.models import User
from albumen.oauth.client import OAuthError, client_for
from albumen.sessions.repository import SessionRepository
from albumen.shared_links.repository import SharedLinkRepository
from albumen.shared_links.schemas import decode_key, password_token
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository
from albumen.telemetry.metrics import LOGIN_FAILURES
from albumen.users.repository import UserRepository
from albumen.users.schemas import ONBOARDING_KEY, user_admin_dto

LOGIN_URL = "/auth/login?autoLaunch=0"
PIN_UNLOCK_DURATION = timedelta(minutes=15)
PIN_EXTENSION = timedelta(minutes=5)
SESSION_TOUCH_INTERVAL = timedelta(hours=1)
# The operations that answer a password-protected link without its password: the gate itself.
PASSWORD_GATE = frozenset({"sharedLinkLogin", "getMySharedLink"})


def auth_user(user: User) -> AuthUser:
    return AuthUser(
        id=user.id,
        email=user.email,
        name=user.name,
        is_admin=user.is_admin,
        quota_size_in_bytes=user.quota_size_in_bytes,
        quota_usage_in_bytes=user.quota_usage_in_bytes,
    )


@dataclass
class AuthService:
    db: AsyncSession
    throttle: LoginThrottle
    allow_setup: bool = True
    config_file: Any = None

    @property
    def users(self) -> UserRepository:
        return UserRepository(self.db)

    @property
    def sessions(self) -> SessionRepository:
        return SessionRepository(self.db)

    async def _config(self) -> dict[str, Any]:
        return await load_config(SystemMetadataRepository(self.db), self.config_file)

    # -- resolving a request's credentials ---------------------------------------------------------

    async def authenticate(self, credentials: Credentials, policy: OperationPolicy) -> AuthContext:
        auth = await self._validate(credentials)
        if policy.admin_only and not auth.user.is_admin:
            raise Forbidden("Forbidden")
        if auth.shared_link is not None:
            if not policy.shared_link:
                raise Forbidden("Forbidden")
            # Immich checks the password only on /shared-links/me; a key alone must not open more.
            if auth.shared_link.locked and policy.operation_id not in PASSWORD_GATE:
                raise Unauthorized("Password required")
        if auth.api_key is not None and policy.permission is not None and not auth.holds(policy.permission):
            raise Forbidden(f"Missing required permission: {policy.permission}")
        return auth

    async def _validate(self, credentials: Credentials) -> AuthContext:
        if credentials.share_key:
            key = decode_key(credentials.share_key)
            found = await self.shared_link(credentials, key=key) if key else None
            if found is None:
                raise Unauthorized("Invalid share key")
            return found
        if credentials.share_slug:
            found = await self.shared_link(credentials, slug=credentials.share_slug)
            if found is None:
                raise Unauthorized("Invalid share slug")
            return found
        if credentials.session_token:
            return await self._validate_session(credentials)
        if credentials.api_key:
            return await self._validate_api_key(credentials.api_key)
        raise Unauthorized("Authentication required")

    async def shared_link(
        self, credentials: Credentials, *, key: bytes | None = None, slug: str | None = None
    ) -> AuthContext | None:
        """The context of a live, unexpired link (acting as its owner), or None."""
        found = await SharedLinkRepository(self.db).credential(key=key, slug=slug)
        if found is None:
            return None
        link, owner = found
        if link.expires_at is not None and link.expires_at <= utcnow():
            return None
        locked = bool(link.password) and (
            password_token(link.id, link.password or "") not in credentials.shared_link_tokens
        )
        return AuthContext(
            user=auth_user(owner),
            shared_link=AuthSharedLink(
                id=link.id,
                album_id=link.album_id,
                allow_upload=link.allow_upload,
                allow_download=link.allow_download,
                show_exif=link.show_exif,
                locked=locked,
            ),
        )

    async def _validate_session(self, credentials: Credentials) -> AuthContext:
        assert credentials.session_token is not None
        found = await self.sessions.get_by_token(crypto.token_digest(credentials.session_token))
        if found is None:
            raise Unauthorized("Invalid user token")
        session, user = found
        now = utcnow()
        device = device_details(credentials.user_agent, credentials.device_model, credentials.device_type)
        changes: dict[str, Any] = {}
        if now - session.updated_at > SESSION_TOUCH_INTERVAL or device.app_version != session.app_version:
            changes.update(
                updated_at=now,
                app_version=device.app_version,
                device_os=device.device_os,
                device_type=device.device_type,
            )
        elevated = session.pin_expires_at is not None and session.pin_expires_at > now
        pin_expires_at = session.pin_expires_at
        if elevated and pin_expires_at is not None and now + PIN_EXTENSION > pin_expires_at:
            pin_expires_at = now + PIN_EXTENSION
            changes["pin_expires_at"] = pin_expires_at
        if changes:
            await self.sessions.update(session.id, **changes)
        return AuthContext(
            user=auth_user(user),
            session=AuthSession(
                id=session.id,
                has_elevated_permission=elevated,
                pin_expires_at=pin_expires_at,
                expires_at=session.expires_at,
            ),
        )

    async def _validate_api_key(self, key: str) -> AuthContext:
        found = await ApiKeyRepository(self.db).get_by_key(crypto.token_digest(key))
        if found is None:
            raise Unauthorized("Invalid API key")
        api_key, user = found
        return AuthContext(
            user=auth_user(user),
            api_key=AuthApiKey(id=api_key.id, name=api_key.name, permissions=frozenset(api_key.permissions)),
        )

    # -- login and logout ---------------------------------------------------------------------------

    async def login(self, body: dto.LoginCredentialDto, details: LoginDetails) -> dto.LoginResponseDto:
        config = await self._config()
        if not config["passwordLogin"]["enabled"]:
            raise Unauthorized("Password login has been disabled")
        email = str(body.email)
        try:
            await self.throttle.check(details.client_ip, email)
        except TooManyRequests:
            LOGIN_FAILURES.labels("rate_limited").inc()
            raise
        user = await self.users.get_by_email(email)
        # Only reads so far: hand the connection back while the hash waits for a hashing thread, so a
        # burst of logins cannot take the whole pool from other requests.
        await self.db.commit()
        # Verify even without a user (against a dummy hash) so an unknown email costs the same time.
        valid = await crypto.verify_secret(body.password, user.password if user else None)
        if user is None or not valid:
            await self.throttle.failed(details.client_ip, email)
            LOGIN_FAILURES.labels("bad_credentials").inc()
            raise Unauthorized("Incorrect email or password")
        await self.throttle.succeeded(email)
        if crypto.needs_rehash(user.password):
            await self.users.update(user.id, password=await crypto.hash_secret(body.password))
        return await self.create_login_response(user, details)

    async def create_login_response(
        self,
        user: User,
        details: LoginDetails,
        oauth_sid: str | None = None,
        oauth_bearer_token: str | None = None,
    ) -> dto.LoginResponseDto:
        token = crypto.random_token()
        await self.sessions.create(
            token=crypto.token_digest(token),
            user_id=user.id,
            device_os=details.device_os,
            device_type=details.device_type,
            app_version=details.app_version,
            oauth_sid=oauth_sid,
            oauth_bearer_token=oauth_bearer_token,
        )
        metadata = await self.users.get_metadata(user.id)
        return dto.LoginResponseDto(
            accessToken=token,
            userId=user.id,
            userEmail=user.email,
            name=user.name,
            isAdmin=user.is_admin,
            profileImagePath=user.profile_image_path,
            shouldChangePassword=user.should_change_password,
            isOnboarded=bool(metadata.get(ONBOARDING_KEY, {}).get("isOnboarded", False)),
        )

    async def logout(self, auth: AuthContext, auth_type: AuthType) -> dto.LogoutResponseDto:
        bearer: str | None = None
        if auth.session is not None:
            session = await self.sessions.get(auth.session.id)
            bearer = session.oauth_bearer_token if session else None
            await self.sessions.delete(auth.session.id)
        return dto.LogoutResponseDto(successful=True, redirectUri=await self._logout_uri(auth_type, bearer))

    async def _logout_uri(self, auth_type: AuthType, bearer: str | None) -> str:
        if auth_type != AuthType.OAUTH:
            return LOGIN_URL
        oauth = (await self._config())["oauth"]
        if not oauth["enabled"]:
            return LOGIN_URL
        endpoint = oauth["endSessionEndpoint"]
        if not endpoint:
            try:
                endpoint = (await client_for(oauth).metadata()).end_session_endpoint
            except OAuthError:
                endpoint = None
        if not endpoint:
            return LOGIN_URL
        if bearer:
            separator = "&" if "?" in endpoint else "?"
            return f"{endpoint}{separator}{urlencode({'id_token_hint': bearer})}"
        return str(endpoint)

    # -- first admin, password, PIN code -------------------------------------------------------------

    async def admin_sign_up(self, body: dto.SignUpDto) -> dto.UserAdminResponseDto:
        if not self.allow_setup:
            raise BadRequest("Admin setup is disabled")
        if await self.users.has_admin():
            raise BadRequest("The server already has an admin")
        if await self.users.get_by_email(str(body.email), with_deleted=True):
            raise BadRequest("Email is not available")
        user = await self.users.create(
            email=str(body.email).lower(),
            name=body.name,
            password=await crypto.hash_secret(body.password),
            is_admin=True,
            storage_label="admin",
        )
        return user_admin_dto(user)

    async def change_password(
        self, auth: AuthContext, body: dto.ChangePasswordDto
    ) -> dto.UserAdminResponseDto:
        user = await self.users.get(auth.user.id)
        if user is None:
            raise Unauthorized("Authentication required")
        if not await crypto.verify_secret(body.password, user.password):
            raise BadRequest("Wrong password")
        user = await self.users.update(
            user.id, password=await crypto.hash_secret(body.newPassword), should_change_password=False
        )
        # Immich 3.1 ends every other session on a password change, whatever the flag says.
        await self.sessions.delete_all_for_user(user.id, keep=auth.session.id if auth.session else None)
        return user_admin_dto(user, await self.users.get_metadata(user.id))

    async def setup_pin_code(self, auth: AuthContext, body: dto.PinCodeSetupDto) -> None:
        user = await self._user(auth)
        if user.pin_code:
            raise BadRequest("User already has a PIN code")
        await self.users.update(user.id, pin_code=await crypto.hash_secret(body.pinCode))

    async def reset_pin_code(self, auth: AuthContext, body: dto.PinCodeResetDto) -> None:
        user = await self._user(auth)
        await self._check_pin_or_password(user, pin_code=body.pinCode, password=body.password)
        await self.users.update(user.id, pin_code=None)
        await self.sessions.lock_all(user.id)

    async def change_pin_code(self, auth: AuthContext, body: dto.PinCodeChangeDto) -> None:
        user = await self._user(auth)
        await self._check_pin_or_password(user, pin_code=body.pinCode, password=body.password)
        await self.users.update(user.id, pin_code=await crypto.hash_secret(body.newPinCode))

    async def unlock_session(self, auth: AuthContext, body: dto.SessionUnlockDto) -> None:
        session = self._require_session(auth)
        user = await self._user(auth)
        await self._check_pin_or_password(user, pin_code=body.pinCode, password=body.password)
        await self.sessions.update(session.id, pin_expires_at=utcnow() + PIN_UNLOCK_DURATION)

    async def lock_session(self, auth: AuthContext) -> None:
        session = self._require_session(auth)
        await self.sessions.update(session.id, pin_expires_at=None)

    async def status(self, auth: AuthContext) -> dto.AuthStatusResponseDto:
        user = await self._user(auth)
        session = await self.sessions.get(auth.session.id) if auth.session else None
        return dto.AuthStatusResponseDto(
            pinCode=bool(user.pin_code),
            password=bool(user.password),
            isElevated=bool(auth.session and auth.session.has_elevated_permission),
            expiresAt=session.expires_at.isoformat() if session and session.expires_at else None,
            pinExpiresAt=session.pin_expires_at.isoformat() if session and session.pin_expires_at else None,
        )

    async def _user(self, auth: AuthContext) -> User:
        user = await self.users.get(auth.user.id)
        if user is None:
            raise Unauthorized("Authentication required")
        return user

    @staticmethod
    def _require_session(auth: AuthContext) -> AuthSession:
        if auth.session is None:
            raise BadRequest("This endpoint can only be used with a session token")
        return auth.session

    @staticmethod
    async def _check_pin_or_password(user: User, *, pin_code: str | None, password: str | None) -> None:
        if not user.pin_code:
            raise BadRequest("User does not have a PIN code")
        if password:
            if not await crypto.verify_secret(password, user.password):
                raise BadRequest("Wrong password")
        elif pin_code:
            if not await crypto.verify_secret(pin_code, user.pin_code):
                raise BadRequest("Wrong PIN code")
        else:
            raise BadRequest("Either password or pinCode is required")
