"""The operator's commands: `albumen migrate`, `albumen admin list-users / reset-admin-password`, and the
server's structured logs, all against a real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import serving
from tests.support.databases import with_database
from tests.support.server import ALBUMEN
from tests.support.users import ADMIN_EMAIL, ADMIN_PASSWORD, sign_up_admin

pytestmark = pytest.mark.e2e


def albumen(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALBUMEN_")}
    env.update(ALBUMEN_DATABASE_URL=database_url, ALBUMEN_DATA_DIR=str(data_dir))
    return subprocess.run(
        [*ALBUMEN, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def _empty_database(postgres_url: str, name: str) -> str:
    import asyncpg

    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(postgres_url, name)


async def test_migrate_then_admin_commands(postgres_url: str, tmp_path: Path) -> None:
    url = await _empty_database(postgres_url, "albumen_admin_commands")
    data_dir = tmp_path / "data"
    migrated = albumen("migrate", database_url=url, data_dir=data_dir)
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout

    no_admin = albumen("admin", "reset-admin-password", database_url=url, data_dir=data_dir)
    assert no_admin.returncode == 1
    assert "no admin account" in no_admin.stderr

    with serving(data_dir, url) as server:
        async with httpx.AsyncClient(base_url=server.api) as http:
            await sign_up_admin(http)
        log_lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    requests = [entry for entry in log_lines if entry.get("event") == "request"]
    assert any(entry["path"] == "/api/auth/admin-sign-up" and entry["status"] == 201 for entry in requests)
    assert all({"timestamp", "level", "correlation_id", "duration_ms"} <= entry.keys() for entry in requests)

    listed = albumen("admin", "list-users", database_url=url, data_dir=data_dir)
    assert listed.returncode == 0, listed.stderr
    assert ADMIN_EMAIL in listed.stdout
    assert "admin" in listed.stdout

    reset = albumen(
        "admin", "reset-admin-password", "--password", "brand-new-secret", database_url=url, data_dir=data_dir
    )
    assert reset.returncode == 0, reset.stderr
    assert "brand-new-secret" in reset.stdout

    with serving(data_dir, url) as server:
        async with httpx.AsyncClient(base_url=server.api) as http:
            old = await http.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            assert old.status_code == 401
            new = await http.post("/auth/login", json={"email": ADMIN_EMAIL, "password": "brand-new-secret"})
            assert new.status_code == 201
            assert new.json()["shouldChangePassword"] is True


def test_bad_settings_stop_the_start_with_one_line(tmp_path: Path) -> None:
    result = albumen("serve", database_url="postgresql://nobody@127.0.0.1:1/none", data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ALBUMEN_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("ALBUMEN_STORAGE__ORIGINALS", "ftp://files.example/photos", "unknown storage scheme 'ftp'"),
        (
            "ALBUMEN_STORAGE__THUMBNAILS",
            "s3://thumbs?endpoint=http://127.0.0.1:1&region=us-east-1",
            "thumbnails",
        ),
        (
            "ALBUMEN_STORAGE__PROFILE",
            "rclone://no-such-remote:bucket",
            "rclone could not serve no-such-remote",
        ),
    ],
)
def test_bad_storage_stops_the_start_with_one_line(
    tmp_path: Path, setting: str, value: str, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALBUMEN_")}
    env.update(
        {setting: value, "ALBUMEN_DATA_DIR": str(tmp_path), "RCLONE_CONFIG": str(tmp_path / "none.conf")}
    )
    (tmp_path / "none.conf").write_text("")
    result = subprocess.run(
        [*ALBUMEN, "serve"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line
    assert setting in line
    assert expected in line
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()


@pytest.mark.parametrize("fault", ["wrong secret", "missing bucket"])
def test_wrong_s3_credentials_or_bucket_stop_the_start(tmp_path: Path, fault: str) -> None:
    from tests.support.s3 import running_s3

    with running_s3(tmp_path / "s3") as s3:
        bucket = "no-such-bucket" if fault == "missing bucket" else s3.bucket
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALBUMEN_")}
        env.update(
            ALBUMEN_DATA_DIR=str(tmp_path / "data"),
            ALBUMEN_STORAGE__ORIGINALS=f"s3://{bucket}/library?endpoint={s3.endpoint}&region=us-east-1",
            AWS_ACCESS_KEY_ID=s3.access_key,
            AWS_SECRET_ACCESS_KEY="wrong-secret" if fault == "wrong secret" else s3.secret_key,
        )
        result = subprocess.run(
            [*ALBUMEN, "serve"], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 2, result.stderr
    assert "ALBUMEN_STORAGE__ORIGINALS" in result.stderr
    assert "wrong-secret" not in result.stderr
    assert s3.secret_key not in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
