"""A real OpenID Connect provider on loopback (the oidc-provider-mock package, in a thread)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from oidc_provider_mock import run_server_in_thread

CLIENT_ID = "albumen"
CLIENT_SECRET = "albumen-secret"
CALLBACK = "http://testserver/auth/login"


@dataclass
class Provider:
    url: str
    app: Any = None

    def set_user(self, sub: str, **claims: Any) -> None:
        httpx.put(f"{self.url}/users/{sub}", json=claims).raise_for_status()

    async def approve(self, authorize_url: str, sub: str) -> str:
        """What a browser does at the provider: sign in as `sub`; returns the redirect back to us."""
        async with httpx.AsyncClient() as browser:
            response = await browser.post(authorize_url, data={"sub": sub})
        assert response.status_code == 302, response.text
        return response.headers["location"]


@contextmanager
def running_provider() -> Iterator[Provider]:
    with run_server_in_thread() as server:
        yield Provider(url=f"http://localhost:{server.server_port}", app=server.app)


def oauth_settings(provider: Provider, **overrides: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "issuerUrl": provider.url,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "autoRegister": True,
        "signingAlgorithm": "RS256",
        "allowInsecureRequests": True,  # the provider serves plain HTTP on loopback
        **overrides,
    }


def sign_as_provider(provider_app: Any, claims: dict[str, Any]) -> str:
    """A JWT signed with the running provider's own key (for flows the mock cannot start itself)."""
    import flask
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    with provider_app.test_request_context():
        provider_app.preprocess_request()
        private = flask.g.oidc_provider_mock_storage.jwk.as_dict(is_private=True)
    key = RSAKey.import_key(private)
    return jwt.encode({"alg": "RS256", "kid": private.get("kid")}, claims, key)
