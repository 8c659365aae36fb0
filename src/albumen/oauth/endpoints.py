"""/oauth: start and finish a login at the identity provider, link and unlink, the mobile redirect."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from albumen.authn.schemas import AuthType
from albumen.http.cookies import OAUTH_STATE_COOKIE, OAUTH_VERIFIER_COOKIE, set_auth_cookies, set_cookie
from albumen.http.deps import Auth, AuthServiceDep, ContainerDep, DbDep, login_details
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit import zod
from albumen.kit.errors import BadRequest
from albumen.oauth.service import OAuthService, mobile_redirect

router = ImmichRouter()


def oauth_service(db: DbDep, auth_service: AuthServiceDep, container: ContainerDep) -> OAuthService:
    return OAuthService(db, auth_service, container.settings.config_file)


Service = Annotated[OAuthService, Depends(oauth_service)]


def _secure(request: Request) -> bool:
    return login_details(request).is_secure


@router.operation("startOAuth")
async def start_oauth(
    body: dto.OAuthConfigDto, request: Request, response: Response, service: Service
) -> dto.OAuthAuthorizeResponseDto:
    result = await service.authorize(body)
    secure = _secure(request)
    set_cookie(response, OAUTH_STATE_COOKIE, result.state, secure=secure)
    if result.code_verifier:
        set_cookie(response, OAUTH_VERIFIER_COOKIE, result.code_verifier, secure=secure)
    return dto.OAuthAuthorizeResponseDto(url=result.url)


@router.operation("finishOAuth")
async def finish_oauth(
    body: dto.OAuthCallbackDto, request: Request, response: Response, service: Service
) -> dto.LoginResponseDto:
    details = login_details(request)
    result = await service.callback(
        body, request.cookies.get(OAUTH_STATE_COOKIE), request.cookies.get(OAUTH_VERIFIER_COOKIE), details
    )
    set_auth_cookies(response, result.accessToken, AuthType.OAUTH, secure=details.is_secure)
    for name in (OAUTH_STATE_COOKIE, OAUTH_VERIFIER_COOKIE):
        response.delete_cookie(name, path="/")
    return result


@router.operation("linkOAuthAccount")
async def link_oauth_account(
    body: dto.OAuthCallbackDto, request: Request, auth: Auth, service: Service
) -> dto.UserAdminResponseDto:
    return await service.link(
        auth, body, request.cookies.get(OAUTH_STATE_COOKIE), request.cookies.get(OAUTH_VERIFIER_COOKIE)
    )


@router.operation("unlinkOAuthAccount")
async def unlink_oauth_account(auth: Auth, service: Service) -> dto.UserAdminResponseDto:
    return await service.unlink(auth)


@router.operation("redirectOAuthToMobile", response_class=RedirectResponse, status_code=307)
async def redirect_oauth_to_mobile(request: Request) -> RedirectResponse:
    return RedirectResponse(mobile_redirect(request.url.query), status_code=307)


async def backchannel_logout_body(request: Request) -> dto.OAuthBackchannelLogoutDto:
    """The spec (and OpenID Back-Channel Logout) post a form; some providers and Immich's own tests
    send JSON. Both are read, and validated into the same DTO."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    fields: Any
    try:
        fields = await request.json() if content_type == "application/json" else dict(await request.form())
    except ValueError:
        raise BadRequest("Request body is not valid JSON") from None
    try:
        return dto.OAuthBackchannelLogoutDto.model_validate(fields)
    except ValidationError as error:
        issues = zod.model_issues(dto.OAuthBackchannelLogoutDto, error)
        raise BadRequest("Validation failed", errors=issues) from None


_BACKCHANNEL_BODY = {"$ref": "#/components/schemas/OAuthBackchannelLogoutDto"}


@router.operation(
    "logoutOAuth",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _BACKCHANNEL_BODY},
                "application/json": {"schema": _BACKCHANNEL_BODY},
            },
        }
    },
)
async def logout_oauth(
    body: Annotated[dto.OAuthBackchannelLogoutDto, Depends(backchannel_logout_body)], service: Service
) -> None:
    await service.backchannel_logout(body.logout_token)
