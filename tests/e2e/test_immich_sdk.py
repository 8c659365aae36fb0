"""The real @immich/sdk (npm) against `albumen serve`: js/sdk-day.mjs makes the calls, these judge them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import JS_DIR, Node, serving
from tests.support.server import RunningServer

pytestmark = pytest.mark.e2e

# Immich's own e2e suite and many home set-ups use special-use domains (RFC 6761), which Immich accepts.
EMAIL = "admin@immich.test"
USER_EMAIL = "second.user@family.test"
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving(tmp_path_factory.mktemp("sdk") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def day(node: Node, server: RunningServer) -> dict[str, dict[str, Any]]:
    script = str(JS_DIR / "sdk-day.mjs")
    result = node.run([str(node.binary), script, server.api, EMAIL, PASSWORD, USER_EMAIL])
    assert result.returncode == 0, result.describe()
    steps: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return steps


def value(day: dict[str, dict[str, Any]], name: str) -> Any:
    outcome = day.get(name)
    assert outcome is not None, f"{name} was not reached: {json.dumps(day, indent=1)}"
    assert outcome["ok"], f"{name} failed: {outcome}"
    return outcome["value"]


def test_server_version_is_3_1_0(day: dict[str, dict[str, Any]]) -> None:
    version = value(day, "getServerVersion")
    assert (version["major"], version["minor"], version["patch"]) == (3, 1, 0)


def test_sign_up_then_login_return_the_same_admin(day: dict[str, dict[str, Any]]) -> None:
    admin = value(day, "signUpAdmin")
    assert admin["email"] == EMAIL
    assert admin["isAdmin"] is True
    assert admin["name"] == "Day One"

    session = value(day, "login")
    assert session["userId"] == admin["id"]
    assert session["userEmail"] == EMAIL
    assert session["isAdmin"] is True
    assert len(session["accessToken"]) >= 32


def test_the_session_token_reads_the_user_and_its_sessions(day: dict[str, dict[str, Any]]) -> None:
    admin = value(day, "signUpAdmin")
    me = value(day, "getMyUser")
    assert me["id"] == admin["id"]
    assert me["email"] == EMAIL

    sessions = value(day, "getSessions")
    assert len(sessions) == 1
    assert sessions[0]["current"] is True


def test_an_api_key_works_alone_and_a_wrong_one_does_not(day: dict[str, dict[str, Any]]) -> None:
    admin = value(day, "signUpAdmin")
    created = value(day, "createApiKey")
    assert created["apiKey"]["permissions"] == ["all"]
    assert created["apiKey"]["name"] == "sdk day"

    assert value(day, "getMyUserWithApiKey")["id"] == admin["id"]
    assert value(day, "getMyApiKey")["id"] == created["apiKey"]["id"]
    wrong = day["getMyUserWithWrongApiKey"]
    assert wrong["ok"] is False
    assert wrong["status"] == 401


def test_features_are_readable_without_login(day: dict[str, dict[str, Any]]) -> None:
    features = value(day, "getServerFeatures")
    assert features["passwordLogin"] is True
    assert features["oauth"] is False
    assert features["configFile"] is False
    assert features["search"] is True


def test_about_names_the_immich_version(day: dict[str, dict[str, Any]]) -> None:
    about = value(day, "getAboutInfo")
    assert about["version"] == "v3.1.0"


def test_updating_my_name_sticks(day: dict[str, dict[str, Any]]) -> None:
    assert value(day, "updateMyUser")["name"] == "Day Two"
    assert value(day, "getMyUserAfterUpdate")["name"] == "Day Two"


def test_the_admin_creates_a_user_on_a_test_address_who_logs_in(day: dict[str, dict[str, Any]]) -> None:
    created = value(day, "createUserAdmin")
    assert created["email"] == USER_EMAIL
    assert created["isAdmin"] is False
    assert created["name"] == "Second User"

    session = value(day, "loginAsUser")
    assert session["userId"] == created["id"]
    assert session["userEmail"] == USER_EMAIL
    assert session["isAdmin"] is False
    me = value(day, "getMyUserAsUser")
    assert (me["id"], me["email"]) == (created["id"], USER_EMAIL)
