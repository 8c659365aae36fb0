"""Memories: create, read, search, statistics, update, delete, their assets, isolation between users,
and the nightly jobs that make "on this day" memories and clean up old ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from albumen.memories.tasks import clean_up_memories, generate_memories
from tests.support.assets import upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_user, sign_up_admin

NO_SUCH_ID = "4a4c7f0e-93b1-4c31-9d34-2f1b1f4b8a55"


async def _people(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn]:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com")
    bob = await create_user(client, admin, "bob@example.com")
    return alice, bob


async def _memory(client: httpx.AsyncClient, who: LoggedIn, **body: Any) -> dict[str, Any]:
    payload = {"type": "on_this_day", "data": {"year": 2021}, "memoryAt": "2021-06-15T00:00:00.000Z", **body}
    response = await client.post("/memories", headers=who.headers, json=payload)
    assert response.status_code == 201, response.text
    memory: dict[str, Any] = response.json()
    return memory


async def _sql(database_url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(database_url)
    try:
        return [tuple(row) for row in await connection.fetch(query, *args)]
    finally:
        await connection.close()


def _refused(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"message": f"Not found or no {permission} access"}


def _ids(memory: dict[str, Any]) -> list[str]:
    return [asset["id"] for asset in memory["assets"]]


async def test_create_read_update_delete(client: httpx.AsyncClient, database_url: str) -> None:
    alice, bob = await _people(client)
    mine = await upload_id(client, alice, "mine.jpg")
    bobs = await upload_id(client, bob, "bobs.jpg")

    memory = await _memory(client, alice, assetIds=[mine, bobs], showAt="2026-06-15T00:00:00.000Z")
    # Assets the caller may not share are left out; unset dates are left out of the reply.
    assert _ids(memory) == [mine]
    assert memory["ownerId"] == alice.user_id
    assert memory["data"] == {"year": 2021}
    assert memory["isSaved"] is False
    assert memory["memoryAt"].startswith("2021-06-15T00:00:00")
    assert memory["showAt"].startswith("2026-06-15T00:00:00")
    assert not {"seenAt", "hideAt", "deletedAt"} & memory.keys()

    got = await client.get(f"/memories/{memory['id']}", headers=alice.headers)
    assert got.status_code == 200
    assert (got.json()["id"], _ids(got.json())) == (memory["id"], [mine])

    updated = await client.put(
        f"/memories/{memory['id']}",
        headers=alice.headers,
        json={"isSaved": True, "seenAt": "2026-06-15T08:00:00.000Z", "memoryAt": "2021-06-16T00:00:00.000Z"},
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["isSaved"] is True
    assert body["seenAt"].startswith("2026-06-15T08:00:00")
    assert body["memoryAt"].startswith("2021-06-16T00:00:00")
    assert datetime.fromisoformat(body["updatedAt"]) >= datetime.fromisoformat(memory["updatedAt"])

    deleted = await client.delete(f"/memories/{memory['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    _refused(await client.get(f"/memories/{memory['id']}", headers=alice.headers), "memory.read")
    audited = await _sql(database_url, "SELECT memory_id::text, user_id::text FROM memory_audit")
    assert audited == [(memory["id"], alice.user_id)]


async def test_add_and_remove_assets(client: httpx.AsyncClient, database_url: str) -> None:
    alice, bob = await _people(client)
    first = await upload_id(client, alice, "first.jpg")
    second = await upload_id(client, alice, "second.jpg")
    bobs = await upload_id(client, bob, "bobs.jpg")
    memory = await _memory(client, alice, assetIds=[first])
    path = f"/memories/{memory['id']}/assets"

    added = await client.put(path, headers=alice.headers, json={"ids": [first, second, bobs, second]})
    assert added.status_code == 200
    assert added.json() == [
        {"id": first, "success": False, "error": "duplicate"},
        {"id": second, "success": True},
        {"id": bobs, "success": False, "error": "no_permission"},
        {"id": second, "success": False, "error": "duplicate"},
    ]
    assert sorted(
        _ids((await client.get(f"/memories/{memory['id']}", headers=alice.headers)).json())
    ) == sorted([first, second])

    removed = await client.request("DELETE", path, headers=alice.headers, json={"ids": [second, bobs]})
    assert removed.status_code == 200
    assert removed.json() == [
        {"id": second, "success": True},
        {"id": bobs, "success": False, "error": "not_found"},
    ]
    assert _ids((await client.get(f"/memories/{memory['id']}", headers=alice.headers)).json()) == [first]
    audited = await _sql(database_url, "SELECT memory_id::text, asset_id::text FROM memory_asset_audit")
    assert audited == [(memory["id"], second)]


async def test_search_filters_and_statistics(client: httpx.AsyncClient, database_url: str) -> None:
    alice, _ = await _people(client)
    photo = await upload_id(client, alice, "photo.jpg")
    old = await _memory(
        client,
        alice,
        assetIds=[photo],
        memoryAt="2019-06-15T00:00:00.000Z",
        showAt="2026-06-15T00:00:00.000Z",
        hideAt="2026-06-15T23:59:59.999Z",
    )
    new = await _memory(client, alice, assetIds=[photo], memoryAt="2022-06-15T00:00:00.000Z", isSaved=True)
    empty = await _memory(client, alice, memoryAt="2020-06-15T00:00:00.000Z")

    async def search(**params: Any) -> list[str]:
        response = await client.get("/memories", headers=alice.headers, params=params)
        assert response.status_code == 200, response.text
        return [memory["id"] for memory in response.json()]

    async def total(**params: Any) -> int:
        response = await client.get("/memories/statistics", headers=alice.headers, params=params)
        assert response.status_code == 200, response.text
        count: int = response.json()["total"]
        return count

    # Newest first by default; a memory with nothing to show is left out of the list, not the count.
    assert await search() == [new["id"], old["id"]]
    assert await total() == 3
    assert await search(order="asc") == [old["id"], new["id"]]
    assert sorted(await search(order="random")) == sorted([old["id"], new["id"]])
    assert await search(size=1) == [new["id"]]
    assert await search(isSaved="true") == [new["id"]]
    assert await total(isSaved="false") == 2
    assert await search(type="on_this_day") == [new["id"], old["id"]]
    # `for`: the day shown; a memory without showAt/hideAt shows on any day.
    assert await search(**{"for": "2026-06-15"}) == [new["id"], old["id"]]
    assert await search(**{"for": "2026-06-16"}) == [new["id"]]
    assert await total(**{"for": "2026-06-14"}) == 2
    assert await search(isTrashed="true") == []
    assert empty["id"] not in await search()

    # A trashed or archived asset is not shown, so its memory drops out of the list.
    await client.put("/assets", headers=alice.headers, json={"ids": [photo], "visibility": "archive"})
    assert await search() == []
    assert (await client.get(f"/memories/{old['id']}", headers=alice.headers)).json()["assets"] == []


async def test_another_user_can_neither_see_nor_change_a_memory(client: httpx.AsyncClient) -> None:
    alice, bob = await _people(client)
    photo = await upload_id(client, alice, "photo.jpg")
    bobs = await upload_id(client, bob, "bobs.jpg")
    memory = await _memory(client, alice, assetIds=[photo])
    path = f"/memories/{memory['id']}"

    _refused(await client.get(path, headers=bob.headers), "memory.read")
    _refused(await client.put(path, headers=bob.headers, json={"isSaved": True}), "memory.update")
    _refused(await client.delete(path, headers=bob.headers), "memory.delete")
    _refused(await client.put(f"{path}/assets", headers=bob.headers, json={"ids": [bobs]}), "memory.read")
    removed = await client.request("DELETE", f"{path}/assets", headers=bob.headers, json={"ids": [photo]})
    _refused(removed, "memory.update")
    assert (await client.get("/memories", headers=bob.headers)).json() == []
    assert (await client.get("/memories/statistics", headers=bob.headers)).json() == {"total": 0}
    # Alice's memory is as it was.
    still = (await client.get(path, headers=alice.headers)).json()
    assert (_ids(still), still["isSaved"]) == ([photo], False)
    _refused(await client.get(f"/memories/{NO_SUCH_ID}", headers=alice.headers), "memory.read")


async def test_bad_requests(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    memory = await _memory(client, alice)
    path = f"/memories/{memory['id']}"

    nothing = await client.put(path, headers=alice.headers, json={})
    assert nothing.status_code == 400
    assert nothing.json()["errors"][0]["message"] == (
        "At least one of the following fields is required: isSaved, seenAt, memoryAt"
    )
    assert (await client.put(path, headers=alice.headers, json={"isSaved": None})).status_code == 400
    assert (await client.put(path, headers=alice.headers, json={"seenAt": "yesterday"})).status_code == 400
    for body in (
        {"type": "birthday", "data": {"year": 2021}, "memoryAt": "2021-06-15T00:00:00.000Z"},
        {"type": "on_this_day", "data": {"year": 99}, "memoryAt": "2021-06-15T00:00:00.000Z"},
        {"type": "on_this_day", "data": {"year": 2021}},
        {
            "type": "on_this_day",
            "data": {"year": 2021},
            "memoryAt": "2021-06-15T00:00:00.000Z",
            "assetIds": ["x"],
        },
    ):
        response = await client.post("/memories", headers=alice.headers, json=body)
        assert response.status_code == 400, body
        assert response.json()["message"] == "Validation failed"
    for params in (
        {"for": "2026-02-30"},
        {"size": "0"},
        {"order": "sideways"},
        {"type": "x"},
        {"isSaved": "x"},
    ):
        assert (await client.get("/memories", headers=alice.headers, params=params)).status_code == 400, (
            params
        )
    assert (await client.get("/memories/not-a-uuid", headers=alice.headers)).status_code == 400
    assert (await client.put(f"{path}/assets", headers=alice.headers, json={"ids": ["x"]})).status_code == 400
    assert (await client.get("/memories")).status_code == 401


# -- the nightly jobs -----------------------------------------------------------------------------


async def _date_library(database_url: str, taken: dict[str, str], previews: set[str]) -> None:
    """Sets when each asset was taken (local wall time) and which ones have a preview to show."""
    for asset_id, when in taken.items():
        moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
        await _sql(
            database_url,
            "UPDATE asset SET local_date_time = $2, file_created_at = $2 WHERE id = $1::uuid",
            asset_id,
            moment,
        )
        await _sql(
            database_url, "DELETE FROM asset_file WHERE asset_id = $1::uuid AND type = 'preview'", asset_id
        )
    for asset_id in previews:
        await _sql(
            database_url,
            "INSERT INTO asset_file (asset_id, type, path, update_id)"
            " VALUES ($1::uuid, 'preview', 'previews/x.jpeg', gen_random_uuid())",
            asset_id,
        )


async def _generated(database_url: str) -> list[tuple[str, int, str, str, str, list[str]]]:
    """(owner, year, memoryAt, showAt, hideAt, asset ids) of every memory, in a fixed order."""
    rows = await _sql(
        database_url,
        """
        SELECT m.owner_id::text, (m.data->>'year')::int,
               to_char(m.memory_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'),
               to_char(m.show_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'),
               to_char(m.hide_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'),
               array(SELECT ma.asset_id::text FROM memory_asset ma JOIN asset a ON a.id = ma.asset_id
                     WHERE ma.memory_id = m.id ORDER BY a.local_date_time)
        FROM memory m WHERE m.type = 'on_this_day' ORDER BY m.owner_id, m.show_at, m.data->>'year'
        """,
    )
    return [(o, y, at, show, hide, list(ids)) for o, y, at, show, hide, ids in rows]


async def test_on_this_day_generation(client: httpx.AsyncClient, app: Any, database_url: str) -> None:
    alice, bob = await _people(client)
    names = [
        "a1",
        "a2",
        "archived",
        "trashed",
        "a5",
        "no_preview",
        "this_year",
        "before_window",
        "after_window",
    ]
    ids = {name: await upload_id(client, alice, f"{name}.jpg") for name in names}
    ids["bob"] = await upload_id(client, bob, "bob.jpg")
    await settle(app)  # metadata extraction must not rewrite the dates set below
    taken = {
        "a1": "2020-06-15T10:00:00",
        "a2": "2020-06-15T18:00:00",
        "archived": "2019-06-15T10:00:00",
        "trashed": "2018-06-15T10:00:00",
        "a5": "2021-06-16T09:00:00",
        "no_preview": "2022-06-15T10:00:00",
        "this_year": "2026-06-15T08:00:00",
        "before_window": "2023-06-12T10:00:00",  # the first day of the window is taken as done (Immich)
        "after_window": "2024-06-20T10:00:00",
        "bob": "2021-06-15T23:30:00",
    }
    await _date_library(
        database_url,
        {ids[n]: when for n, when in taken.items()},
        {ids[n] for n in taken} - {ids["no_preview"]},
    )
    await client.put(
        "/assets", headers=alice.headers, json={"ids": [ids["archived"]], "visibility": "archive"}
    )
    await client.request("DELETE", "/assets", headers=alice.headers, json={"ids": [ids["trashed"]]})

    now = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
    database = app.state.container.database
    assert await generate_memories(database, now) == 3
    expected = sorted(
        [
            (
                alice.user_id,
                2020,
                "2020-06-15T00:00:00.000",
                "2026-06-15T00:00:00.000",
                "2026-06-15T23:59:59.999",
                [ids["a1"], ids["a2"]],
            ),
            (
                alice.user_id,
                2021,
                "2021-06-16T00:00:00.000",
                "2026-06-16T00:00:00.000",
                "2026-06-16T23:59:59.999",
                [ids["a5"]],
            ),
            (
                bob.user_id,
                2021,
                "2021-06-15T00:00:00.000",
                "2026-06-15T00:00:00.000",
                "2026-06-15T23:59:59.999",
                [ids["bob"]],
            ),
        ]
    )
    assert await _generated(database_url) == expected
    state = await _sql(
        database_url, "SELECT value->>'lastOnThisDayDate' FROM system_metadata WHERE key = 'memories-state'"
    )
    assert state == [("2026-06-18T00:00:00.000Z",)]

    # Again, the same night: nothing new. With the state lost: still nothing twice.
    assert await generate_memories(database, now) == 0
    await _sql(database_url, "DELETE FROM system_metadata WHERE key = 'memories-state'")
    assert await generate_memories(database, now) == 0
    assert await _generated(database_url) == expected

    # The next night only the new last day of the window is looked at.
    late = await upload_id(client, alice, "late.jpg")
    await settle(app)
    await _date_library(database_url, {late: "2025-06-19T12:00:00"}, {late})
    assert await generate_memories(database, now + timedelta(days=1)) == 1
    assert (
        alice.user_id,
        2025,
        "2025-06-19T00:00:00.000",
        "2026-06-19T00:00:00.000",
        "2026-06-19T23:59:59.999",
        [late],
    ) in await _generated(database_url)

    # What the memory lane asks for on the day.
    lane = await client.get("/memories", headers=alice.headers, params={"for": "2026-06-15"})
    assert [(m["data"]["year"], _ids(m)) for m in lane.json()] == [(2020, [ids["a1"], ids["a2"]])]


async def test_the_admin_job_endpoint_runs_both_memory_jobs(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    admin = await sign_up_admin(client)
    photo = await upload_id(client, admin, "a-year-ago.jpg")
    await settle(app)
    today = datetime.now(UTC).date()
    years_ago = today.replace(year=today.year - 4)  # exists even when today is 29 February
    await _date_library(database_url, {photo: f"{years_ago.isoformat()}T12:00:00"}, {photo})

    created = await client.post("/jobs", headers=admin.headers, json={"name": "memory-create"})
    assert created.status_code == 204, created.text
    await settle(app)
    lane = (await client.get("/memories", headers=admin.headers, params={"for": today.isoformat()})).json()
    assert [_ids(memory) for memory in lane] == [[photo]]

    # Cleanup: unsaved memories older than 30 days go, saved ones stay; archived assets leave memories.
    kept = await _memory(client, admin, assetIds=[photo], isSaved=True)
    await _sql(database_url, "UPDATE memory SET created_at = now() - interval '31 days'")
    cleaned = await client.post("/jobs", headers=admin.headers, json={"name": "memory-cleanup"})
    assert cleaned.status_code == 204
    await settle(app)
    assert await _sql(database_url, "SELECT id::text FROM memory") == [(kept["id"],)]
    assert len(await _sql(database_url, "SELECT * FROM memory_audit")) == 1


async def test_cleanup_drops_assets_off_the_timeline(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    alice, _ = await _people(client)
    shown = await upload_id(client, alice, "shown.jpg")
    archived = await upload_id(client, alice, "archived.jpg")
    memory = await _memory(client, alice, assetIds=[shown, archived], isSaved=True)
    await client.put("/assets", headers=alice.headers, json={"ids": [archived], "visibility": "archive"})

    assert await clean_up_memories(app.state.container.database) == (1, 0)
    rows = await _sql(database_url, "SELECT asset_id::text FROM memory_asset")
    assert rows == [(shown,)]
    audited = await _sql(database_url, "SELECT memory_id::text, asset_id::text FROM memory_asset_audit")
    assert audited == [(memory["id"], archived)]


async def test_at_most_twenty_a_year_and_29_february(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    alice, _ = await _people(client)
    burst = [await upload_id(client, alice, f"burst-{n}.jpg") for n in range(21)]
    leap = await upload_id(client, alice, "leap.jpg")
    await settle(app)
    taken = {asset_id: f"2024-02-29T10:{n:02d}:00" for n, asset_id in enumerate(reversed(burst))}
    taken[leap] = "2023-03-01T10:00:00"
    await _date_library(database_url, taken, set(taken))

    # 29 February 2028: the window (26 Feb to 3 Mar) reaches back to years without that day.
    assert await generate_memories(app.state.container.database, datetime(2028, 2, 29, tzinfo=UTC)) == 2
    generated = {(year, show[:10]): ids for _, year, _, show, _, ids in await _generated(database_url)}
    # The twenty taken first; the last upload was taken first (the dates run backwards).
    assert generated[(2024, "2028-02-29")] == list(reversed(burst))[:20]
    assert generated[(2023, "2028-03-01")] == [leap]
    assert len(generated) == 2
