"""The Socket.IO endpoint at /api/socket.io, with a real Socket.IO v4 client (websocket transport)
against a real `albumen serve`: handshake authentication as Immich does it, rooms per user, and the
events the asset endpoints emit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import socketio  # type: ignore[import-untyped]

from albumen.events import messages
from albumen.events.bus import ClientEvent, EventBus
from tests.support.assets import upload_asset
from tests.support.server import RunningServer, serving_on
from tests.support.users import LoggedIn, create_api_key, create_user, sign_up_admin

SERVER_VERSION = {"major": 3, "minor": 1, "patch": 0, "prerelease": None}
QUIET = 0.5  # how long "receives nothing" waits


class Listener:
    """One Socket.IO connection that records everything the server sends it."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()
        self.disconnected = asyncio.Event()
        self.client.on("*", self._any)
        self.client.on("disconnect", self._disconnect)

    async def _any(self, event: str, *args: Any) -> None:
        await self.received.put((event, args))

    async def _disconnect(self, *_: Any) -> None:
        self.disconnected.set()

    async def connect(
        self, server: RunningServer, headers: dict[str, str] | None = None, auth: Any = None
    ) -> Listener:
        await self.client.connect(
            server.base_url,
            socketio_path="/api/socket.io",
            transports=["websocket"],
            headers=headers or {},
            auth=auth,
            wait_timeout=10,
        )
        return self

    async def next(self, timeout: float = 10) -> tuple[str, tuple[Any, ...]]:
        return await asyncio.wait_for(self.received.get(), timeout)

    async def expect(self, event: str, timeout: float = 10) -> tuple[Any, ...]:
        """The arguments of the next event, which must be `event`."""
        name, args = await self.next(timeout)
        assert name == event, (name, args)
        return args

    async def expect_nothing(self, wait: float = QUIET) -> None:
        await asyncio.sleep(wait)
        assert self.received.empty(), self.received.get_nowait()

    async def expect_refused(self) -> None:
        """Immich's way: the connection opens, then `error` "unauthorized", then the server disconnects."""
        assert await self.expect("error") == ("unauthorized",)
        await asyncio.wait_for(self.disconnected.wait(), 10)
        assert self.received.empty(), self.received.get_nowait()

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


@pytest.fixture(scope="module")
def server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving_on(postgres_url, tmp_path_factory.mktemp("events") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def accounts(server: RunningServer) -> tuple[LoggedIn, LoggedIn]:
    async def set_up() -> tuple[LoggedIn, LoggedIn]:
        async with httpx.AsyncClient(base_url=server.api) as http:
            admin = await sign_up_admin(http)
            return admin, await create_user(http, admin, "user@example.com")

    return asyncio.run(set_up())


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.api, timeout=30) as client:
        yield client


@pytest.fixture
async def listeners() -> AsyncIterator[list[Listener]]:
    opened: list[Listener] = []
    yield opened
    for listener in opened:
        await listener.close()


def listener(opened: list[Listener]) -> Listener:
    created = Listener()
    opened.append(created)
    return created


@pytest.mark.parametrize(
    "source", ["bearer", "cookie", "x-immich-user-token", "x-immich-session-token", "auth-payload"]
)
async def test_a_session_token_connects_and_hears_the_server_version(
    server: RunningServer, accounts: tuple[LoggedIn, LoggedIn], listeners: list[Listener], source: str
) -> None:
    token = accounts[1].token
    headers: dict[str, str] = {
        "bearer": {"Authorization": f"Bearer {token}"},
        "cookie": {"Cookie": f"immich_is_authenticated=true; immich_access_token={token}"},
        "x-immich-user-token": {"x-immich-user-token": token},
        "x-immich-session-token": {"x-immich-session-token": token},
        "auth-payload": {},
    }[source]
    auth = {"token": token} if source == "auth-payload" else None
    client = await listener(listeners).connect(server, headers, auth)
    assert await client.expect("on_server_version") == (SERVER_VERSION,)
    await client.expect_nothing()
    assert client.client.connected


async def test_an_api_key_needs_the_all_permission(
    server: RunningServer,
    accounts: tuple[LoggedIn, LoggedIn],
    http: httpx.AsyncClient,
    listeners: list[Listener],
) -> None:
    full = await create_api_key(http, accounts[1], ["all"])
    client = await listener(listeners).connect(server, {"x-api-key": full})
    assert await client.expect("on_server_version") == (SERVER_VERSION,)

    narrow = await create_api_key(http, accounts[1], ["asset.read"])
    await (await listener(listeners).connect(server, {"x-api-key": narrow})).expect_refused()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Cookie": "immich_access_token=not-a-token"},
        {"x-api-key": "not-a-key"},
        {"x-immich-share-key": "some-shared-link-key"},
    ],
    ids=["nothing", "bad-bearer", "bad-cookie", "bad-api-key", "shared-link"],
)
async def test_without_a_valid_credential_the_socket_is_refused(
    server: RunningServer, listeners: list[Listener], headers: dict[str, str]
) -> None:
    await (await listener(listeners).connect(server, headers)).expect_refused()


async def test_a_token_in_the_query_string_is_ignored(
    server: RunningServer, accounts: tuple[LoggedIn, LoggedIn], listeners: list[Listener]
) -> None:
    """Immich authenticates a socket from its headers only."""
    client = listener(listeners)
    await client.client.connect(
        f"{server.base_url}?sessionKey={accounts[1].token}",
        socketio_path="/api/socket.io",
        transports=["websocket"],
        wait_timeout=10,
    )
    await client.expect_refused()


async def test_a_shared_link_key_refuses_even_with_a_valid_token(
    server: RunningServer, accounts: tuple[LoggedIn, LoggedIn], listeners: list[Listener]
) -> None:
    headers = {"x-immich-share-key": "some-shared-link-key", "Authorization": f"Bearer {accounts[1].token}"}
    await (await listener(listeners).connect(server, headers)).expect_refused()


async def test_trash_and_delete_reach_only_the_owner(
    server: RunningServer,
    accounts: tuple[LoggedIn, LoggedIn],
    http: httpx.AsyncClient,
    listeners: list[Listener],
) -> None:
    admin, user = accounts
    owner = await listener(listeners).connect(server, user.headers)
    assert await owner.expect("on_server_version") == (SERVER_VERSION,)
    owner_again = await listener(listeners).connect(server, user.headers)  # a second tab
    # Immich sends the version to the user's room: the first tab hears it again.
    for client in (owner, owner_again):
        assert await client.expect("on_server_version") == (SERVER_VERSION,)
    other = await listener(listeners).connect(server, admin.headers)
    assert await other.expect("on_server_version") == (SERVER_VERSION,)

    first = (await upload_asset(http, user, "first.jpg")).json()["id"]
    second = (await upload_asset(http, user, "second.jpg")).json()["id"]

    response = await http.request(
        "DELETE", "/assets", headers=user.headers, json={"ids": [first, second, first]}
    )
    assert response.status_code == 204, response.text
    for client in (owner, owner_again):
        assert await client.expect("on_asset_trash") == ([first, second],)

    response = await http.request(
        "DELETE", "/assets", headers=user.headers, json={"ids": [first], "force": True}
    )
    assert response.status_code == 204, response.text
    for client in (owner, owner_again):
        assert await client.expect("on_asset_delete") == (first,)

    # A request the owner may not make emits nothing to anyone.
    response = await http.request("DELETE", "/assets", headers=admin.headers, json={"ids": [second]})
    assert response.status_code == 400, response.text

    await other.expect_nothing()
    await owner.expect_nothing(0)
    await owner_again.expect_nothing(0)


async def test_restore_and_empty_trash_reach_the_owner(
    server: RunningServer,
    accounts: tuple[LoggedIn, LoggedIn],
    http: httpx.AsyncClient,
    listeners: list[Listener],
) -> None:
    _, user = accounts
    await http.post("/trash/empty", headers=user.headers)  # what earlier tests left, before we listen
    owner = await listener(listeners).connect(server, user.headers)
    assert await owner.expect("on_server_version") == (SERVER_VERSION,)
    kept = (await upload_asset(http, user, "kept.jpg")).json()["id"]
    gone = (await upload_asset(http, user, "gone.jpg")).json()["id"]
    await http.request("DELETE", "/assets", headers=user.headers, json={"ids": [kept, gone]})
    assert await owner.expect("on_asset_trash") == ([kept, gone],)

    restored = await http.post("/trash/restore/assets", headers=user.headers, json={"ids": [kept]})
    assert restored.json() == {"count": 1}
    assert await owner.expect("on_asset_restore") == ([kept],)
    emptied = await http.post("/trash/empty", headers=user.headers)
    assert emptied.json() == {"count": 1}
    assert await owner.expect("on_asset_delete") == (gone,)


async def test_the_bus_fans_out_and_survives_a_failing_subscriber() -> None:
    bus = EventBus()
    seen: list[ClientEvent] = []

    async def broken(_: ClientEvent) -> None:
        raise RuntimeError("boom")

    async def record(event: ClientEvent) -> None:
        seen.append(event)

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(record)
    user = uuid.uuid4()
    asset = uuid.uuid4()
    await bus.publish(messages.asset_trash(user, [asset]))
    await bus.publish(messages.user_delete(user))
    await bus.publish(messages.to_all("on_config_update"))
    unsubscribe()
    await bus.publish(messages.asset_delete(user, asset))
    assert seen == [
        ClientEvent("on_asset_trash", ([str(asset)],), str(user)),
        ClientEvent("on_user_delete", (str(user),), None),
        ClientEvent("on_config_update", (), None),
    ]


async def test_a_forced_user_delete_tells_the_admin_once_the_account_is_gone(
    server: RunningServer,
    accounts: tuple[LoggedIn, LoggedIn],
    http: httpx.AsyncClient,
    listeners: list[Listener],
) -> None:
    admin = accounts[0]
    leaving = await create_user(http, admin, "leaving@example.com")
    client = await listener(listeners).connect(server, admin.headers)
    assert await client.expect("on_server_version") == (SERVER_VERSION,)
    deleted = await http.request(
        "DELETE", f"/admin/users/{leaving.user_id}", headers=admin.headers, json={"force": True}
    )
    assert deleted.status_code == 200
    assert await client.expect("on_user_delete", timeout=60) == (leaving.user_id,)
    listed = await http.get("/admin/users", headers=admin.headers, params={"withDeleted": "true"})
    assert leaving.user_id not in {user["id"] for user in listed.json()}
    await client.expect_nothing()


async def test_stack_changes_tell_the_owner(
    server: RunningServer,
    accounts: tuple[LoggedIn, LoggedIn],
    http: httpx.AsyncClient,
    listeners: list[Listener],
) -> None:
    """Immich's `on_asset_stack_update`, without arguments, after each stack write."""
    admin, user = accounts
    owner = await listener(listeners).connect(server, user.headers)
    assert await owner.expect("on_server_version") == (SERVER_VERSION,)
    other = await listener(listeners).connect(server, admin.headers)
    assert await other.expect("on_server_version") == (SERVER_VERSION,)
    a, b, c, d = [(await upload_asset(http, user, f"stacked-{n}.jpg")).json()["id"] for n in range(4)]

    created = await http.post("/stacks", headers=user.headers, json={"assetIds": [a, b, c]})
    assert created.status_code == 201, created.text
    stack_id = created.json()["id"]
    assert await owner.expect("on_asset_stack_update") == ()
    assert (
        await http.put(f"/stacks/{stack_id}", headers=user.headers, json={"primaryAssetId": b})
    ).is_success
    assert await owner.expect("on_asset_stack_update") == ()
    assert (await http.delete(f"/stacks/{stack_id}/assets/{c}", headers=user.headers)).status_code == 204
    assert await owner.expect("on_asset_stack_update") == ()
    assert (await http.delete(f"/stacks/{stack_id}", headers=user.headers)).status_code == 204
    assert await owner.expect("on_asset_stack_update") == ()
    other_stack = (await http.post("/stacks", headers=user.headers, json={"assetIds": [c, d]})).json()["id"]
    assert await owner.expect("on_asset_stack_update") == ()
    deleted = await http.request("DELETE", "/stacks", headers=user.headers, json={"ids": [other_stack]})
    assert deleted.status_code == 204
    assert await owner.expect("on_asset_stack_update") == ()

    # A refused request tells no one.
    refused = await http.post("/stacks", headers=admin.headers, json={"assetIds": [a, b]})
    assert refused.status_code == 400
    await other.expect_nothing()
    await owner.expect_nothing(0)


async def _heard(client: Listener, event: str, count: int, timeout: float = 20) -> list[tuple[Any, ...]]:
    """The arguments of the next `count` `event`s, skipping other events (the media jobs' ones)."""
    found: list[tuple[Any, ...]] = []
    while len(found) < count:
        name, args = await client.next(timeout)
        if name == event:
            found.append(args)
    return found


async def test_a_live_photo_hides_its_motion_part_which_goes_with_its_last_still(
    server: RunningServer,
    accounts: tuple[LoggedIn, LoggedIn],
    http: httpx.AsyncClient,
    listeners: list[Listener],
) -> None:
    _, user = accounts
    owner = await listener(listeners).connect(server, user.headers)
    assert await owner.expect("on_server_version") == (SERVER_VERSION,)
    motion = (await upload_asset(http, user, "live-motion.mp4")).json()["id"]
    first = (await upload_asset(http, user, "live-1.jpg", livePhotoVideoId=motion)).json()["id"]
    # Immich tells the owner's clients that the video left the timeline.
    assert await _heard(owner, "on_asset_hidden", 1) == [(motion,)]
    second = (await upload_asset(http, user, "live-2.jpg", livePhotoVideoId=motion)).json()["id"]

    # Another still still links the video: only the deleted still goes.
    gone = await http.request("DELETE", "/assets", headers=user.headers, json={"ids": [first], "force": True})
    assert gone.status_code == 204, gone.text
    assert await _heard(owner, "on_asset_delete", 1) == [(first,)]
    assert (await http.get(f"/assets/{motion}", headers=user.headers)).status_code == 200
    assert (await http.get(f"/assets/{second}", headers=user.headers)).json()["livePhotoVideoId"] == motion

    # The last still takes the motion part along, and the clients hear of both.
    body = {"ids": [second], "force": True}
    gone = await http.request("DELETE", "/assets", headers=user.headers, json=body)
    assert gone.status_code == 204, gone.text
    assert sorted(await _heard(owner, "on_asset_delete", 2)) == sorted([(second,), (motion,)])
    assert (await http.get(f"/assets/{motion}", headers=user.headers)).status_code == 400
