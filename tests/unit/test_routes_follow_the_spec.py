"""Every route is an Immich operation (or one of ours), at the spec's method, path and status."""

from __future__ import annotations

import csv

from fastapi.routing import APIRoute

from albumen.config import Settings
from albumen.immich.dto import Permission
from albumen.immich.operations import EXTENSIONS, OPERATIONS_TSV, policies
from albumen.immich.spec import operations
from albumen.main import API_PREFIX, create_app
from tests.support.routes import api_routes

ALBUMEN_OWN = {"albumenLiveness", "albumenReadiness"} | set(EXTENSIONS)
# The spec says 200, but Immich's server (and the mobile app) use a 307 redirect here.
STATUS_DEPARTURES = {"redirectOAuthToMobile": 307}


def routes() -> list[tuple[str, APIRoute]]:
    app = create_app(Settings(database_url="postgresql://unused/db"))  # type: ignore[call-arg]
    return api_routes(app.routes)


def test_every_api_route_is_a_spec_operation_with_its_policy() -> None:
    spec_ops = operations()
    table = policies()
    checked = 0
    for path, route in routes():
        if not path.startswith(API_PREFIX):
            continue
        checked += 1
        assert route.operation_id, route.path
        if route.operation_id in ALBUMEN_OWN:
            continue
        assert route.operation_id in table, route.operation_id
        spec_op = spec_ops[route.operation_id]
        assert path == API_PREFIX + spec_op.path, route.operation_id
        assert route.methods == {spec_op.method}, route.operation_id
        expected = STATUS_DEPARTURES.get(route.operation_id, spec_op.status_code)
        assert route.status_code == expected, route.operation_id
    assert checked > 200  # the walk reached the routers' routes


def test_operation_table_matches_the_spec() -> None:
    assert set(policies()) == set(operations())
    assert policies()["getMyApiKey"].permission is None
    assert policies()["logout"].permission is Permission.all
    assert policies()["getMyUser"].permission is Permission.user_read
    assert policies()["login"].public
    assert policies()["searchUsersAdmin"].admin_only


def test_every_permission_in_the_operation_table_is_a_permission_of_the_spec() -> None:
    """Besides Immich's words for none and `all`, the column names only members of the generated enum."""
    with OPERATIONS_TSV.open(newline="") as handle:
        named = {row["permission"] for row in csv.DictReader(handle, delimiter="\t")}
    words = {"none (permission check disabled)", "all (implicit default: API keys need the all permission)"}
    words |= {"n/a (public)"}
    unknown = {name for name in named - words if name not in {p.value for p in Permission}}
    assert not unknown, sorted(unknown)
    assert len(named - words) > 100
    policy_permissions = {p.permission for p in (*policies().values(), *EXTENSIONS.values())}
    assert all(p is None or isinstance(p, Permission) for p in policy_permissions)
