"""Album invites and updates: `on_album_update` to members, an in-app notification for the others,
and an e-mail through a real SMTP server when SMTP is on and the recipient's preferences allow it.
Album update notifications wait until the album has been quiet for a while (Immich's debounce)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
import pyvips  # type: ignore[import-untyped]

from albumen.events.bus import ClientEvent
from albumen.notifications import service as notifications
from tests.support.assets import upload_id
from tests.support.smtp import SmtpServer
from tests.support.users import LoggedIn, create_user, sign_up_admin


async def _enable_smtp(client: httpx.AsyncClient, admin: LoggedIn, smtp: SmtpServer) -> None:
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["notifications"]["smtp"] = smtp.settings()
    config["server"]["externalDomain"] = "https://photos.example.com"
    response = await client.put("/system-config", headers=admin.headers, json=config)
    assert response.status_code == 200, response.text


async def _notifications(client: httpx.AsyncClient, who: LoggedIn, count: int) -> list[dict[str, Any]]:
    """The user's notifications once there are `count` of them (jobs run in the background)."""
    deadline = time.monotonic() + 20
    while True:
        listed: list[dict[str, Any]] = (await client.get("/notifications", headers=who.headers)).json()
        if len(listed) >= count or time.monotonic() > deadline:
            return listed
        await asyncio.sleep(0.1)


def _jpeg(gray: int) -> bytes:
    image = (pyvips.Image.black(96, 64) + gray).cast("uchar")
    data: bytes = image.jpegsave_buffer()
    return data


def _record_events(app: Any) -> list[ClientEvent]:
    seen: list[ClientEvent] = []

    async def record(event: ClientEvent) -> None:
        seen.append(event)

    app.state.container.events.subscribe(record)
    return seen


async def test_invite_notifies_in_app_and_by_email(
    app: Any, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com", name="Alice")
    bob = await create_user(client, admin, "bob@example.com", name="Bob")
    carol = await create_user(client, admin, "carol@example.com", name="Carol")
    await _enable_smtp(client, admin, smtp_server)
    events = _record_events(app)
    created = await client.post(
        "/albums",
        headers=alice.headers,
        json={"albumName": "Trip <1>", "albumUsers": [{"userId": bob.user_id, "role": "viewer"}]},
    )
    album_id = created.json()["id"]

    (invite,) = await _notifications(client, bob, 1)
    assert (invite["type"], invite["level"], invite["title"]) == (
        "AlbumInvite",
        "success",
        "Shared Album Invitation",
    )
    assert invite["description"] == "Alice shared an album (Trip <1>) with you"
    assert invite["data"] == {"albumId": album_id}
    (message,) = await smtp_server.inbox.wait_for(1)
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "You have been added to a shared album - Trip <1>"
    assert "Alice has added you to the album Trip <1>" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Trip &lt;1&gt;" in html  # the album name is escaped in the HTML part
    assert f"https://photos.example.com/albums/{album_id}" in html
    assert [e.args[0]["id"] for e in events if e.name == "on_notification" and e.room == bob.user_id] == [
        invite["id"]
    ]

    # Carol turned album invite e-mails off: she gets the in-app notification only.
    prefs = await client.put(
        "/users/me/preferences", headers=carol.headers, json={"emailNotifications": {"albumInvite": False}}
    )
    assert prefs.status_code == 200, prefs.text
    added = await client.put(
        f"/albums/{album_id}/users", headers=alice.headers, json={"albumUsers": [{"userId": carol.user_id}]}
    )
    assert added.status_code == 200, added.text
    (carols,) = await _notifications(client, carol, 1)
    assert carols["type"] == "AlbumInvite"
    await asyncio.sleep(1)
    assert len(smtp_server.inbox.messages) == 1
    assert await _notifications(client, alice, 0) == []  # the sender hears nothing


async def test_album_updates_are_debounced_and_sent_to_the_others(
    app: Any, client: httpx.AsyncClient, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications, "ALBUM_UPDATE_DELAY_SECONDS", 3.0)
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com", name="Alice")
    bob = await create_user(client, admin, "bob@example.com", name="Bob")
    album = await client.post(
        "/albums",
        headers=alice.headers,
        json={"albumName": "Trip", "albumUsers": [{"userId": bob.user_id, "role": "editor"}]},
    )
    album_id = album.json()["id"]
    await _notifications(client, bob, 1)  # the invite (SMTP is still off: no e-mail)
    await _enable_smtp(client, admin, smtp_server)
    events = _record_events(app)

    # Real images, so the media jobs make the thumbnail the e-mail carries.
    first = await upload_id(client, alice, "a.jpg", _jpeg(40))
    second = await upload_id(client, alice, "b.jpg", _jpeg(200))
    started = time.monotonic()
    for asset in (first, second):  # two additions in a row: one notification, after the quiet period
        response = await client.put(
            f"/albums/{album_id}/assets", headers=alice.headers, json={"ids": [asset]}
        )
        assert response.json()[0]["success"] is True
        await asyncio.sleep(1)
    updates = [e for e in events if e.name == "on_album_update"]
    assert sorted(e.room for e in updates if e.room) == sorted([alice.user_id, bob.user_id] * 2)
    assert {e.args for e in updates} == {(album_id,)}

    listed = await _notifications(client, bob, 2)
    elapsed = time.monotonic() - started
    assert elapsed >= 2 + 3 - 1  # the second addition restarted the wait
    assert [n["type"] for n in listed] == ["AlbumUpdate", "AlbumInvite"]
    assert listed[0]["description"] == "New media has been added to the album (Trip)"
    (message,) = await smtp_server.inbox.wait_for(1)
    assert (message["To"], message["Subject"]) == (
        "bob@example.com",
        "New media has been added to an album - Trip",
    )
    # The album thumbnail goes along inline, as Immich sends it.
    images = [part for part in message.walk() if part.get_content_maintype() == "image"]
    assert [part["Content-ID"] for part in images] == ["<album-thumbnail>"]
    assert 'src="cid:album-thumbnail"' in message.get_body(("html",)).get_content()
    assert images[0].get_content_type() == "image/webp"
    assert images[0].get_content()[8:12] == b"WEBP"  # the thumbnail file itself
    await asyncio.sleep(4)
    assert len(await _notifications(client, bob, 3)) == 2  # no second update notification
    assert len(smtp_server.inbox.messages) == 1
    assert await _notifications(client, alice, 0) == []

    # A removal tells the members' apps, and notifies nobody.
    events.clear()
    removed = await client.request(
        "DELETE", f"/albums/{album_id}/assets", headers=bob.headers, json={"ids": [first]}
    )
    assert removed.status_code == 200
    assert removed.json()[0]["success"] is False  # an editor removes only what they could share
    removed = await client.request(
        "DELETE", f"/albums/{album_id}/assets", headers=alice.headers, json={"ids": [first]}
    )
    assert removed.json()[0]["success"] is True
    await asyncio.sleep(0.2)
    assert sorted(e.room for e in events if e.name == "on_album_update" and e.room) == sorted(
        [alice.user_id, bob.user_id]
    )
    await asyncio.sleep(4)
    assert len(await _notifications(client, bob, 3)) == 2


async def test_mail_is_not_sent_while_smtp_is_off(client: httpx.AsyncClient, smtp_server: SmtpServer) -> None:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com", name="Alice")
    bob = await create_user(client, admin, "bob@example.com", name="Bob")
    await client.post(
        "/albums",
        headers=alice.headers,
        json={"albumName": "Trip", "albumUsers": [{"userId": bob.user_id, "role": "viewer"}]},
    )
    assert [n["type"] for n in await _notifications(client, bob, 1)] == ["AlbumInvite"]
    await asyncio.sleep(1)
    assert smtp_server.inbox.messages == []
