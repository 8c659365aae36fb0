"""Immich's auth cookies: the token and auth type HttpOnly, `immich_is_authenticated` readable by the SPA."""

from __future__ import annotations

from fastapi import Response

ACCESS_TOKEN_COOKIE = "immich_access_token"
AUTH_TYPE_COOKIE = "immich_auth_type"
IS_AUTHENTICATED_COOKIE = "immich_is_authenticated"
OAUTH_STATE_COOKIE = "immich_oauth_state"
OAUTH_VERIFIER_COOKIE = "immich_oauth_code_verifier"
SHARED_LINK_TOKEN_COOKIE = "immich_shared_link_token"
MAX_AGE_SECONDS = 400 * 24 * 3600
SHARED_LINK_TOKEN_MAX_AGE_SECONDS = 24 * 3600


def set_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    secure: bool,
    http_only: bool = True,
    max_age: int = MAX_AGE_SECONDS,
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", samesite="lax", secure=secure, httponly=http_only
    )


def set_auth_cookies(response: Response, token: str, auth_type: str, *, secure: bool) -> None:
    set_cookie(response, ACCESS_TOKEN_COOKIE, token, secure=secure)
    set_cookie(response, AUTH_TYPE_COOKIE, auth_type, secure=secure)
    set_cookie(response, IS_AUTHENTICATED_COOKIE, "true", secure=secure, http_only=False)


def clear_auth_cookies(response: Response) -> None:
    for name in (ACCESS_TOKEN_COOKIE, AUTH_TYPE_COOKIE, IS_AUTHENTICATED_COOKIE):
        response.delete_cookie(name, path="/")
