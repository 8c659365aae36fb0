"""benchmarks/seed.py: a small seeded library is consistent, fits the schema, reads back through the API."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.users import login

ROOT = Path(__file__).resolve().parents[2]
ASSETS, PARTNER_ASSETS, ALBUMS, STACKS, PEOPLE = 2_000, 400, 6, 40, 12


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


seed = _load("seed")


async def _indexes(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    return {row["indexname"] for row in rows}


@pytest.fixture
async def seeded(database_url: str) -> tuple[Any, set[str], set[str]]:
    connection = await asyncpg.connect(database_url)
    try:
        before = await _indexes(connection)
        plan = seed.Plan(ASSETS, PARTNER_ASSETS, ALBUMS, STACKS, PEOPLE, 0.3, seed=7)
        report = await seed.seed(database_url, plan)
        after = await _indexes(connection)
    finally:
        await connection.close()
    return report, before, after


async def test_seeded_rows_are_consistent(database_url: str, seeded: tuple[Any, set[str], set[str]]) -> None:
    report, indexes_before, indexes_after = seeded
    main, partner = report.main_id, report.partner_id
    assert indexes_after == indexes_before  # the indexes dropped for the load are all back
    assert report.rows["asset"] == ASSETS + PARTNER_ASSETS
    connection = await asyncpg.connect(database_url)
    try:
        owners = dict(await connection.fetch("SELECT owner_id, count(*) FROM asset GROUP BY owner_id"))
        assert owners == {main: ASSETS, partner: PARTNER_ASSETS}
        # Every asset has its EXIF and job status row.
        assert await connection.fetchval("SELECT count(*) FROM asset_exif") == ASSETS + PARTNER_ASSETS
        assert await connection.fetchval("SELECT count(*) FROM asset_job_status") == ASSETS + PARTNER_ASSETS
        assert await connection.fetchval(
            "SELECT count(*) FROM asset a LEFT JOIN asset_exif e ON e.asset_id = a.id"
            " WHERE e.asset_id IS NULL"
        ) == 0  # fmt: skip
        # Stacks: 2-5 members of one owner, the primary among them.
        stacks = await connection.fetch(
            "SELECT s.id, s.owner_id, s.primary_asset_id, p.stack_id AS primary_stack,"
            " (SELECT count(*) FROM asset m WHERE m.stack_id = s.id) AS members,"
            " (SELECT count(DISTINCT m.owner_id) FROM asset m WHERE m.stack_id = s.id) AS owners"
            " FROM stack s JOIN asset p ON p.id = s.primary_asset_id"
        )  # fmt: skip
        assert len([s for s in stacks if s["owner_id"] == main]) == STACKS
        assert [s for s in stacks if s["owner_id"] == partner]  # scaled to its library
        for stack in stacks:
            assert stack["primary_stack"] == stack["id"]
            assert 2 <= stack["members"] <= 5
            assert stack["owners"] == 1
        assert await connection.fetchval(
            "SELECT count(*) FROM asset WHERE stack_id IS NOT NULL AND stack_id NOT IN (SELECT id FROM stack)"
        ) == 0  # fmt: skip
        # The partner shares with the main user, in their timeline; the first album is shared back.
        partners = await connection.fetch("SELECT shared_by_id, shared_with_id, in_timeline FROM partner")
        assert [tuple(row) for row in partners] == [(partner, main, True)]
        shared = await connection.fetch("SELECT album_id, role FROM album_user WHERE user_id = $1", partner)
        assert [row["role"] for row in shared] == ["editor"]
        assert await connection.fetchval("SELECT count(*) FROM album") == ALBUMS
        assert await connection.fetchval(
            "SELECT count(*) FROM album_asset aa JOIN asset a ON a.id = aa.asset_id WHERE a.owner_id <> $1",
            main,
        ) == 0  # fmt: skip
        # Faces: on their owner's photos only, and each person with a face has its thumbnail face.
        assert await connection.fetchval(
            "SELECT count(*) FROM asset_face f JOIN asset a ON a.id = f.asset_id"
            " JOIN person p ON p.id = f.person_id"
            " WHERE a.owner_id <> p.owner_id OR a.type <> 'IMAGE'"
        ) == 0  # fmt: skip
        assert await connection.fetchval("SELECT count(*) FROM asset_face") > ASSETS * 0.2
        assert await connection.fetchval(
            "SELECT count(*) FROM person p WHERE face_asset_id IS NULL"
            " AND EXISTS (SELECT 1 FROM asset_face f WHERE f.person_id = p.id)"
        ) == 0  # fmt: skip
        # Update ids are UUIDv7 (the sync stream pages by them); ids are v4.
        versions = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE substr(update_id::text, 15, 1) <> '7') AS not_v7,"
            " count(*) FILTER (WHERE substr(id::text, 15, 1) <> '4') AS not_v4 FROM asset"
        )  # fmt: skip
        assert tuple(versions) == (0, 0)
        # Realistic spread: local time within a zone's offset of UTC, ~60 % located, places only with GPS.
        spread = await connection.fetchrow(
            "SELECT min(extract(epoch FROM a.local_date_time - a.file_created_at)) AS min_offset,"
            " max(extract(epoch FROM a.local_date_time - a.file_created_at)) AS max_offset,"
            " avg((e.latitude IS NOT NULL)::int) AS located,"
            " count(*) FILTER (WHERE (e.latitude IS NULL) <> (e.city IS NULL)) AS mismatched,"
            " count(DISTINCT date_trunc('year', a.file_created_at)) AS years,"
            " count(*) FILTER (WHERE a.type = 'VIDEO' AND a.duration IS NULL) AS videos_without_duration"
            " FROM asset a JOIN asset_exif e ON e.asset_id = a.id"
        )  # fmt: skip
        assert -12 * 3600 <= spread["min_offset"] < spread["max_offset"] <= 14 * 3600
        assert 0.45 < spread["located"] < 0.75
        assert spread["mismatched"] == 0
        assert spread["videos_without_duration"] == 0
        assert spread["years"] >= 15
    finally:
        await connection.close()


async def test_seeded_library_reads_back_through_the_api(
    client: httpx.AsyncClient, database_url: str, seeded: tuple[Any, set[str], set[str]]
) -> None:
    report = seeded[0]
    me = await login(client, seed.MAIN_EMAIL, seed.PASSWORD)
    partner = await login(client, seed.PARTNER_EMAIL, seed.PASSWORD)
    assert me.user_id == str(report.main_id)
    connection = await asyncpg.connect(database_url)
    try:
        expected = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE type = 'IMAGE') AS images, count(*) FILTER (WHERE type = 'VIDEO')"
            " AS videos FROM asset WHERE owner_id = $1 AND deleted_at IS NULL"
            " AND visibility IN ('timeline', 'archive')",
            report.main_id,
        )  # fmt: skip
        partner_asset = await connection.fetchval(
            "SELECT a.id FROM asset a JOIN asset_exif e ON e.asset_id = a.id"
            " WHERE a.owner_id = $1 AND e.city IS NOT NULL AND a.deleted_at IS NULL LIMIT 1",
            report.partner_id,
        )  # fmt: skip
    finally:
        await connection.close()
    statistics = await client.get("/assets/statistics", headers=me.headers)
    assert statistics.status_code == 200, statistics.text
    assert statistics.json() == {
        "images": expected["images"],
        "videos": expected["videos"],
        "total": expected["images"] + expected["videos"],
    }
    assert expected["images"] + expected["videos"] < ASSETS  # some were trashed
    albums = await client.get("/albums", headers=me.headers)
    assert albums.status_code == 200, albums.text
    assert len(albums.json()) == ALBUMS
    shared = await client.get("/albums", headers=partner.headers, params={"shared": "true"})
    assert [album["albumName"] for album in shared.json()] == ["Shared with partner"]
    assert shared.json()[0]["assetCount"] > 0
    # The partner's photo is visible to the main user, with its place.
    asset = await client.get(f"/assets/{partner_asset}", headers=me.headers)
    assert asset.status_code == 200, asset.text
    assert asset.json()["ownerId"] == str(report.partner_id)
    assert asset.json()["exifInfo"]["city"]


async def test_browse_raw_sql_reads_the_seeded_library(
    client: httpx.AsyncClient, database_url: str, seeded: tuple[Any, set[str], set[str]]
) -> None:
    """The baselines browse.py sets the endpoints against return what the endpoints have to."""
    browse = _load("browse")
    report = seeded[0]
    me, everyone = report.main_id, [report.main_id, report.partner_id]
    connection = await asyncpg.connect(database_url)
    try:
        shown = (
            "SELECT count(*) FROM asset a WHERE owner_id = ANY($1::uuid[]) AND deleted_at IS NULL"
            " AND visibility = 'timeline' AND " + browse.STACK_PRIMARY
        )
        for owners in ([me], everyone):
            buckets = json.loads(await connection.fetchval(browse.SQL_BUCKETS, owners))
            assert sum(bucket["count"] for bucket in buckets) == await connection.fetchval(shown, owners)
            assert [b["timeBucket"] for b in buckets] == sorted(
                (b["timeBucket"] for b in buckets), reverse=True
            )
        month, city, year_start, year_end = await browse.choose(connection, me)
        mine = json.loads(await connection.fetchval(browse.SQL_BUCKETS, [me]))
        assert month.date().isoformat() == max(mine, key=lambda bucket: bucket["count"])["timeBucket"]
        bucket = json.loads(await connection.fetchval(browse.SQL_BUCKET, me, [me], month))
        count = max(b["count"] for b in mine)
        assert len(bucket["id"]) == len(bucket["ratio"]) == len(bucket["stack"]) == count
        stacked = await connection.fetchval(
            "SELECT count(*) FROM asset a JOIN stack s ON s.primary_asset_id = a.id"
            " WHERE a.id = ANY($1::uuid[])",
            bucket["id"],
        )
        assert len([stack for stack in bucket["stack"] if stack is not None]) == stacked
        by_city = json.loads(await connection.fetchval(browse.SQL_SEARCH, everyone, city, None, None))
        assert by_city
        assert {item["exifInfo"]["city"] for item in by_city} == {city}
        in_year = json.loads(
            await connection.fetchval(browse.SQL_SEARCH, everyone, None, year_start, year_end)
        )
        assert all(item["fileCreatedAt"].startswith(str(year_start.year)) for item in in_year)
        markers = json.loads(await connection.fetchval(browse.SQL_MARKERS, [me]))
        assert markers
        assert all(marker["lat"] is not None and marker["city"] for marker in markers)
    finally:
        await connection.close()
    # An endpoint a branch does not have yet is reported as not built, not as a failure.
    token = (await login(client, seed.MAIN_EMAIL, seed.PASSWORD)).token
    ctx = browse.Context(client, None, {"Authorization": f"Bearer {token}"}, str(me), [], 1)
    with pytest.raises(browse.NotBuilt):
        await browse.api_call(ctx, "GET", "/no-such-endpoint")()


async def test_a_second_library_goes_into_the_same_database(
    database_url: str, seeded: tuple[Any, set[str], set[str]]
) -> None:
    """Same --seed, other users: its own ids, and its main user is no second admin."""
    first = seeded[0]
    plan = seed.Plan(ASSETS, PARTNER_ASSETS, ALBUMS, STACKS, PEOPLE, 0.3, seed=7)
    second = await seed.seed(
        database_url, plan, main_email="second@albumen.test", partner_email="second-partner@albumen.test"
    )
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM asset") == 2 * (ASSETS + PARTNER_ASSETS)
        admins = await connection.fetch('SELECT id FROM "user" WHERE is_admin')
        assert [row["id"] for row in admins] == [first.main_id]
        assert second.main_id != first.main_id
    finally:
        await connection.close()
    with pytest.raises(SystemExit, match="already exists"):
        await seed.seed(database_url, plan)
