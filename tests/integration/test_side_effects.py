"""Events and jobs leave a unit of work only after it commits (kit/effects.py), with real PostgreSQL:
through the API (an in-process server whose service fails after recording them) and on the unit of
work itself."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from albumen.assets.repository import AssetRepository
from albumen.assets.service import AssetService
from albumen.events.bus import ClientEvent
from albumen.jobs.schemas import JobName
from albumen.kit.db import Database, create_engine
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest
from albumen.models import Asset
from tests.support.assets import upload_asset
from tests.support.jobs import settle
from tests.support.users import sign_up_admin


class Sent:
    """What the container's bus and job queue received, and whether the asset's row was committed
    (visible to another transaction, as the job's will be) at that moment."""

    def __init__(self, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.container = app.state.container
        self.jobs: list[tuple[JobName, dict[str, Any], str | None, Asset | None]] = []
        self.events: list[tuple[ClientEvent, list[Asset | None]]] = []
        real_enqueue = self.container.jobs.enqueue

        async def enqueue(
            name: JobName, data: Mapping[str, Any] | None = None, *, key: str | None = None, **more: Any
        ) -> str | None:
            asset_id = uuid.UUID(str((data or {})["id"])) if "id" in (data or {}) else None
            self.jobs.append((name, dict(data or {}), key, await self.row(asset_id) if asset_id else None))
            return await real_enqueue(name, data, key=key, **more)

        async def published(event: ClientEvent) -> None:
            ids = event.args[0] if isinstance(event.args[0], list) else [event.args[0]]
            self.events.append((event, [await self.row(uuid.UUID(str(i))) for i in ids]))

        monkeypatch.setattr(self.container.jobs, "enqueue", enqueue)
        self.container.events.subscribe(published)

    async def row(self, asset_id: uuid.UUID) -> Asset | None:
        async with self.container.database.unit_of_work() as db:
            return await AssetRepository(db).get(asset_id)


class Boom(BadRequest):
    """The request fails after the service recorded its effects, so its transaction rolls back."""


def fail_after(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    original = getattr(AssetService, method)

    async def then_fail(self: AssetService, *args: Any, **kwargs: Any) -> Any:
        await original(self, *args, **kwargs)
        raise Boom("failed after the service recorded its effects")

    monkeypatch.setattr(AssetService, method, then_fail)


async def test_a_committed_upload_queues_its_job_once_the_row_is_visible(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Sent(app, monkeypatch)
    admin = await sign_up_admin(client)
    asset_id = (await upload_asset(client, admin, "kept.jpg")).json()["id"]
    metadata_jobs = [job for job in sent.jobs if job[0] == JobName.AssetExtractMetadata]
    assert metadata_jobs[0][:3] == (JobName.AssetExtractMetadata, {"id": asset_id}, asset_id)
    row = metadata_jobs[0][3]
    assert row is not None
    assert str(row.id) == asset_id


async def test_a_failed_upload_queues_nothing(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Sent(app, monkeypatch)
    admin = await sign_up_admin(client)
    fail_after(monkeypatch, "_store_upload")
    failed = await upload_asset(client, admin, "lost.jpg", expect=400)
    assert failed.json()["message"] == "failed after the service recorded its effects"
    assert sent.jobs == []
    statistics = await client.get("/assets/statistics", headers=admin.headers)
    assert statistics.json()["total"] == 0


async def test_a_committed_trash_is_announced_after_the_commit(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await sign_up_admin(client)
    asset_id = (await upload_asset(client, admin, "trashed.jpg")).json()["id"]
    sent = Sent(app, monkeypatch)
    deleted = await client.request("DELETE", "/assets", headers=admin.headers, json={"ids": [asset_id]})
    assert deleted.status_code == 204, deleted.text
    assert [event for event, _ in sent.events] == [
        ClientEvent("on_asset_trash", ([asset_id],), admin.user_id)
    ]
    (row,) = sent.events[0][1]
    assert row is not None
    assert row.deleted_at is not None  # the trashing was committed when the clients heard of it


async def test_a_failed_trash_tells_no_one(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await sign_up_admin(client)
    asset_id = (await upload_asset(client, admin, "kept.jpg")).json()["id"]
    sent = Sent(app, monkeypatch)
    fail_after(monkeypatch, "delete")
    for force in (False, True):
        failed = await client.request(
            "DELETE", "/assets", headers=admin.headers, json={"ids": [asset_id], "force": force}
        )
        assert failed.status_code == 400, failed.text
    assert sent.events == []
    row = await sent.row(uuid.UUID(asset_id))
    assert row is not None
    assert row.deleted_at is None
    original = await client.get(f"/assets/{asset_id}/original", headers=admin.headers)
    assert original.status_code == 200  # the file of the rolled-back purge is still there


async def test_a_failed_job_request_queues_nothing(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await sign_up_admin(client)
    asset_id = (await upload_asset(client, admin, "again.jpg")).json()["id"]
    await settle(app)  # the upload's own chain would queue its next steps while this test records
    sent = Sent(app, monkeypatch)
    body = {"assetIds": [asset_id], "name": "regenerate-thumbnail"}
    fail_after(monkeypatch, "queue_jobs")
    assert (await client.post("/assets/jobs", headers=admin.headers, json=body)).status_code == 400
    assert sent.jobs == []
    monkeypatch.undo()
    sent = Sent(app, monkeypatch)
    assert (await client.post("/assets/jobs", headers=admin.headers, json=body)).status_code == 204
    assert [job[:3] for job in sent.jobs] == [(JobName.AssetGenerateThumbnails, {"id": asset_id}, asset_id)]


class Recorder:
    """A delivery (the container's role) that records what reaches it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.events = self
        self.jobs = self

    async def publish(self, event: ClientEvent) -> None:
        self.sent.append(f"event {event.name}")

    async def enqueue(
        self, name: JobName, data: Mapping[str, Any] | None = None, *, key: str | None = None, **more: Any
    ) -> str:
        self.sent.append(f"job {name}")
        return "queued"


@pytest.fixture
async def database(database_url: str) -> Any:
    database = Database(create_engine(database_url, pool_size=2))
    yield database
    await database.dispose()


async def test_the_unit_of_work_sends_in_order_after_commit_and_undoes_on_rollback(
    database: Database,
) -> None:
    recorder = Recorder()
    database.delivery = recorder
    ran: list[str] = []

    async def note(what: str) -> None:
        ran.append(what)

    async def record_then_fail() -> None:
        async with database.unit_of_work() as db:
            effects = side_effects(db)
            effects.emit(ClientEvent("on_asset_trash", ([],), "someone"))
            effects.queue(JobName.AssetExtractMetadata, {"id": "x"})
            effects.after_commit(lambda: note("after commit"))
            effects.on_rollback(lambda: note("undo"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        await record_then_fail()
    assert recorder.sent == []
    assert ran == ["undo"]

    async with database.unit_of_work() as db:
        effects = side_effects(db)
        effects.queue(JobName.AssetExtractMetadata, {"id": "x"})
        effects.after_commit(lambda: note("after commit"))
        effects.emit(ClientEvent("on_asset_trash", ([],), "someone"))
        effects.on_rollback(lambda: note("not this"))
        assert recorder.sent == []  # nothing leaves before the commit
    assert recorder.sent == [f"job {JobName.AssetExtractMetadata}", "event on_asset_trash"]
    assert ran == ["undo", "after commit"]
    with pytest.raises(RuntimeError, match="after its unit of work ended"):
        effects.emit(ClientEvent("late", ()))


async def test_a_failing_effect_does_not_stop_the_others(database: Database) -> None:
    ran: list[str] = []

    async def fail() -> None:
        raise OSError("disk gone")

    async def note() -> None:
        ran.append("second")

    async def record() -> None:
        async with database.unit_of_work() as db:
            side_effects(db).after_commit(fail)
            side_effects(db).after_commit(note)

    with pytest.raises(OSError, match="disk gone"):
        await record()
    assert ran == ["second"]


async def test_events_and_jobs_need_somewhere_to_go(database: Database) -> None:
    async with database.unit_of_work() as db:
        with pytest.raises(RuntimeError, match="nowhere to send"):
            side_effects(db).queue(JobName.AssetExtractMetadata, {"id": "x"})
        with pytest.raises(RuntimeError, match="nowhere to send"):
            side_effects(db).emit(ClientEvent("on_asset_trash", ([],), "someone"))
