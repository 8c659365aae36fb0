"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd's handler: each DATA becomes a parsed message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return list(self.messages)


class SmtpServer:
    def __init__(self, controller: Controller, inbox: Inbox) -> None:
        self.controller = controller
        self.inbox = inbox

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def settings(self) -> dict[str, Any]:
        """Immich's `notifications.smtp` system config for this server."""
        return {
            "enabled": True,
            "from": "Albumen <albumen@example.com>",
            "replyTo": "",
            "transport": {
                "host": "127.0.0.1", "port": self.port, "username": "", "password": "",
                "ignoreCert": True, "secure": False,
            },
        }  # fmt: skip


@pytest.fixture
def smtp_server(unused_tcp_port: int) -> Iterator[SmtpServer]:
    # Imported here: every module loads this fixture through conftest, and only a few use it.
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    try:
        yield SmtpServer(controller, inbox)
    finally:
        controller.stop()
