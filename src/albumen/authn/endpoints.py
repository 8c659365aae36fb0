"""/auth: login, logout, first admin, password, PIN code, session lock."""

from __future__ import annotations

from fastapi import Request, Response

from albumen.authn.schemas import AuthType
from albumen.http.cookies import clear_auth_cookies, set_auth_cookies
from albumen.http.deps import Auth, AuthServiceDep, auth_type, login_details
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


@router.operation("login")
async def login(
    body: dto.LoginCredentialDto, request: Request, response: Response, service: AuthServiceDep
) -> dto.LoginResponseDto:
    details = login_details(request)
    result = await service.login(body, details)
    set_auth_cookies(response, result.accessToken, AuthType.PASSWORD, secure=details.is_secure)
    return result


@router.operation("logout")
async def logout(
    request: Request, response: Response, auth: Auth, service: AuthServiceDep
) -> dto.LogoutResponseDto:
    result = await service.logout(auth, auth_type(request))
    clear_auth_cookies(response)
    return result


@router.operation("signUpAdmin")
async def sign_up_admin(body: dto.SignUpDto, service: AuthServiceDep) -> dto.UserAdminResponseDto:
    return await service.admin_sign_up(body)


@router.operation("validateAccessToken")
async def validate_access_token(auth: Auth) -> dto.ValidateAccessTokenResponseDto:
    return dto.ValidateAccessTokenResponseDto(authStatus=True)


@router.operation("changePassword")
async def change_password(
    body: dto.ChangePasswordDto, auth: Auth, service: AuthServiceDep
) -> dto.UserAdminResponseDto:
    return await service.change_password(auth, body)


@router.operation("getAuthStatus")
async def get_auth_status(auth: Auth, service: AuthServiceDep) -> dto.AuthStatusResponseDto:
    return await service.status(auth)


@router.operation("setupPinCode")
async def setup_pin_code(body: dto.PinCodeSetupDto, auth: Auth, service: AuthServiceDep) -> None:
    await service.setup_pin_code(auth, body)


@router.operation("changePinCode")
async def change_pin_code(body: dto.PinCodeChangeDto, auth: Auth, service: AuthServiceDep) -> None:
    await service.change_pin_code(auth, body)


@router.operation("resetPinCode")
async def reset_pin_code(body: dto.PinCodeResetDto, auth: Auth, service: AuthServiceDep) -> None:
    await service.reset_pin_code(auth, body)


@router.operation("unlockAuthSession")
async def unlock_auth_session(body: dto.SessionUnlockDto, auth: Auth, service: AuthServiceDep) -> None:
    await service.unlock_session(auth, body)


@router.operation("lockAuthSession")
async def lock_auth_session(auth: Auth, service: AuthServiceDep) -> None:
    await service.lock_session(auth)
