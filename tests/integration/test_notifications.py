"""/notifications and /admin/notifications: owner-only reads, read marks, dismissal, admin create."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from albumen.jobs.schemas import JobName
from tests.support.jobs import settle
from tests.support.smtp import SmtpServer
from tests.support.users import LoggedIn, create_user, sign_up_admin


async def _notify(client: httpx.AsyncClient, admin: LoggedIn, user_id: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/admin/notifications", headers=admin.headers, json={"userId": user_id, "title": "Hi", **fields}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_admin_creates_and_user_lists_with_filters(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "user@immich.cloud")
    first = await _notify(client, admin, user.user_id)
    assert set(first) == {"id", "createdAt", "level", "type", "title"}  # nulls are left out, as Immich
    assert (first["level"], first["type"], first["title"]) == ("info", "Custom", "Hi")
    second = await _notify(
        client, admin, user.user_id, title="Backup", level="error", type="BackupFailed",
        description="disk full", data={"job": "backup"},
    )  # fmt: skip
    assert second["description"] == "disk full"
    assert second["data"] == {"job": "backup"}

    listed = (await client.get("/notifications", headers=user.headers)).json()
    assert [item["id"] for item in listed] == [second["id"], first["id"]]  # newest first
    errors = (await client.get("/notifications", headers=user.headers, params={"level": "error"})).json()
    assert [item["id"] for item in errors] == [second["id"]]
    custom = (await client.get("/notifications", headers=user.headers, params={"type": "Custom"})).json()
    assert [item["id"] for item in custom] == [first["id"]]
    by_id = (await client.get("/notifications", headers=user.headers, params={"id": first["id"]})).json()
    assert [item["id"] for item in by_id] == [first["id"]]
    assert (await client.get("/notifications", headers=admin.headers)).json() == []

    one = await client.get(f"/notifications/{second['id']}", headers=user.headers)
    assert one.status_code == 200
    assert one.json() == second


async def test_read_marks_and_unread_filter(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    first = await _notify(client, admin, admin.user_id)
    second = await _notify(client, admin, admin.user_id)
    read_at = "2026-01-02T03:04:05.000Z"
    marked = await client.put(
        f"/notifications/{first['id']}", headers=admin.headers, json={"readAt": read_at}
    )
    assert marked.status_code == 200
    assert marked.json()["readAt"].startswith("2026-01-02T03:04:05")
    unread = (await client.get("/notifications", headers=admin.headers, params={"unread": "true"})).json()
    assert [item["id"] for item in unread] == [second["id"]]

    bulk = await client.put(
        "/notifications", headers=admin.headers, json={"ids": [first["id"], second["id"]], "readAt": read_at}
    )
    assert bulk.status_code == 204
    assert (await client.get("/notifications", headers=admin.headers, params={"unread": True})).json() == []
    cleared = await client.put(f"/notifications/{first['id']}", headers=admin.headers, json={"readAt": None})
    assert "readAt" not in cleared.json()


async def test_delete_and_bulk_delete_hide_the_notification(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    ids = [(await _notify(client, admin, admin.user_id))["id"] for _ in range(3)]
    assert (await client.delete(f"/notifications/{ids[0]}", headers=admin.headers)).status_code == 204
    gone = await client.get(f"/notifications/{ids[0]}", headers=admin.headers)
    assert gone.status_code == 400
    assert gone.json()["message"] == "Notification not found"
    bulk = await client.request("DELETE", "/notifications", headers=admin.headers, json={"ids": ids[1:]})
    assert bulk.status_code == 204
    assert (await client.get("/notifications", headers=admin.headers)).json() == []


async def test_another_users_notification_is_out_of_reach(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "user@immich.cloud")
    mine = await _notify(client, admin, admin.user_id)
    for response, permission in (
        (await client.get(f"/notifications/{mine['id']}", headers=user.headers), "read"),
        (
            await client.put(f"/notifications/{mine['id']}", headers=user.headers, json={"readAt": None}),
            "update",
        ),
        (await client.delete(f"/notifications/{mine['id']}", headers=user.headers), "delete"),
        (
            await client.request(
                "DELETE", "/notifications", headers=user.headers, json={"ids": [mine["id"]]}
            ),
            "delete",
        ),
    ):
        assert response.status_code == 400
        assert response.json()["message"] == f"Not found or no notification.{permission} access"
    assert len((await client.get("/notifications", headers=admin.headers)).json()) == 1


async def test_bad_input_is_400_and_admin_routes_need_an_admin(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "user@immich.cloud")
    assert (
        await client.get("/notifications", headers=user.headers, params={"level": "loud"})
    ).status_code == 400
    assert (await client.get("/notifications/not-a-uuid", headers=user.headers)).status_code == 400
    empty = await client.put("/notifications", headers=user.headers, json={"ids": []})
    assert empty.status_code == 400
    refused = await client.post(
        "/admin/notifications", headers=user.headers, json={"userId": user.user_id, "title": "x"}
    )
    assert refused.status_code == 403
    nobody = await client.post(
        "/admin/notifications", headers=admin.headers, json={"userId": str(uuid.uuid4()), "title": "x"}
    )
    assert nobody.status_code == 400
    assert nobody.json()["message"] == "User not found"
    welcome = await client.post(
        "/admin/notifications/templates/welcome", headers=admin.headers, json={"template": ""}
    )
    assert welcome.status_code == 200, welcome.text
    assert welcome.json()["name"] == "welcome"
    assert "thisIsAPassword123" in welcome.json()["html"]
    custom = await client.post(
        "/admin/notifications/templates/album-update",
        headers=admin.headers,
        json={"template": "<b>{albumName}</b> for {recipientName}"},
    )
    assert "<b>Favorite Photos</b> for Jane Doe" in custom.json()["html"]
    unknown = await client.post(
        "/admin/notifications/templates/nope", headers=admin.headers, json={"template": ""}
    )
    assert unknown.status_code == 400
    assert unknown.json() == {"message": "Unknown email template: nope"}


def _smtp(port: int) -> dict[str, Any]:
    return {
        "enabled": True,
        "from": "Albumen <albumen@example.com>",
        "replyTo": "",
        "transport": {
            "host": "127.0.0.1", "port": port, "username": "", "password": "",
            "ignoreCert": True, "secure": False,
        },
    }  # fmt: skip


async def test_test_email_fails_cleanly_when_smtp_is_unreachable(
    client: httpx.AsyncClient, unused_tcp_port: int
) -> None:
    admin = await sign_up_admin(client)
    response = await client.post(
        "/admin/notifications/test-email", headers=admin.headers, json=_smtp(unused_tcp_port)
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Failed to verify SMTP configuration"


async def test_test_email_is_sent_to_the_admin(client: httpx.AsyncClient, smtp_server: SmtpServer) -> None:
    admin = await sign_up_admin(client)
    response = await client.post(
        "/admin/notifications/test-email", headers=admin.headers, json=smtp_server.settings()
    )
    assert response.status_code == 200, response.text
    (message,) = await smtp_server.inbox.wait_for(1)
    assert message["To"] == admin.email
    assert message["Subject"] == "Test email from Albumen"
    assert response.json() == {"messageId": message["Message-ID"]}


async def test_notifications_cleanup_drops_old_rows(
    app: Any, client: httpx.AsyncClient, database_url: str
) -> None:
    admin = await sign_up_admin(client)
    ages = {  # title: (created days ago, read days ago, dismissed days ago)
        "fresh": (1, None, None),
        "old unread": (31, None, None),
        "month-old unread": (29, None, None),
        "old, read long ago": (16, 3, None),
        "old, just read": (16, 1, None),
        "dismissed long ago": (1, None, 4),
        "just dismissed": (1, None, 2),
    }
    for title in ages:
        await _notify(client, admin, admin.user_id, title=title)
    connection = await asyncpg.connect(database_url)
    try:
        for title, (created, read, dismissed) in ages.items():
            await connection.execute(
                "UPDATE notification SET created_at = now() - make_interval(days => $2),"
                " read_at = now() - make_interval(days => $3), deleted_at = now() - make_interval(days => $4)"
                " WHERE title = $1",
                title, created, read, dismissed,
            )  # fmt: skip
        await app.state.container.jobs.enqueue(JobName.NotificationsCleanup)
        await settle(app)
        left = {row["title"] for row in await connection.fetch("SELECT title FROM notification")}
    finally:
        await connection.close()
    assert left == {"fresh", "month-old unread", "old, just read", "just dismissed"}


async def test_smtp_settings_are_checked_when_saved_and_a_new_user_gets_a_welcome_email(
    client: httpx.AsyncClient, smtp_server: SmtpServer, unused_tcp_port_factory: Callable[[], int]
) -> None:
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    unreachable = smtp_server.settings()
    unreachable["transport"]["port"] = unused_tcp_port_factory()  # not the SMTP server's
    config["notifications"]["smtp"] = unreachable
    refused = await client.put("/system-config", headers=admin.headers, json=config)
    assert refused.status_code == 400
    assert refused.json()["message"] == "Invalid SMTP configuration"
    assert (await client.get("/system-config", headers=admin.headers)).json()["notifications"]["smtp"][
        "enabled"
    ] is False

    config["notifications"]["smtp"] = smtp_server.settings()
    config["templates"]["email"]["welcomeTemplate"] = (
        "<p>Hi {displayName} ({username}), see {baseUrl} {unknown}</p>"
    )
    saved = await client.put("/system-config", headers=admin.headers, json=config)
    assert saved.status_code == 200, saved.text

    quiet = await client.post(
        "/admin/users",
        headers=admin.headers,
        json={"email": "quiet@example.com", "password": "secret-1", "name": "Quiet"},
    )
    assert quiet.status_code == 201
    created = await client.post(
        "/admin/users",
        headers=admin.headers,
        json={"email": "new@example.com", "password": "secret-2", "name": "New <User>", "notify": True},
    )
    assert created.status_code == 201, created.text
    (message,) = await smtp_server.inbox.wait_for(1)
    assert (message["To"], message["Subject"]) == ("new@example.com", "Welcome to Immich")
    html = message.get_body(("html",)).get_content()
    assert "Hi New &lt;User&gt; (new@example.com), see http://localhost:2283 {unknown}" in html
    await asyncio.sleep(1)
    assert len(smtp_server.inbox.messages) == 1  # nobody else was told
