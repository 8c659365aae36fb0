"""Stacks: create (and merge), read, search, change the primary, take assets out, delete — what the
asset responses say about them, what deleting a member does, and isolation between users."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.support.assets import upload_id
from tests.support.users import LoggedIn, create_user, sign_up_admin

NO_SUCH_ID = "4a4c7f0e-93b1-4c31-9d34-2f1b1f4b8a55"


async def _people(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn]:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com")
    bob = await create_user(client, admin, "bob@example.com")
    return alice, bob


async def _photos(client: httpx.AsyncClient, who: LoggedIn, count: int, tag: str = "") -> list[str]:
    """`count` uploads taken a day apart, oldest first."""
    return [
        await upload_id(
            client,
            who,
            f"{tag}{who.email}-{n}.jpg",
            fileCreatedAt=f"2024-05-{n + 1:02d}T12:00:00.000Z",
            fileModifiedAt=f"2024-05-{n + 1:02d}T12:00:00.000Z",
        )
        for n in range(count)
    ]


async def _stack(client: httpx.AsyncClient, who: LoggedIn, ids: list[str]) -> dict[str, Any]:
    response = await client.post("/stacks", headers=who.headers, json={"assetIds": ids})
    assert response.status_code == 201, response.text
    stack: dict[str, Any] = response.json()
    return stack


async def _asset(client: httpx.AsyncClient, who: LoggedIn, asset_id: str) -> dict[str, Any]:
    response = await client.get(f"/assets/{asset_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    asset: dict[str, Any] = response.json()
    return asset


async def _rows(database_url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(database_url)
    try:
        return [tuple(row) for row in await connection.fetch(query, *args)]
    finally:
        await connection.close()


async def _update_ids(database_url: str, ids: list[str]) -> dict[str, str]:
    rows = await _rows(
        database_url, "SELECT id::text, update_id::text FROM asset WHERE id = ANY($1::uuid[])", ids
    )
    return dict(rows)  # type: ignore[arg-type]


def _refused(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"message": f"Not found or no {permission} access"}


def _ids(stack: dict[str, Any]) -> list[str]:
    return [asset["id"] for asset in stack["assets"]]


def _shape(stacks: list[dict[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """What a stack says, without the assets' own fields (background jobs keep changing those)."""
    return [(stack["id"], stack["primaryAssetId"], _ids(stack)) for stack in stacks]


async def test_create_read_search_and_the_asset_responses(
    client: httpx.AsyncClient, database_url: str
) -> None:
    alice, _ = await _people(client)
    first, second, third = await _photos(client, alice, 3)
    before = await _update_ids(database_url, [first, second, third])

    stack = await _stack(client, alice, [second, first, third])
    # The first id is the primary and comes first; the others follow, oldest first.
    assert stack["primaryAssetId"] == second
    assert _ids(stack) == [second, first, third]
    assert all("exifInfo" in asset for asset in stack["assets"])
    # The members changed, so the sync stream must see them again.
    after = await _update_ids(database_url, [first, second, third])
    assert all(after[asset_id] > before[asset_id] for asset_id in before)

    assert _shape([(await client.get(f"/stacks/{stack['id']}", headers=alice.headers)).json()]) == _shape(
        [stack]
    )
    listed = await client.get("/stacks", headers=alice.headers)
    assert listed.status_code == 200
    assert _shape(listed.json()) == _shape([stack])
    by_primary = await client.get("/stacks", headers=alice.headers, params={"primaryAssetId": second})
    assert _shape(by_primary.json()) == _shape([stack])
    by_member = await client.get("/stacks", headers=alice.headers, params={"primaryAssetId": first})
    assert by_member.json() == []

    # Every member's own response names the stack; assets outside one say null.
    for asset_id in (first, second, third):
        assert (await _asset(client, alice, asset_id))["stack"] == {
            "id": stack["id"],
            "primaryAssetId": second,
            "assetCount": 3,
        }
    (loose,) = await _photos(client, alice, 1, tag="loose")
    assert (await _asset(client, alice, loose))["stack"] is None


async def test_a_trashed_member_is_not_counted_or_shown(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    first, second, third = await _photos(client, alice, 3)
    stack = await _stack(client, alice, [first, second, third])
    trashed = await client.request("DELETE", "/assets", headers=alice.headers, json={"ids": [third]})
    assert trashed.status_code == 204
    assert (await _asset(client, alice, first))["stack"]["assetCount"] == 2
    assert _ids((await client.get(f"/stacks/{stack['id']}", headers=alice.headers)).json()) == [first, second]


async def test_stacks_led_by_a_listed_asset_merge(client: httpx.AsyncClient, database_url: str) -> None:
    alice, _ = await _people(client)
    a, b, c, d = await _photos(client, alice, 4)
    old = await _stack(client, alice, [a, b])

    merged = await _stack(client, alice, [c, a, d])
    # a led the old stack, so b comes along; c is the new primary.
    assert merged["primaryAssetId"] == c
    assert sorted(_ids(merged)) == sorted([a, b, c, d])
    assert [s["id"] for s in (await client.get("/stacks", headers=alice.headers)).json()] == [merged["id"]]
    assert await _rows(database_url, "SELECT stack_id::text FROM stack_audit") == [(old["id"],)]


async def test_a_stack_left_with_one_member_by_a_move_stays(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    a, b, c = await _photos(client, alice, 3)
    old = await _stack(client, alice, [a, b])

    # b is a plain member of the old stack: it moves, leaving a alone in the old stack (as in Immich).
    new = await _stack(client, alice, [c, b])
    assert _ids(new) == [c, b]
    left = await client.get(f"/stacks/{old['id']}", headers=alice.headers)
    assert left.status_code == 200
    assert _ids(left.json()) == [a]
    summary = {"id": old["id"], "primaryAssetId": a, "assetCount": 1}
    assert (await _asset(client, alice, a))["stack"] == summary


async def test_change_the_primary(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    a, b, c = await _photos(client, alice, 3)
    (outsider,) = await _photos(client, alice, 1, tag="out")
    stack = await _stack(client, alice, [a, b, c])

    changed = await client.put(f"/stacks/{stack['id']}", headers=alice.headers, json={"primaryAssetId": c})
    assert changed.status_code == 200, changed.text
    assert changed.json()["primaryAssetId"] == c
    assert _ids(changed.json()) == [c, a, b]
    assert (await _asset(client, alice, a))["stack"]["primaryAssetId"] == c

    refused = await client.put(
        f"/stacks/{stack['id']}", headers=alice.headers, json={"primaryAssetId": outsider}
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "Primary asset must be in the stack"
    # Nothing to change is no error.
    unchanged = await client.put(f"/stacks/{stack['id']}", headers=alice.headers, json={})
    assert unchanged.status_code == 200
    assert unchanged.json()["primaryAssetId"] == c


async def test_take_assets_out_down_to_the_primary(client: httpx.AsyncClient, database_url: str) -> None:
    alice, _ = await _people(client)
    a, b, c = await _photos(client, alice, 3)
    (outsider,) = await _photos(client, alice, 1, tag="out")
    stack = await _stack(client, alice, [a, b, c])
    path = f"/stacks/{stack['id']}/assets"

    primary = await client.delete(f"{path}/{a}", headers=alice.headers)
    assert primary.status_code == 400
    assert primary.json()["message"] == "Cannot remove stack's primary asset"
    stranger = await client.delete(f"{path}/{outsider}", headers=alice.headers)
    assert stranger.status_code == 400
    assert stranger.json()["message"] == "Asset not in stack"
    missing = await client.delete(f"{path}/{NO_SUCH_ID}", headers=alice.headers)
    assert missing.status_code == 400
    assert missing.json()["message"] == "Asset not in stack"

    assert (await client.delete(f"{path}/{c}", headers=alice.headers)).status_code == 204
    assert _ids((await client.get(f"/stacks/{stack['id']}", headers=alice.headers)).json()) == [a, b]
    assert (await _asset(client, alice, c))["stack"] is None

    # Down to the primary alone: Immich keeps such a stack (only deleting assets dissolves one).
    assert (await client.delete(f"{path}/{b}", headers=alice.headers)).status_code == 204
    assert [s["id"] for s in (await client.get("/stacks", headers=alice.headers)).json()] == [stack["id"]]
    assert _ids((await client.get(f"/stacks/{stack['id']}", headers=alice.headers)).json()) == [a]
    assert (await _asset(client, alice, b))["stack"] is None
    assert await _rows(database_url, "SELECT stack_id::text FROM stack_audit") == []


async def test_delete_one_and_many(client: httpx.AsyncClient, database_url: str) -> None:
    alice, _ = await _people(client)
    a, b, c, d, e, f = await _photos(client, alice, 6)
    one = await _stack(client, alice, [a, b])
    two = await _stack(client, alice, [c, d])
    three = await _stack(client, alice, [e, f])
    before = await _update_ids(database_url, [a, b])

    assert (await client.delete(f"/stacks/{one['id']}", headers=alice.headers)).status_code == 204
    after = await _update_ids(database_url, [a, b])
    assert all(after[asset_id] > before[asset_id] for asset_id in before)
    assert (await _asset(client, alice, a))["stack"] is None

    many = await client.request(
        "DELETE", "/stacks", headers=alice.headers, json={"ids": [two["id"], three["id"]]}
    )
    assert many.status_code == 204
    assert (await client.get("/stacks", headers=alice.headers)).json() == []
    # The assets stay; only the grouping goes, and each stack leaves an audit row.
    assert (await _asset(client, alice, f))["stack"] is None
    audited = {row[0] for row in await _rows(database_url, "SELECT stack_id::text FROM stack_audit")}
    assert audited == {one["id"], two["id"], three["id"]}


async def test_purging_the_primary_promotes_a_survivor(client: httpx.AsyncClient, database_url: str) -> None:
    alice, _ = await _people(client)
    a, b, c = await _photos(client, alice, 3)
    stack = await _stack(client, alice, [a, b, c])

    trashed = await client.request("DELETE", "/assets", headers=alice.headers, json={"ids": [a]})
    assert trashed.status_code == 204
    emptied = await client.post("/trash/empty", headers=alice.headers)
    assert emptied.status_code == 200
    assert emptied.json() == {"count": 1}

    # The oldest survivor leads now.
    found = (await client.get(f"/stacks/{stack['id']}", headers=alice.headers)).json()
    assert found["primaryAssetId"] == b
    assert _ids(found) == [b, c]
    assert await _rows(database_url, "SELECT count(*) FROM stack_audit") == [(0,)]


async def test_purging_down_to_one_member_dissolves_the_stack(
    client: httpx.AsyncClient, database_url: str
) -> None:
    alice, _ = await _people(client)
    a, b = await _photos(client, alice, 2)
    stack = await _stack(client, alice, [a, b])

    gone = await client.request("DELETE", "/assets", headers=alice.headers, json={"ids": [a], "force": True})
    assert gone.status_code == 204
    assert (await client.get("/stacks", headers=alice.headers)).json() == []
    assert (await _asset(client, alice, b))["stack"] is None
    assert await _rows(database_url, "SELECT stack_id::text FROM stack_audit") == [(stack["id"],)]


async def test_purging_a_whole_stack(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    a, b = await _photos(client, alice, 2)
    await _stack(client, alice, [a, b])
    gone = await client.request(
        "DELETE", "/assets", headers=alice.headers, json={"ids": [a, b], "force": True}
    )
    assert gone.status_code == 204
    assert (await client.get("/stacks", headers=alice.headers)).json() == []


async def test_another_user_can_neither_see_nor_change_a_stack(client: httpx.AsyncClient) -> None:
    alice, bob = await _people(client)
    a, b = await _photos(client, alice, 2)
    (bobs,) = await _photos(client, bob, 1)
    stack = await _stack(client, alice, [a, b])
    path = f"/stacks/{stack['id']}"

    _refused(await client.get(path, headers=bob.headers), "stack.read")
    _refused(await client.put(path, headers=bob.headers, json={"primaryAssetId": b}), "stack.update")
    _refused(await client.delete(f"{path}/assets/{b}", headers=bob.headers), "stack.update")
    _refused(await client.delete(path, headers=bob.headers), "stack.delete")
    _refused(
        await client.request("DELETE", "/stacks", headers=bob.headers, json={"ids": [stack["id"]]}),
        "stack.delete",
    )
    _refused(await client.post("/stacks", headers=bob.headers, json={"assetIds": [bobs, a]}), "asset.update")
    assert (await client.get("/stacks", headers=bob.headers)).json() == []
    assert (await client.get("/stacks", headers=bob.headers, params={"primaryAssetId": a})).json() == []
    # Nothing changed for Alice.
    assert _shape([(await client.get(path, headers=alice.headers)).json()]) == _shape([stack])
    # An id that does not exist answers the same as someone else's.
    _refused(await client.get(f"/stacks/{NO_SUCH_ID}", headers=alice.headers), "stack.read")


async def test_bad_requests(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    (a,) = await _photos(client, alice, 1)

    one = await client.post("/stacks", headers=alice.headers, json={"assetIds": [a]})
    assert one.status_code == 400
    assert one.json()["message"] == "Validation failed"
    assert one.json()["errors"][0]["message"] == "Too small: expected array to have >=2 items"
    invalid = await client.post("/stacks", headers=alice.headers, json={"assetIds": ["nope", "nope"]})
    assert invalid.status_code == 400
    assert [e["path"] for e in invalid.json()["errors"]] == [["assetIds", 0], ["assetIds", 1]]
    # Two ids, but one asset: the DTO is satisfied, and Immich makes a stack of one.
    twice = await client.post("/stacks", headers=alice.headers, json={"assetIds": [a, a]})
    assert twice.status_code == 201, twice.text
    assert twice.json()["primaryAssetId"] == a
    assert _ids(twice.json()) == [a]
    assert (await client.post("/stacks", headers=alice.headers, json={})).status_code == 400
    assert (await client.get("/stacks/not-a-uuid", headers=alice.headers)).status_code == 400
    query = await client.get("/stacks", headers=alice.headers, params={"primaryAssetId": "x"})
    assert query.status_code == 400
    assert (await client.get("/stacks")).status_code == 401
    assert [_ids(s) for s in (await client.get("/stacks", headers=alice.headers)).json()] == [[a]]
