"""Request dependencies: the unit of work, the container, and who is calling (checked per operation)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.authn.devices import device_details
from albumen.authn.schemas import AuthContext, AuthType, Credentials, LoginDetails
from albumen.authn.service import AuthService
from albumen.container import Container
from albumen.http.cookies import ACCESS_TOKEN_COOKIE, AUTH_TYPE_COOKIE, SHARED_LINK_TOKEN_COOKIE
from albumen.immich.operations import ALBUMEN_PUBLIC, OperationPolicy, policy_for


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_db(container: ContainerDep) -> AsyncIterator[AsyncSession]:
    async with container.database.unit_of_work() as session:
        yield session


# scope="function": the transaction commits before the response leaves, so a client never reads a
# reply describing a write that later failed to commit.
DbDep = Annotated[AsyncSession, Depends(get_db, scope="function")]


def operation_policy(request: Request) -> OperationPolicy:
    route: Any = request.scope.get("route")
    operation_id = getattr(route, "operation_id", None)
    return policy_for(operation_id) if operation_id else ALBUMEN_PUBLIC


def shared_link_tokens(request: Request) -> tuple[str, ...]:
    """The proofs of shared-link passwords this browser entered, comma-separated in one cookie."""
    raw = request.cookies.get(SHARED_LINK_TOKEN_COOKIE, "")
    return tuple(token for token in raw.split(",") if token)


def credentials_from(request: Request) -> Credentials:
    headers = request.headers
    query = request.query_params
    bearer = None
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        bearer = token.strip()
    session_token = (
        headers.get("x-immich-user-token")
        or headers.get("x-immich-session-token")
        or query.get("sessionKey")
        or bearer
        or request.cookies.get(ACCESS_TOKEN_COOKIE)
    )
    return Credentials(
        share_key=headers.get("x-immich-share-key") or query.get("key"),
        share_slug=headers.get("x-immich-share-slug") or query.get("slug"),
        shared_link_tokens=shared_link_tokens(request),
        session_token=session_token or None,
        api_key=headers.get("x-api-key") or query.get("apiKey"),
        user_agent=headers.get("user-agent", ""),
        device_model=headers.get("devicemodel"),
        device_type=headers.get("devicetype"),
    )


def auth_service(db: DbDep, container: ContainerDep) -> AuthService:
    return AuthService(
        db,
        container.login_throttle,
        allow_setup=container.settings.allow_setup,
        config_file=container.settings.config_file,
    )


AuthServiceDep = Annotated[AuthService, Depends(auth_service)]


async def authenticate(request: Request, service: AuthServiceDep) -> AuthContext | None:
    """Runs on every route: public operations pass, the rest need a credential that the policy admits."""
    policy = operation_policy(request)
    if policy.public:
        return None
    auth = await service.authenticate(credentials_from(request), policy)
    request.state.auth = auth
    return auth


async def require_auth(auth: Annotated[AuthContext | None, Depends(authenticate)]) -> AuthContext:
    if auth is None:  # a public route asked for a caller; a programming error, not a client one
        raise RuntimeError("require_auth used on a public operation")
    return auth


Auth = Annotated[AuthContext, Depends(require_auth)]


def auth_type(request: Request) -> AuthType:
    return AuthType.OAUTH if request.cookies.get(AUTH_TYPE_COOKIE) == AuthType.OAUTH else AuthType.PASSWORD


def login_details(request: Request) -> LoginDetails:
    device = device_details(
        request.headers.get("user-agent", ""),
        request.headers.get("devicemodel"),
        request.headers.get("devicetype"),
    )
    return LoginDetails(
        is_secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https",
        client_ip=request.client.host if request.client else "unknown",
        device_type=device.device_type,
        device_os=device.device_os,
        app_version=device.app_version,
    )
