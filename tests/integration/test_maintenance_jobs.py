"""Maintenance jobs that must really do their work: the database backup (a restorable dump in the
backups location, the oldest scheduled ones pruned, nothing left by a failed dump) and the orphan sweep
(unreferenced old files go; referenced, young and unrelated files stay)."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips  # type: ignore[import-untyped]
from sqlalchemy import select

from albumen.backups import service as backups
from albumen.backups.service import BackupError, DatabaseBackupService
from albumen.jobs.repository import JobRepository
from albumen.jobs.schemas import MANUAL_JOBS, QUEUE_START_JOBS, JobName, QueueName
from albumen.models import Asset, AssetFile
from albumen.orphans.service import OrphanSweep
from albumen.system.config import SYSTEM_CONFIG_KEY
from albumen.system.repository import SystemMetadataRepository
from tests.support.assets import upload_id
from tests.support.jobs import settle
from tests.support.users import sign_up_admin

DAY = 86400.0


def library(app: Any) -> Path:
    path: Path = app.state.container.settings.media_dir
    return path


def backup_files(app: Any) -> list[str]:
    folder = library(app) / "backups"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def temporaries(app: Any) -> list[Path]:
    return [p for p in (library(app) / ".tmp").iterdir() if p.is_file()]


async def test_backup_database_job_writes_a_restorable_dump_and_keeps_the_last_n(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    folder = library(app) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    old = [f"immich-db-backup-2020010{n}T000000-v3.1.0-pg18.1.sql.gz" for n in range(1, 4)]
    for name in [*old, "uploaded-immich-db-backup-20190101T000000-v3.1.0-pg18.1.sql.gz", "notes.txt"]:
        (folder / name).write_bytes(b"x")
    async with app.state.container.database.unit_of_work() as db:
        await SystemMetadataRepository(db).set(
            SYSTEM_CONFIG_KEY, {"backup": {"database": {"keepLastAmount": 2}}}
        )

    response = await client.post("/jobs", headers=admin.headers, json={"name": "backup-database"})
    assert response.status_code == 204, response.text
    await settle(app, timeout=120)

    made = [name for name in backup_files(app) if name.startswith("immich-db-backup-") and name not in old]
    assert len(made) == 1, backup_files(app)
    assert backups.ROUTINE_BACKUP.match(made[0])
    assert "-v3.1.0-pg" in made[0]
    sql = gzip.decompress((folder / made[0]).read_bytes()).decode()
    assert "CREATE TABLE public.asset " in sql
    assert "DROP TABLE IF EXISTS public.asset;" in sql  # --clean --if-exists, as Immich dumps
    assert admin.email in sql  # the data, not just the schema
    # keepLastAmount 2: the new one and the newest old one; uploaded backups and other files are not pruned.
    assert set(backup_files(app)) == {
        made[0],
        old[-1],
        "uploaded-immich-db-backup-20190101T000000-v3.1.0-pg18.1.sql.gz",
        "notes.txt",
    }
    assert temporaries(app) == []


def fake_pg_dump(tmp_path: Path, version: str, body: str) -> Path:
    script = tmp_path / "pg_dump"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) {version}"; exit 0; fi\n'
        f"{body}\n"
    )
    script.chmod(0o755)
    return script


async def test_a_failed_dump_leaves_nothing(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = fake_pg_dump(tmp_path, "18.1", 'echo "CREATE TABLE half"; echo "connection lost" >&2; exit 1')
    monkeypatch.setattr(backups, "pg_dump_binary", lambda: binary)
    container = app.state.container
    service = DatabaseBackupService(container.database, container.storage["backups"])
    with pytest.raises(BackupError, match="pg_dump failed: connection lost"):
        await service.create()
    assert backup_files(app) == []
    assert temporaries(app) == []


async def test_a_server_newer_than_the_bundled_pg_dump_is_refused(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = fake_pg_dump(tmp_path, "12.0", "echo should-not-run; exit 0")
    monkeypatch.setattr(backups, "pg_dump_binary", lambda: binary)
    container = app.state.container
    service = DatabaseBackupService(container.database, container.storage["backups"])
    with pytest.raises(BackupError, match=r"newer than the bundled pg_dump \(12\)"):
        await service.create()
    assert backup_files(app) == []


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_the_orphan_sweep_deletes_only_old_unreferenced_files(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    photo: bytes = pyvips.Image.black(64, 48, bands=3).jpegsave_buffer(Q=80)
    await upload_id(client, admin, "kept.jpg", photo)
    await settle(app)
    container = app.state.container
    async with container.database.unit_of_work() as db:
        original = (await db.scalars(select(Asset.original_path))).one()
        derived = list((await db.scalars(select(AssetFile.path))).all())
    assert derived  # thumbnails were made: referenced files of a second kind
    root = library(app)
    referenced = [root / original, *(root / key for key in derived)]
    owner = original.split("/")[1]
    old_orphans = [root / f"upload/{owner}/aa/bb/lost.jpg", root / f"thumbs/{owner}/aa/bb/lost_preview.jpeg"]
    young_orphan = root / f"encoded-video/{owner}/cc/dd/just-written.mp4"
    unrelated = [root / "backups/immich-db-backup-1.sql.gz", root / "elsewhere/notes.txt"]
    for path in [*old_orphans, young_orphan, *unrelated]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"bytes")
    for path in [*referenced, *old_orphans, *unrelated]:
        age(path, 2 * DAY)

    deleted = await OrphanSweep(container.database, container.storage, DAY).run()

    assert deleted == len(old_orphans)
    assert not any(path.exists() for path in old_orphans)
    assert all(path.exists() for path in [*referenced, young_orphan, *unrelated])
    # The same sweep as the nightly job runs it: nothing more to do.
    assert await OrphanSweep(container.database, container.storage, DAY).run() == 0


async def test_every_startable_or_manual_job_either_runs_or_is_refused(
    client: httpx.AsyncClient, app: Any
) -> None:
    """With the server's own handlers: a name without one answers 400 and queues nothing."""
    admin = await sign_up_admin(client)
    jobs = app.state.container.jobs
    refused: list[str] = []
    for queue, (job, _) in QUEUE_START_JOBS.items():
        if jobs.has_handler(job):
            continue
        response = await client.put(f"/jobs/{queue.value}", headers=admin.headers, json={"command": "start"})
        assert response.status_code == 400, (queue, response.text)
        assert response.json()["message"] == f"Job '{job.value}' is not supported yet"
        refused.append(job.value)
    for manual, (job, _) in MANUAL_JOBS.items():
        if jobs.has_handler(job):
            continue
        response = await client.post("/jobs", headers=admin.headers, json={"name": manual.value})
        assert response.status_code == 400, (manual, response.text)
        assert response.json()["message"] == f"Job '{job.value}' is not supported yet"
        refused.append(job.value)
    async with app.state.container.database.unit_of_work() as db:
        assert [job for queue in QueueName for job in await JobRepository(db).list_jobs(queue)] == []
    assert {"SmartSearchQueueAll", "IntegrityChecksumFiles"} <= set(refused)
    assert jobs.has_handler(JobName.DatabaseBackup)
