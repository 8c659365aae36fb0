"""Housekeeping: trash past `trash.days` is deleted for good (rows, then files); abandoned resumable
uploads and temporaries left by crashed writers are removed."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from albumen.models import Asset
from albumen.system.tasks import run_housekeeping
from albumen.uploads.schemas import encode_metadata
from tests.support.assets import chunks_of, fake_jpeg, upload_id
from tests.support.users import sign_up_admin


async def test_old_trash_goes_recent_trash_stays(client: httpx.AsyncClient, app: Any) -> None:
    container = app.state.container
    admin = await sign_up_admin(client)
    old, recent, kept = [await upload_id(client, admin, f"{n}.jpg", fake_jpeg(n, 1000)) for n in range(3)]
    await client.request("DELETE", "/assets", headers=admin.headers, json={"ids": [old, recent]})
    async with container.database.unit_of_work() as db:
        await db.execute(
            update(Asset).where(Asset.id == old).values(deleted_at=datetime.now(UTC) - timedelta(days=31))
        )
    old_key = (await client.get(f"/assets/{old}", headers=admin.headers)).json()["originalPath"]
    originals = container.storage["originals"]
    assert await originals.exists(old_key)

    done = await run_housekeeping(container)

    assert done["trash"] == 1
    assert (await client.get(f"/assets/{old}", headers=admin.headers)).status_code == 400
    assert not await originals.exists(old_key)
    assert (await client.get(f"/assets/{recent}", headers=admin.headers)).json()["isTrashed"] is True
    assert (await client.get(f"/assets/{kept}", headers=admin.headers)).json()["isTrashed"] is False
    assert (await client.get("/users/me", headers=admin.headers)).json()["quotaUsageInBytes"] == 2000
    assert (await run_housekeeping(container))["trash"] == 0  # a second round finds nothing


async def test_abandoned_uploads_and_stale_temporaries_are_removed(
    client: httpx.AsyncClient, app: Any
) -> None:
    container = app.state.container
    admin = await sign_up_admin(client)
    tus = {**admin.headers, "Tus-Resumable": "1.0.0"}
    metadata = encode_metadata(
        {
            "filename": "a.jpg",
            "fileCreatedAt": "2024-01-01T00:00:00Z",
            "fileModifiedAt": "2024-01-01T00:00:00Z",
        }
    )
    created = await client.post(
        "/uploads", headers={**tus, "Upload-Length": "10", "Upload-Metadata": metadata}
    )
    assert created.status_code == 201, created.text
    upload_id = created.headers["location"].rsplit("/", 1)[1]
    record = container.settings.data_dir / "uploads" / f"{upload_id}.json"
    expired = {
        **json.loads(record.read_text()),
        "expires_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    record.write_text(json.dumps(expired))
    temporary = await container.storage["originals"].write_temporary(chunks_of(b"left by a crash"))
    stale = container.settings.media_dir / temporary.key
    os.utime(stale, (time.time() - 2 * 86400, time.time() - 2 * 86400))

    done = await run_housekeeping(container)

    assert done["uploads"] == 1
    assert done["temporaries"] == 1
    assert not record.exists()
    assert not stale.exists()
    assert (await client.head(f"/uploads/{upload_id}", headers=tus)).status_code == 404
