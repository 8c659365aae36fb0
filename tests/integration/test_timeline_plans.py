"""The timeline's hot queries are served by its indexes, not by reading the whole asset table; the
month list of a timeline reads the trigger-kept month counts and not the assets at all.

A seeded, analysed table (many owners, years of photos, some hidden/archived/trashed) and the exact
statements the repository sends, captured as they run and then EXPLAINed with the same parameters.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import Database, create_engine
from albumen.models import User
from albumen.timeline.repository import AssetScope, BucketRequest, TimelineRepository

OWNERS = 25
ASSETS = 50_000

SEED = text(
    """
    INSERT INTO asset (owner_id, type, original_path, original_file_name, file_created_at,
                       file_modified_at, local_date_time, created_at, checksum, update_id, visibility,
                       deleted_at, status, width, height, is_favorite)
    SELECT owners[1 + i % cardinality(owners)], 'IMAGE', '/photos/' || i || '.jpg', i || '.jpg', taken,
           taken, taken, taken + interval '1 day', int4send(i), gen_random_uuid(),
           CASE WHEN i % 10 = 0 THEN 'hidden' WHEN i % 7 = 0 THEN 'archive' ELSE 'timeline' END,
           CASE WHEN i % 50 = 0 THEN taken END, CASE WHEN i % 50 = 0 THEN 'trashed' ELSE 'active' END,
           4000, 3000, i % 13 = 0
    FROM generate_series(1, :count) AS i,
         LATERAL (SELECT timestamptz '2014-01-01' + i * interval '90 minutes') AS t(taken),
         (SELECT array_agg(id ORDER BY id) FROM "user") AS u(owners)
    """
)


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[tuple[Database, list[uuid.UUID]]]:
    database = Database(create_engine(database_url, pool_size=1))
    try:
        async with database.unit_of_work() as db:
            users = [User(email=f"user{n}@example.com", name=f"user{n}") for n in range(OWNERS)]
            db.add_all(users)
            await db.flush()
            await db.execute(SEED, {"count": ASSETS})
            await db.execute(
                text("INSERT INTO asset_exif (asset_id, update_id) SELECT id, gen_random_uuid() FROM asset")
            )
            owner_ids = sorted(user.id for user in users)
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE asset"))
            await connection.execute(text("VACUUM ANALYZE asset_exif"))
            await connection.execute(text("VACUUM ANALYZE asset_month_count"))
        yield database, owner_ids
    finally:
        await database.dispose()


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


async def _explain(db: AsyncSession, run: Any) -> list[list[dict[str, Any]]]:
    """Runs `run` (repository calls) and returns the plan nodes of each statement it sent."""
    captured: list[tuple[str, Any]] = []
    connection = await db.connection()
    sync_engine = connection.sync_connection.engine  # type: ignore[union-attr]

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        await run()
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    plans = []
    for statement, parameters in captured:
        result = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        document = result.scalar_one()
        (explained,) = json.loads(document) if isinstance(document, str) else document
        plans.append(list(_plan_nodes(explained["Plan"])))
    return plans


def _summary(nodes: list[dict[str, Any]]) -> list[str]:
    return [
        f"{node['Node Type']} {node.get('Relation Name', '')} {node.get('Index Name', '')}" for node in nodes
    ]


def _assert_indexed(nodes: list[dict[str, Any]], indexes: set[str] | None, what: str) -> None:
    """No sequential scan of asset; one of `indexes` used (any index on asset when None)."""
    on_asset = [node for node in nodes if node.get("Relation Name") == "asset"]
    assert on_asset, (what, _summary(nodes))
    assert not any(node["Node Type"] == "Seq Scan" for node in on_asset), (what, _summary(nodes))
    used = {node.get("Index Name") for node in nodes} - {None}
    assert used & indexes if indexes is not None else used, (what, _summary(nodes))


def _assert_month_counts(nodes: list[dict[str, Any]], what: str) -> None:
    """The month list of a filter the counts cover reads asset_month_count by its index, never asset."""
    relations = {node.get("Relation Name") for node in nodes} - {None}
    assert relations == {"asset_month_count"}, (what, _summary(nodes))
    assert MONTH_COUNT_INDEX in {node.get("Index Name") for node in nodes}, (what, _summary(nodes))


MONTH_COUNT_INDEX = "ix_asset_month_count_owner_id_visibility_taken_month"
TAKEN = {"ix_asset_timeline_taken"}
# By upload date the planner may also walk the plain created_at index in order (cheap when the month
# holds few other owners' assets); either way no sequential scan.
CREATED = {"ix_asset_timeline_created", "ix_asset_created_at"}
MAY_2020 = BucketRequest(
    start=datetime(2020, 5, 1, tzinfo=UTC), end=datetime(2020, 6, 1, tzinfo=UTC), caller_id=uuid.uuid4()
)


async def test_bucket_queries_use_the_timeline_indexes(seeded: tuple[Database, list[uuid.UUID]]) -> None:
    database, owners = seeded
    me, partner = owners[0], owners[1]
    # The web's own requests must use the timeline indexes; narrower filters any index on asset (the
    # planner may prefer the owner/date one when it reads the heap for the filter anyway).
    scopes = {
        "web timeline": (AssetScope(owner_ids=[me], visibility="timeline"), True),
        "default visibility": (AssetScope(owner_ids=[me]), True),
        "with partners and stacks": (
            AssetScope(owner_ids=[me, partner], visibility="timeline", primaries_only=True),
            True,
        ),
        "archive": (AssetScope(owner_ids=[me], visibility="archive"), False),
        "favorites": (AssetScope(owner_ids=[me], visibility="timeline", is_favorite=True), False),
    }
    async with database.unit_of_work() as db:
        repository = TimelineRepository(db)
        for name, (scope, strict) in scopes.items():
            for by_created_at, indexes in ((False, TAKEN), (True, CREATED)):
                request = BucketRequest(
                    start=MAY_2020.start,
                    end=MAY_2020.end,
                    caller_id=me,
                    by_created_at=by_created_at,
                    with_stack=scope.primaries_only,
                )

                async def run(scope: AssetScope = scope, request: BucketRequest = request) -> None:
                    assert json.loads(
                        await repository.buckets_json(
                            scope, by_created_at=request.by_created_at, ascending=False
                        )
                    )
                    await repository.bucket_json(scope, request)

                buckets_plan, bucket_plan = await _explain(db, run)
                what = f"{name}, by_created_at={by_created_at}"
                _assert_month_counts(buckets_plan, f"buckets: {what}")
                _assert_indexed(bucket_plan, indexes if strict else None, f"bucket: {what}")


async def test_the_scanned_bucket_list_reads_only_the_index(seeded: tuple[Database, list[uuid.UUID]]) -> None:
    """Counted from the assets (the path of album, person, tag and bbox filters), the months of a
    timeline need no heap access: an index-only scan."""
    database, owners = seeded
    async with database.unit_of_work() as db:
        repository = TimelineRepository(db)

        async def run() -> None:
            await repository.buckets_json(
                AssetScope(owner_ids=[owners[0]], visibility="timeline"),
                by_created_at=False,
                ascending=False,
                scan=True,
            )

        (plan,) = await _explain(db, run)
    scans = [node for node in plan if node.get("Relation Name") == "asset"]
    assert [node["Node Type"] for node in scans] == ["Index Only Scan"], _summary(plan)
