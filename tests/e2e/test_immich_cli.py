"""The real @immich/cli (npm) against `albumen serve` on an empty data dir with the embedded database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from albumen.kit.crypto import random_token
from tests.e2e.harness import ADMIN_EMAIL, JS_DIR, Completed, Node, serving
from tests.support.server import RunningServer
from tests.support.users import create_api_key, create_user, sign_up_admin

pytestmark = pytest.mark.e2e

CLI = JS_DIR / "node_modules" / ".bin" / "immich"
KEY_PERMISSIONS = {"all": ["all"], "about": ["server.about"], "user": ["user.read"]}
USER_EMAIL = "photographer@home.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving(tmp_path_factory.mktemp("cli") / "data") as running:
        yield running


@pytest.fixture(scope="module")
async def keys(server: RunningServer) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server.api) as http:
        admin = await sign_up_admin(http, ADMIN_EMAIL)
        keys = {name: await create_api_key(http, admin, perms) for name, perms in KEY_PERMISSIONS.items()}
        user = await create_user(http, admin, USER_EMAIL)
        return keys | {"test-user": await create_api_key(http, user, ["all"])}


def immich(node: Node, config_dir: Path, *args: str) -> Completed:
    """Runs the CLI with its own config dir (where `login` writes auth.yml) and no inherited credentials."""
    env = {"IMMICH_CONFIG_DIR": str(config_dir), "IMMICH_INSTANCE_URL": "", "IMMICH_API_KEY": ""}
    return node.run([str(CLI), *args], env=env)


def test_login_with_a_full_access_key_saves_the_credentials(
    node: Node, server: RunningServer, keys: dict[str, str], tmp_path: Path
) -> None:
    result = immich(node, tmp_path, "login", server.api, keys["all"])

    assert result.returncode == 0, result.describe()
    assert f"Logged in as {ADMIN_EMAIL}" in result.stdout
    auth = (tmp_path / "auth.yml").read_text()
    assert server.api in auth
    assert keys["all"] in auth


def test_a_user_on_a_test_address_logs_in(
    node: Node, server: RunningServer, keys: dict[str, str], tmp_path: Path
) -> None:
    result = immich(node, tmp_path, "login", server.api, keys["test-user"])

    assert result.returncode == 0, result.describe()
    assert f"Logged in as {USER_EMAIL}" in result.stdout


def test_server_info_prints_version_formats_and_statistics(
    node: Node, server: RunningServer, keys: dict[str, str], tmp_path: Path
) -> None:
    login = immich(node, tmp_path, "login", server.api, keys["all"])
    assert login.returncode == 0, login.describe()

    result = immich(node, tmp_path, "server-info")  # reads the credentials that login saved

    assert result.returncode == 0, result.describe()
    out = result.stdout
    assert f"Server Info (via {ADMIN_EMAIL})" in out
    assert f"Url: {server.api}" in out
    assert re.search(r"^\s*Version: 3\.1\.0$", out, re.MULTILINE), out
    image_formats = re.search(r"Formats:\n\s*Images: (\S+)\n\s*Videos: (\S+)", out)
    assert image_formats, out
    assert {"jpg", "jpeg", "heic", "png"} <= set(image_formats.group(1).split(","))
    assert {"mp4", "mov"} <= set(image_formats.group(2).split(","))
    # An empty library: nothing has been uploaded.
    assert re.search(r"Statistics:\n\s*Images: 0\n\s*Videos: 0\n\s*Total: 0", out), out


def test_a_key_without_user_read_cannot_log_in(
    node: Node, server: RunningServer, keys: dict[str, str], tmp_path: Path
) -> None:
    result = immich(node, tmp_path, "login", server.api, keys["about"])

    assert result.returncode != 0, result.describe()
    assert "Failed to connect to server" in result.stderr
    assert ": 403" in result.stderr
    assert not (tmp_path / "auth.yml").exists()


def test_an_unknown_key_is_refused(node: Node, server: RunningServer, tmp_path: Path) -> None:
    # Shaped like a real key (word characters only), so the CLI never reads it as an option.
    result = immich(node, tmp_path, "login", server.api, random_token())

    assert result.returncode != 0, result.describe()
    assert ": 401" in result.stderr
    assert not (tmp_path / "auth.yml").exists()


def test_server_info_names_the_permissions_a_key_lacks(
    node: Node, server: RunningServer, keys: dict[str, str], tmp_path: Path
) -> None:
    # user.read is enough to log in; server-info reads /api-keys/me and stops on what is missing.
    login = immich(node, tmp_path, "login", server.api, keys["user"])
    assert login.returncode == 0, login.describe()

    result = immich(node, tmp_path, "server-info")

    assert result.returncode != 0, result.describe()
    assert "Missing required permissions" in result.stdout
    assert '"server.about"' in result.stdout
    assert '"asset.statistics"' in result.stdout
    assert '"user.read"' not in result.stdout
