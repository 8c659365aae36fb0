"""Every route is an Immich operation (or one of ours), at the spec's method, path and status."""

from __future__ import annotations

from fastapi.routing import APIRoute

from albumen.config import Settings
from albumen.immich.operations import EXTENSIONS, policies
from albumen.immich.spec import operations
from albumen.main import API_PREFIX, create_app

ALBUMEN_OWN = {"albumenLiveness", "albumenReadiness"} | set(EXTENSIONS)
# The spec says 200, but Immich's server (and the mobile app) use a 307 redirect here.
STATUS_DEPARTURES = {"redirectOAuthToMobile": 307}


def routes() -> list[APIRoute]:
    app = create_app(Settings(database_url="postgresql://unused/db"))  # type: ignore[call-arg]
    return [r for r in app.routes if isinstance(r, APIRoute)]


def test_every_api_route_is_a_spec_operation_with_its_policy() -> None:
    spec_ops = operations()
    table = policies()
    for route in routes():
        if not route.path.startswith(API_PREFIX):
            continue
        assert route.operation_id, route.path
        if route.operation_id in ALBUMEN_OWN:
            continue
        assert route.operation_id in table, route.operation_id
        spec_op = spec_ops[route.operation_id]
        assert route.path == API_PREFIX + spec_op.path, route.operation_id
        assert route.methods == {spec_op.method}, route.operation_id
        expected = STATUS_DEPARTURES.get(route.operation_id, spec_op.status_code)
        assert route.status_code == expected, route.operation_id


def test_operation_table_matches_the_spec() -> None:
    assert set(policies()) == set(operations())
    assert policies()["getMyApiKey"].permission is None
    assert policies()["logout"].permission == "all"
    assert policies()["getMyUser"].permission == "user.read"
    assert policies()["login"].public
    assert policies()["searchUsersAdmin"].admin_only
