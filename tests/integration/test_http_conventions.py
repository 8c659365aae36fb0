"""Immich's HTTP conventions (CONTRACT.md §0) and the operator endpoints: health, metrics, discovery."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.users import sign_up_admin


async def test_errors_carry_message_and_correlation_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/me")
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication required"}
    assert len(response.headers["X-Correlation-ID"]) >= 8


async def test_incoming_correlation_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/server/ping", headers={"X-Correlation-ID": "trace-123"})
    assert response.headers["X-Correlation-ID"] == "trace-123"
    hostile = await client.get("/server/ping", headers={"X-Correlation-ID": "a b\tc" * 40})
    assert hostile.headers["X-Correlation-ID"] != "a b\tc" * 40


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Cannot GET /api/nothing-here"}
    wrong = await client.delete("/server/ping")
    assert wrong.status_code == 404
    assert wrong.json() == {"message": "Cannot DELETE /api/server/ping"}


async def test_malformed_json_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"


async def test_unexpected_failure_is_a_plain_500(app: Any, client: httpx.AsyncClient) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/test-explode", explode, methods=["GET"])
    # Ahead of the web app's catch-all, which is registered last and answers every other GET.
    app.router.routes.insert(0, app.router.routes.pop())
    response = await client.get("/test-explode")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    assert "secret internals" not in response.text
    assert "X-Correlation-ID" in response.headers


async def test_well_known_discovery(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as root:
        response = await root.get("/.well-known/immich")
    assert response.json() == {"api": {"endpoint": "/api"}}


async def test_health_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "up"}


async def test_metrics_count_requests_by_route(app: Any, client: httpx.AsyncClient) -> None:
    await client.get("/server/ping")
    await client.get("/server/ping")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as root:
        response = await root.get("/metrics")
    assert response.status_code == 200
    metrics = response.text
    line = next(
        row
        for row in metrics.splitlines()
        if row.startswith("albumen_http_requests_total{") and 'operation="pingServer"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "albumen_http_request_duration_seconds_bucket" in metrics


async def test_failed_logins_are_counted(app: Any, client: httpx.AsyncClient) -> None:
    from prometheus_client import REGISTRY

    def failures() -> float:
        return REGISTRY.get_sample_value("albumen_login_failures_total", {"reason": "bad_credentials"}) or 0.0

    before = failures()
    response = await client.post("/auth/login", json={"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 401
    assert failures() == before + 1


async def test_input_postgresql_refuses_is_a_400(client: httpx.AsyncClient) -> None:
    """A NUL character passes JSON validation but PostgreSQL cannot store it: a bad request, not a 500."""
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["theme"]["customCss"] = "body {}\u0000"
    response = await client.put("/system-config", headers=admin.headers, json=config)
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid input"}
    assert "x-correlation-id" in response.headers


async def test_query_booleans_and_dates_are_read_as_strictly_as_immich(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    ok = await client.get("/timeline/buckets", headers=admin.headers, params={"isFavorite": "false"})
    assert ok.status_code == 200, ok.text
    # zod's stringbool with only "true" and "false": pydantic alone would take all of these.
    for lax in ("1", "0", "yes", "on", "TRUE", "False", ""):
        refused = await client.get("/timeline/buckets", headers=admin.headers, params={"isFavorite": lax})
        assert refused.status_code == 400, (lax, refused.text)
        assert refused.json()["errors"] == [
            {
                "code": "invalid_value",
                "values": ["true", "false"],
                "path": ["isFavorite"],
                "message": 'Invalid option: expected one of "true"|"false"',
            }
        ]
    # A Unix timestamp is no ISO 8601 datetime (or date) to Immich.
    for name, path, value in (
        ("takenAfter", "/search/large-assets", "1700000000"),
        ("fileCreatedAfter", "/map/markers", "1700000000.5"),
        ("from", "/users/me/calendar-heatmap", "1700000000"),
    ):
        method = "POST" if path.startswith("/search") else "GET"
        refused = await client.request(method, path, headers=admin.headers, params={name: value})
        assert refused.status_code == 400, (name, refused.text)
        assert refused.json()["errors"][0]["path"] == [name]
        assert refused.json()["errors"][0]["message"].startswith("Invalid input: expected ISO")
    accepted = await client.post(
        "/search/large-assets", headers=admin.headers, params={"takenAfter": "2023-11-14T22:13:20.000Z"}
    )
    assert accepted.status_code == 200, accepted.text


async def test_no_content_answers_carry_no_type_or_length(client: httpx.AsyncClient) -> None:
    """As Express: a 204 has no Content-Type (supertest and superagent parse a typed empty body as '')."""
    admin = await sign_up_admin(client)
    response = await client.put("/assets", headers=admin.headers, json={"ids": [], "isFavorite": True})
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert "content-length" not in response.headers
    assert response.headers["x-correlation-id"]
