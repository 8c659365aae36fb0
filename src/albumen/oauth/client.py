"""Talking to the identity provider: discovery, the authorization URL, code exchange, the user's profile.

Presets by `issuerUrl`: any OpenID Connect provider is found through discovery; Google
(`https://accounts.google.com`) is plain OIDC; Microsoft (`https://login.microsoftonline.com/<tenant>/v2.0`,
or `common`, whose issuer carries a tenant placeholder) is OIDC with per-tenant issuers; GitHub
(`https://github.com`) speaks OAuth 2 without OIDC, so it gets fixed endpoints and a profile read from
its REST API (`sub` = the numeric user id).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry

from albumen.kit.errors import BadRequest

DISCOVERY_TTL_SECONDS = 300
_clients: dict[tuple[Any, ...], OAuthClient] = {}
GITHUB_ISSUER = "https://github.com"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Microsoft's multi-tenant discovery names its issuer with this placeholder for the user's tenant.
TENANT_PLACEHOLDER = "{tenantid}"


class OAuthError(Exception):
    """The provider refused or answered something unusable; the message is for the log."""


class DiscoveryError(OAuthError):
    """The provider's metadata could not be read: the configuration or the provider is broken, not the
    request, so callers answer this as a server fault (Immich does too)."""


class UnsupportedAlgorithm(OAuthError):
    """The configured signing algorithm is none this server can verify: a configuration fault."""


# What `signingAlgorithm` / `profileSigningAlgorithm` may name ("none" would accept unsigned tokens).
JWS_ALGORITHMS = frozenset(JWSRegistry.algorithms) - {"none"}
WELL_KNOWN = "/.well-known/"
OPENID_CONFIGURATION = "/.well-known/openid-configuration"


def discovery_url(issuer_url: str) -> str:
    """An issuer URL is either the issuer itself (its metadata document then lives under
    /.well-known/openid-configuration) or already the full URL of a metadata document."""
    if WELL_KNOWN in urlparse(issuer_url).path:
        return issuer_url
    return f"{issuer_url.rstrip('/')}{OPENID_CONFIGURATION}"


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str | None
    jwks_uri: str | None
    end_session_endpoint: str | None
    supports_pkce: bool
    oidc: bool = True
    github_emails_endpoint: str | None = None


GITHUB = ProviderMetadata(
    issuer=GITHUB_ISSUER,
    authorization_endpoint="https://github.com/login/oauth/authorize",
    token_endpoint="https://github.com/login/oauth/access_token",
    userinfo_endpoint="https://api.github.com/user",
    jwks_uri=None,
    end_session_endpoint=None,
    supports_pkce=True,
    oidc=False,
    github_emails_endpoint="https://api.github.com/user/emails",
)


@dataclass(frozen=True, slots=True)
class Profile:
    sub: str
    claims: dict[str, Any]
    sid: str | None
    id_token: str | None


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class OAuthClient:
    """One per configuration; metadata is cached for a few minutes so a login costs no discovery."""

    issuer_url: str
    client_id: str
    client_secret: str
    scope: str
    signing_algorithm: str = "RS256"
    token_auth_method: str = "client_secret_post"
    timeout_seconds: float = 30
    profile_signing_algorithm: str = "none"
    allow_insecure_requests: bool = False
    _cache: dict[str, tuple[float, ProviderMetadata]] = field(default_factory=dict)

    def _http(self, accept: str = "application/json") -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=self.timeout_seconds,
            headers={"Accept": accept},
            event_hooks={"request": [self._refuse_insecure]},
        )

    async def _refuse_insecure(self, request: httpx.Request) -> None:
        """Unless `allowInsecureRequests` is set, no request to the provider goes out over plain HTTP."""
        if request.url.scheme != "https" and not self.allow_insecure_requests:
            raise httpx.UnsupportedProtocol(
                f"refusing {request.url.scheme}: {request.url}; set oauth.allowInsecureRequests to allow it",
                request=request,
            )

    async def metadata(self) -> ProviderMetadata:
        if self.issuer_url.rstrip("/") == GITHUB_ISSUER:
            return GITHUB
        url = discovery_url(self.issuer_url)
        cached = self._cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            async with self._http() as http:
                response = await http.get(url)
                response.raise_for_status()
                document = response.json()
            metadata = ProviderMetadata(
                issuer=document["issuer"],
                authorization_endpoint=document["authorization_endpoint"],
                token_endpoint=document["token_endpoint"],
                userinfo_endpoint=document.get("userinfo_endpoint"),
                jwks_uri=document.get("jwks_uri"),
                end_session_endpoint=document.get("end_session_endpoint"),
                supports_pkce="S256" in document.get("code_challenge_methods_supported", ["S256"]),
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            raise DiscoveryError(f"discovery at {url} failed: {error!r}") from error
        self._cache[url] = (time.monotonic() + DISCOVERY_TTL_SECONDS, metadata)
        return metadata

    async def authorization_url(
        self, redirect_uri: str, state: str, code_challenge: str, prompt: str = ""
    ) -> str:
        metadata = await self.metadata()
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": self.scope if metadata.oidc else "read:user user:email",
            "state": state,
        }
        if prompt:
            params["prompt"] = prompt
        if metadata.supports_pkce:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        separator = "&" if "?" in metadata.authorization_endpoint else "?"
        return f"{metadata.authorization_endpoint}{separator}{urlencode(params)}"

    async def exchange(self, callback_url: str, expected_state: str, code_verifier: str) -> Profile:
        """Checks the callback's state, trades its code for tokens and returns the verified profile."""
        query = parse_qs(urlparse(callback_url).query)
        if "error" in query:
            raise OAuthError(f"provider returned error {query['error'][0]}")
        if query.get("state", [None])[0] != expected_state:
            raise BadRequest("OAuth state does not match")
        code = query.get("code", [None])[0]
        if not code:
            raise OAuthError("callback URL has no code")
        metadata = await self.metadata()
        redirect_uri = callback_url.split("?", 1)[0]
        tokens = await self._token(metadata, code, redirect_uri, code_verifier)
        if metadata.oidc:
            return await self._oidc_profile(metadata, tokens)
        return await self._github_profile(metadata, tokens["access_token"])

    async def _token(
        self, metadata: ProviderMetadata, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if metadata.supports_pkce:
            form["code_verifier"] = code_verifier
        basic = self.token_auth_method == "client_secret_basic"
        if not basic:
            form.update(client_id=self.client_id, client_secret=self.client_secret)
        try:
            async with self._http() as http:
                response = await http.post(
                    metadata.token_endpoint,
                    data=form,
                    auth=(self.client_id, self.client_secret) if basic else httpx.USE_CLIENT_DEFAULT,
                )
                response.raise_for_status()
                tokens: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OAuthError(f"token exchange failed: {error}") from error
        if "access_token" not in tokens:
            raise OAuthError(f"token response without access_token: {sorted(tokens)}")
        return tokens

    async def _oidc_profile(self, metadata: ProviderMetadata, tokens: dict[str, Any]) -> Profile:
        id_token = tokens.get("id_token")
        if not id_token:
            raise OAuthError("token response without id_token")
        claims = await self._verify_jwt(metadata, id_token)
        profile = dict(claims)
        if "email" not in profile and metadata.userinfo_endpoint:
            profile.update(await self._userinfo(metadata, tokens["access_token"]))
        if profile.get("sub") != claims["sub"]:
            raise OAuthError("userinfo subject differs from the id_token subject")
        sid = claims.get("sid")
        return Profile(
            sub=str(claims["sub"]),
            claims=profile,
            sid=sid if isinstance(sid, str) else None,
            id_token=id_token,
        )

    async def verify_logout_token(self, logout_token: str) -> dict[str, Any]:
        """A back-channel logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6)."""
        claims = await self._verify_jwt(await self.metadata(), logout_token, subject_required=False)
        if BACKCHANNEL_LOGOUT_EVENT not in (claims.get("events") or {}):
            raise OAuthError("logout token lacks the back-channel logout event")
        if "nonce" in claims:
            raise OAuthError("logout token must not carry a nonce")
        return claims

    async def _userinfo(self, metadata: ProviderMetadata, access_token: str) -> dict[str, Any]:
        """The userinfo claims; with `profileSigningAlgorithm` set the provider answers a signed JWT."""
        assert metadata.userinfo_endpoint is not None
        if self.profile_signing_algorithm == "none":
            claims: dict[str, Any] = await self._get_json(metadata.userinfo_endpoint, access_token)
            return claims
        signed = await self._get_text(metadata.userinfo_endpoint, access_token, accept="application/jwt")
        return await self._verify_jwt(
            metadata, signed.strip(), algorithm=self.profile_signing_algorithm, subject_required=False
        )

    async def _keys(self, metadata: ProviderMetadata, algorithm: str) -> Any:
        if algorithm.startswith("HS"):
            secret = base64.urlsafe_b64encode(self.client_secret.encode()).decode()
            return KeySet.import_key_set({"keys": [{"kty": "oct", "k": secret}]})
        if not metadata.jwks_uri:
            raise OAuthError("provider publishes no jwks_uri")
        async with self._http() as http:
            response = await http.get(metadata.jwks_uri)
            response.raise_for_status()
            return KeySet.import_key_set(response.json())

    async def _verify_jwt(
        self,
        metadata: ProviderMetadata,
        id_token: str,
        *,
        algorithm: str | None = None,
        subject_required: bool = True,
    ) -> dict[str, Any]:
        algorithm = algorithm or self.signing_algorithm
        if algorithm not in JWS_ALGORITHMS:
            raise UnsupportedAlgorithm(f"cannot verify tokens signed with {algorithm!r}")
        try:
            keys = await self._keys(metadata, algorithm)
            token = jwt.decode(id_token, keys, algorithms=[algorithm])
            issuer = metadata.issuer.replace(TENANT_PLACEHOLDER, str(token.claims.get("tid", "")))
            registry = JWTClaimsRegistry(
                iss={"essential": True, "value": issuer},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": subject_required},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError, httpx.HTTPError) as error:
            raise OAuthError(f"id_token rejected: {error}") from error
        return dict(token.claims)

    async def _github_profile(self, metadata: ProviderMetadata, access_token: str) -> Profile:
        assert metadata.userinfo_endpoint is not None
        user = await self._get_json(metadata.userinfo_endpoint, access_token)
        claims: dict[str, Any] = {
            "sub": str(user["id"]),
            "name": user.get("name") or user.get("login"),
            "preferred_username": user.get("login"),
            "email": user.get("email"),
            "picture": user.get("avatar_url"),
        }
        if not claims["email"] and metadata.github_emails_endpoint:
            emails = await self._get_json(metadata.github_emails_endpoint, access_token)
            primary = [e for e in emails if e.get("primary") and e.get("verified")]
            claims["email"] = primary[0]["email"] if primary else None
        return Profile(sub=claims["sub"], claims=claims, sid=None, id_token=None)

    async def _get_text(self, url: str, access_token: str, accept: str = "application/json") -> str:
        try:
            async with self._http(accept) as http:
                response = await http.get(url, headers={"Authorization": f"Bearer {access_token}"})
                response.raise_for_status()
                return response.text
        except httpx.HTTPError as error:
            raise OAuthError(f"profile request to {url} failed: {error}") from error

    async def _get_json(self, url: str, access_token: str) -> Any:
        text = await self._get_text(url, access_token)
        try:
            return json.loads(text)
        except ValueError as error:
            raise OAuthError(f"profile request to {url} answered no JSON: {error}") from error


def client_for(oauth: dict[str, Any]) -> OAuthClient:
    """One client per distinct configuration, so discovery stays cached between logins."""
    key = (
        oauth["issuerUrl"], oauth["clientId"], oauth["clientSecret"], oauth["scope"],
        oauth["signingAlgorithm"], oauth["tokenEndpointAuthMethod"], oauth["timeout"],
        oauth["profileSigningAlgorithm"], oauth["allowInsecureRequests"],
    )  # fmt: skip
    if key not in _clients:
        _clients[key] = OAuthClient(
            issuer_url=oauth["issuerUrl"],
            client_id=oauth["clientId"],
            client_secret=oauth["clientSecret"],
            scope=oauth["scope"],
            signing_algorithm=oauth["signingAlgorithm"],
            token_auth_method=oauth["tokenEndpointAuthMethod"],
            timeout_seconds=oauth["timeout"] / 1000,
            profile_signing_algorithm=oauth["profileSigningAlgorithm"],
            allow_insecure_requests=oauth["allowInsecureRequests"],
        )
    return _clients[key]
