"""OAuth/OIDC login against a real OpenID provider on loopback (CONTRACT.md §1.7)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.oidc import (
    CALLBACK,
    CLIENT_ID,
    Provider,
    oauth_settings,
    running_provider,
    sign_as_provider,
)
from tests.support.users import LoggedIn, sign_up_admin


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


async def configure(client: httpx.AsyncClient, admin: LoggedIn, **oauth: Any) -> None:
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["oauth"].update(oauth)
    response = await client.put("/system-config", headers=admin.headers, json=config)
    assert response.status_code == 200, response.text


async def start(client: httpx.AsyncClient, redirect_uri: str = CALLBACK) -> tuple[str, dict[str, str]]:
    response = await client.post("/oauth/authorize", json={"redirectUri": redirect_uri})
    assert response.status_code == 201, response.text
    cookies = {name: response.cookies[name] for name in ("immich_oauth_state", "immich_oauth_code_verifier")}
    set_cookies = response.headers.get_list("set-cookie")
    assert all("HttpOnly" in cookie for cookie in set_cookies)
    return response.json()["url"], cookies


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


async def oauth_login(client: httpx.AsyncClient, provider: Provider, sub: str) -> httpx.Response:
    url, cookies = await start(client)
    callback = await provider.approve(url, sub)
    return await client.post("/oauth/callback", json={"url": callback}, headers=cookie_header(cookies))


async def test_disabled_oauth_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/authorize", json={"redirectUri": CALLBACK})
    assert response.status_code == 400
    assert response.json() == {"message": "OAuth is not enabled"}


async def test_first_login_registers_the_user_with_claims(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider))
    assert (await client.get("/server/features")).json()["oauth"] is True
    provider.set_user("alice-sub", email="Alice@Example.com", name="Alice A", immich_quota=5,
                      preferred_username="alice.photos", immich_role="admin")  # fmt: skip
    response = await oauth_login(client, provider, "alice-sub")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["userEmail"] == "alice@example.com"
    assert body["name"] == "Alice A"
    assert body["isAdmin"] is True
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    assert "immich_auth_type=oauth" in cookies["immich_auth_type"]
    assert "HttpOnly" in cookies["immich_access_token"]
    assert (
        'immich_oauth_state=""' in cookies["immich_oauth_state"]
        or "Max-Age=0" in cookies["immich_oauth_state"]
    )
    me = (await client.get("/users/me", headers={"Authorization": f"Bearer {body['accessToken']}"})).json()
    assert me["oauthId"] == "alice-sub"
    assert me["quotaSizeInBytes"] == 5 * 1024**3
    assert me["storageLabel"] == "alicephotos"
    again = await oauth_login(client, provider, "alice-sub")
    assert again.status_code == 201
    assert again.json()["userId"] == body["userId"]


async def test_auto_register_off_refuses_strangers(client: httpx.AsyncClient, provider: Provider) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider, autoRegister=False))
    provider.set_user("stranger", email="stranger@example.com")
    response = await oauth_login(client, provider, "stranger")
    assert response.status_code == 400
    assert response.json() == {"message": "OAuth authentication failed"}  # no hint who exists


async def test_existing_email_is_linked_then_matched_by_subject(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider))
    provider.set_user("admin-sub", email="admin@immich.cloud", name="Admin")
    first = await oauth_login(client, provider, "admin-sub")
    assert first.status_code == 201
    assert first.json()["userId"] == admin.user_id
    provider.set_user("admin-sub", email="renamed@example.com", name="Admin")
    second = await oauth_login(client, provider, "admin-sub")
    assert second.json()["userId"] == admin.user_id


async def test_link_and_unlink_from_a_password_session(client: httpx.AsyncClient, provider: Provider) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider, autoRegister=False))
    provider.set_user("linked-sub", email="someone-else@example.com")
    url, cookies = await start(client)
    callback = await provider.approve(url, "linked-sub")
    linked = await client.post(
        "/oauth/link", json={"url": callback}, headers={**admin.headers, **cookie_header(cookies)}
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["oauthId"] == "linked-sub"
    login = await oauth_login(client, provider, "linked-sub")
    assert login.status_code == 201
    assert login.json()["userId"] == admin.user_id
    unlinked = await client.post("/oauth/unlink", headers=admin.headers)
    assert unlinked.json()["oauthId"] == ""
    assert (await oauth_login(client, provider, "linked-sub")).status_code == 400


async def test_state_mismatch_is_refused(client: httpx.AsyncClient, provider: Provider) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider))
    provider.set_user("eve", email="eve@example.com")
    url, cookies = await start(client)
    callback = await provider.approve(url, "eve")
    cookies["immich_oauth_state"] = "forged"
    response = await client.post("/oauth/callback", json={"url": callback}, headers=cookie_header(cookies))
    assert response.status_code == 400
    missing = await client.post("/oauth/callback", json={"url": callback})
    assert missing.status_code == 400
    assert missing.json() == {"message": "OAuth state is missing"}


async def test_tampered_code_is_refused(client: httpx.AsyncClient, provider: Provider) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider))
    provider.set_user("mallory", email="mallory@example.com")
    url, cookies = await start(client)
    callback = await provider.approve(url, "mallory")
    forged = callback.replace("code=", "code=x")
    response = await client.post("/oauth/callback", json={"url": forged}, headers=cookie_header(cookies))
    assert response.status_code == 400
    assert response.json() == {"message": "OAuth authentication failed"}


async def test_logout_points_at_the_providers_end_session(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider))
    provider.set_user("admin-sub", email="admin@immich.cloud")
    token = (await oauth_login(client, provider, "admin-sub")).json()["accessToken"]
    response = await client.post(
        "/auth/logout",
        headers={"Authorization": f"Bearer {token}", "Cookie": "immich_auth_type=oauth"},
    )
    assert response.status_code == 200
    redirect = response.json()["redirectUri"]
    assert redirect.startswith(f"{provider.url}/oauth2/end_session")
    assert "id_token_hint=" in redirect


async def test_mobile_redirect(client: httpx.AsyncClient) -> None:
    response = await client.get("/oauth/mobile-redirect", params={"code": "abc", "state": "xyz"})
    assert response.status_code == 307
    assert response.headers["location"] == "app.immich:///oauth-callback?code=abc&state=xyz"


async def test_mobile_override_rewrites_the_redirect(client: httpx.AsyncClient, provider: Provider) -> None:
    admin = await sign_up_admin(client)
    await configure(
        client,
        admin,
        **oauth_settings(
            provider,
            mobileOverrideEnabled=True,
            mobileRedirectUri="http://testserver/api/oauth/mobile-redirect",
        ),
    )
    url, _ = await start(client, "app.immich:///oauth-callback")
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fapi%2Foauth%2Fmobile-redirect" in url


def logout_token(provider: Provider, **claims: Any) -> str:
    now = int(time.time())
    base = {
        "iss": provider.url,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_hex(8),
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    return sign_as_provider(provider.app, {**base, **claims})


async def test_backchannel_logout_ends_the_subjects_sessions(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider))
    provider.set_user("bob-sub", email="bob@example.com")
    bob_token = (await oauth_login(client, provider, "bob-sub")).json()["accessToken"]
    bob = {"Authorization": f"Bearer {bob_token}"}
    assert (await client.get("/users/me", headers=bob)).status_code == 200

    forged = logout_token(provider, sub="bob-sub", aud="someone-else")
    refused = await client.post("/oauth/backchannel-logout", data={"logout_token": forged})
    assert refused.status_code == 400
    assert (await client.get("/users/me", headers=bob)).status_code == 200

    no_event = logout_token(provider, sub="bob-sub", events={})
    assert (
        await client.post("/oauth/backchannel-logout", data={"logout_token": no_event})
    ).status_code == 400

    valid = logout_token(provider, sub="bob-sub")
    response = await client.post("/oauth/backchannel-logout", data={"logout_token": valid})
    assert response.status_code == 200, response.text
    assert (await client.get("/users/me", headers=bob)).status_code == 401
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 200


async def test_backchannel_logout_reads_a_json_body_too(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider))
    provider.set_user("carol-sub", email="carol@example.com")
    carol = {
        "Authorization": f"Bearer {(await oauth_login(client, provider, 'carol-sub')).json()['accessToken']}"
    }
    missing = await client.post("/oauth/backchannel-logout", json={})
    assert missing.status_code == 400
    assert missing.json()["errors"] == [
        {
            "code": "invalid_type",
            "path": ["logout_token"],
            "expected": "string",
            "message": "Invalid input: expected string, received undefined",
        }
    ]
    response = await client.post(
        "/oauth/backchannel-logout", json={"logout_token": logout_token(provider, sub="carol-sub")}
    )
    assert response.status_code == 200, response.text
    assert (await client.get("/users/me", headers=carol)).status_code == 401


async def test_issuer_url_may_name_the_discovery_document_itself(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    document = f"{provider.url}/.well-known/openid-configuration"
    await configure(client, admin, **oauth_settings(provider, issuerUrl=document))
    provider.set_user("dave-sub", email="dave@example.com")
    response = await oauth_login(client, provider, "dave-sub")
    assert response.status_code == 201, response.text


async def test_plain_http_provider_is_refused_unless_allowed(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider, allowInsecureRequests=False))
    response = await client.post("/oauth/authorize", json={"redirectUri": CALLBACK})
    # a provider the server may not talk to is a broken configuration, not a bad request
    assert response.status_code == 500
    assert response.json() == {"message": "Error in OAuth discovery"}


async def test_a_signing_algorithm_nobody_can_verify_is_a_server_fault(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    admin = await sign_up_admin(client)
    await configure(client, admin, **oauth_settings(provider, signingAlgorithm="XY999"))
    provider.set_user("frank-sub", email="frank@example.com")
    response = await oauth_login(client, provider, "frank-sub")
    assert response.status_code == 500
    assert response.json() == {"message": "Failed to finish oauth"}
