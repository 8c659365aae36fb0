"""The trigger-kept month counts answer the bucket list exactly as counting the assets does.

Random transactions (inserts, edits of every counted column, trash, restore, permanent deletion,
hard deletes, stacks created, re-primaried, left and deleted, some rolled back) run against real
PostgreSQL; after each, the month counts of many filter combinations are compared with the scan.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import Database, create_engine
from albumen.models import AssetMonthCount, User
from albumen.timeline.repository import AssetScope, TimelineRepository

VISIBILITIES = ("timeline", "archive", "hidden", "locked")
START = datetime(2024, 11, 1, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(create_engine(database_url, pool_size=2))
    try:
        yield database
    finally:
        await database.dispose()


async def _owners(database: Database, count: int) -> list[uuid.UUID]:
    async with database.unit_of_work() as db:
        users = [User(email=f"counts{n}-{uuid.uuid4()}@example.com", name=f"u{n}") for n in range(count)]
        db.add_all(users)
        await db.flush()
        return [user.id for user in users]


def _when(rng: random.Random) -> datetime:
    # A few months, and instants near month ends so the wall-clock month matters.
    return START + timedelta(
        days=rng.randrange(0, 150), hours=rng.choice((0, 12, 23)), minutes=rng.randrange(60)
    )


class Library:
    """Random changes to the assets and stacks of a few owners, through plain SQL."""

    def __init__(self, rng: random.Random, owners: list[uuid.UUID]) -> None:
        self.rng = rng
        self.owners = owners
        self.serial = itertools.count()

    async def ids(self, db: AsyncSession, where: str = "true", **params: Any) -> list[uuid.UUID]:
        found = await db.execute(text(f"SELECT id FROM asset WHERE {where} ORDER BY id"), params)
        return [row[0] for row in found]

    async def insert(self, db: AsyncSession) -> None:
        rows = []
        for _ in range(self.rng.randint(1, 6)):
            n = next(self.serial)
            trashed = self.rng.random() < 0.2
            rows.append(
                {
                    "owner": self.rng.choice(self.owners),
                    "name": f"{n}.jpg",
                    "taken": _when(self.rng),
                    "created": _when(self.rng),
                    "checksum": f"checksum {n}",
                    "visibility": self.rng.choice(VISIBILITIES),
                    "favorite": self.rng.random() < 0.3,
                    "deleted_at": _when(self.rng) if trashed else None,
                    "status": self.rng.choice(("trashed", "deleted")) if trashed else "active",
                }
            )
        # One statement for all: the trigger sees them in one transition table.
        await db.execute(
            text(
                "INSERT INTO asset (owner_id, type, original_path, original_file_name, file_created_at,"
                " file_modified_at, local_date_time, created_at, checksum, update_id, visibility,"
                " is_favorite, deleted_at, status)"
                " SELECT owner, 'IMAGE', '/p/' || name, name, taken, taken, taken, created,"
                " convert_to(checksum, 'UTF8'),"
                " gen_random_uuid(), visibility, favorite, deleted_at, status"
                " FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(owner uuid, name text,"
                " taken timestamptz, created timestamptz, checksum text, visibility text,"
                " favorite boolean, deleted_at timestamptz, status text)"
            ).bindparams(rows=json.dumps(rows, default=str)),
        )

    async def edit(self, db: AsyncSession) -> None:
        chosen = self._some(await self.ids(db))
        if not chosen:
            return
        column, value = self.rng.choice(
            [
                ("visibility", self.rng.choice(VISIBILITIES)),
                ("is_favorite", self.rng.random() < 0.5),
                ("local_date_time", _when(self.rng)),
                ("created_at", _when(self.rng)),
                ("owner_id", self.rng.choice(self.owners)),
                ("thumbhash", b"not counted"),
            ]
        )
        if column == "owner_id":  # stacks are one owner's: only assets outside stacks move
            chosen = await self.ids(db, "id = ANY(:ids) AND stack_id IS NULL", ids=chosen)
        await db.execute(
            text(f"UPDATE asset SET {column} = :value WHERE id = ANY(:ids)"),
            {"value": value, "ids": chosen},
        )

    async def trash(self, db: AsyncSession) -> None:
        chosen = self._some(await self.ids(db, "deleted_at IS NULL"))
        await db.execute(
            text("UPDATE asset SET deleted_at = now(), status = 'trashed' WHERE id = ANY(:ids)"),
            {"ids": chosen},
        )

    async def restore(self, db: AsyncSession) -> None:
        chosen = self._some(await self.ids(db, "deleted_at IS NOT NULL AND status = 'trashed'"))
        await db.execute(
            text("UPDATE asset SET deleted_at = NULL, status = 'active' WHERE id = ANY(:ids)"),
            {"ids": chosen},
        )

    async def forget(self, db: AsyncSession) -> None:
        """Trashed assets deleted for good (still rows, no longer counted)."""
        chosen = self._some(await self.ids(db, "deleted_at IS NOT NULL"))
        await db.execute(text("UPDATE asset SET status = 'deleted' WHERE id = ANY(:ids)"), {"ids": chosen})

    async def delete(self, db: AsyncSession) -> None:
        primaries = "NOT EXISTS (SELECT 1 FROM stack s WHERE s.primary_asset_id = asset.id)"
        chosen = self._some(await self.ids(db, primaries))
        await db.execute(text("DELETE FROM asset WHERE id = ANY(:ids)"), {"ids": chosen})

    async def stack(self, db: AsyncSession) -> None:
        owner = self.rng.choice(self.owners)
        free = await self.ids(db, "owner_id = :owner AND stack_id IS NULL", owner=owner)
        if len(free) < 2:
            return
        members = self.rng.sample(free, self.rng.randint(2, min(4, len(free))))
        stack_id = await db.scalar(
            text(
                "INSERT INTO stack (owner_id, primary_asset_id, update_id)"
                " VALUES (:owner, :primary, gen_random_uuid()) RETURNING id"
            ),
            {"owner": owner, "primary": members[0]},
        )
        await db.execute(
            text("UPDATE asset SET stack_id = :stack WHERE id = ANY(:ids)"),
            {"stack": stack_id, "ids": members},
        )

    async def stacks(self, db: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
        return [
            (row[0], row[1])
            for row in await db.execute(text("SELECT id, primary_asset_id FROM stack ORDER BY id"))
        ]

    async def repoint(self, db: AsyncSession) -> None:
        """A stack's primary changes (to a member, or the members move to another stack)."""
        stacks = await self.stacks(db)
        if not stacks:
            return
        stack_id, primary = self.rng.choice(stacks)
        others = await self.ids(db, "stack_id = :stack AND id <> :primary", stack=stack_id, primary=primary)
        if others:
            await db.execute(
                text("UPDATE stack SET primary_asset_id = :new WHERE id = :stack"),
                {"new": self.rng.choice(others), "stack": stack_id},
            )

    async def leave(self, db: AsyncSession) -> None:
        stacks = await self.stacks(db)
        if not stacks:
            return
        stack_id, primary = self.rng.choice(stacks)
        others = await self.ids(db, "stack_id = :stack AND id <> :primary", stack=stack_id, primary=primary)
        if others:
            await db.execute(
                text("UPDATE asset SET stack_id = NULL WHERE id = :id"), {"id": self.rng.choice(others)}
            )

    async def unstack(self, db: AsyncSession) -> None:
        """A stack deleted: its foreign key clears the members' stack_id."""
        stacks = await self.stacks(db)
        if stacks:
            await db.execute(text("DELETE FROM stack WHERE id = :id"), {"id": self.rng.choice(stacks)[0]})

    def _some(self, ids: list[uuid.UUID]) -> list[uuid.UUID]:
        return self.rng.sample(ids, min(len(ids), self.rng.randint(1, 5)))


def _scopes(owners: list[uuid.UUID]) -> list[tuple[AssetScope, bool]]:
    owner_sets = [[owner] for owner in owners] + [owners[:2]]
    combos = itertools.product(
        owner_sets, (None, *VISIBILITIES), (None, True, False), (False, True), (False, True), (False, True)
    )
    return [
        (
            AssetScope(
                owner_ids=owner_ids,
                visibility=visibility,
                is_favorite=favorite,
                is_trashed=trashed,
                primaries_only=primaries,
            ),
            by_created_at,
        )
        for owner_ids, visibility, favorite, trashed, primaries, by_created_at in combos
    ]


async def _mismatches(db: AsyncSession, scopes: list[tuple[AssetScope, bool]]) -> list[Any]:
    repository = TimelineRepository(db)
    wrong = []
    for scope, by_created_at in scopes:
        counted = await repository.buckets_json(scope, by_created_at=by_created_at, ascending=True)
        scanned = await repository.buckets_json(scope, by_created_at=by_created_at, ascending=True, scan=True)
        if json.loads(counted) != json.loads(scanned):
            wrong.append((scope, by_created_at, counted, scanned))
    return wrong


async def test_random_changes_keep_the_counts_equal_to_the_scan(database: Database) -> None:
    owners = await _owners(database, 3)
    rng = random.Random(20261203)
    library = Library(rng, owners)
    changes = [
        library.insert, library.insert, library.edit, library.edit, library.trash, library.restore,
        library.forget, library.delete, library.stack, library.stack, library.repoint, library.leave,
        library.unstack,
    ]  # fmt: skip
    scopes = _scopes(owners)
    kinds_seen: set[str] = set()
    most_stacked = 0
    for step in range(60):
        rolled_back = rng.random() < 0.1
        async with database.sessions() as db:
            for change in rng.sample(changes, rng.randint(1, 4)):
                await change(db)
                kinds_seen.add(change.__name__)
            await (db.rollback() if rolled_back else db.commit())
        async with database.unit_of_work() as db:
            wrong = await _mismatches(db, rng.sample(scopes, 12))
            assert not wrong, (step, wrong[0])
            stacked = await db.scalar(text("SELECT count(*) FROM asset WHERE stack_id IS NOT NULL"))
            most_stacked = max(most_stacked, stacked or 0)
            if step % 20 == 19:
                await TimelineRepository(db).compact_month_counts()
    async with database.unit_of_work() as db:
        assert not await _mismatches(db, scopes)
        total = await db.scalar(
            text("SELECT count(*) FROM asset WHERE deleted_at IS NULL OR status <> 'deleted'")
        )
        assert total
        assert await db.scalar(select(func.sum(AssetMonthCount.count))) == total
    assert most_stacked >= 6, "the run should have had stacks to hide members behind"
    assert kinds_seen == {change.__name__ for change in changes}


async def test_concurrent_writers_to_one_month_never_wait_and_compaction_folds_them(
    database: Database,
) -> None:
    """Two open transactions add to the same class: the second adds a row instead of waiting for the
    first's commit; the sum is right; compaction leaves one row per class and drops zeros."""
    (owner,) = await _owners(database, 1)
    insert = text(
        "INSERT INTO asset (owner_id, type, original_path, original_file_name, file_created_at,"
        " file_modified_at, local_date_time, checksum, update_id)"
        " VALUES (:owner, 'IMAGE', '/p/' || :name, :name, :taken, :taken, :taken, :checksum,"
        " gen_random_uuid())"
    )
    taken = datetime(2025, 3, 14, 12, tzinfo=UTC)

    def values(n: int) -> dict[str, Any]:
        return {"owner": owner, "name": f"{n}.jpg", "taken": taken, "checksum": n.to_bytes(4, "big")}

    async with database.unit_of_work() as db:  # the class's first row exists, unlocked
        await db.execute(insert, values(0))
    async with database.sessions() as first, database.sessions() as second:
        await first.execute(insert, values(1))  # holds the class's row until it commits
        await asyncio.wait_for(second.execute(insert, values(2)), timeout=10)  # no wait on `first`
        await second.commit()
        await first.commit()
    march = AssetScope(owner_ids=[owner], visibility="timeline")
    async with database.unit_of_work() as db:
        rows = (
            await db.scalars(select(AssetMonthCount.count).where(AssetMonthCount.owner_id == owner))
        ).all()
        assert sorted(rows) == [1, 2]
        listed = await TimelineRepository(db).buckets_json(march, by_created_at=False, ascending=False)
        assert json.loads(listed) == [{"timeBucket": "2025-03-01", "count": 3}]
        await db.execute(text("DELETE FROM asset WHERE original_file_name = '0.jpg'"))
        assert await TimelineRepository(db).compact_month_counts() == 1
        rows = (
            await db.scalars(select(AssetMonthCount.count).where(AssetMonthCount.owner_id == owner))
        ).all()
        assert rows == [2]
        await db.execute(text("DELETE FROM asset WHERE owner_id = :owner"), {"owner": owner})
        assert await TimelineRepository(db).compact_month_counts() == 1
        assert not (
            await db.scalars(select(AssetMonthCount.id).where(AssetMonthCount.owner_id == owner))
        ).all()
