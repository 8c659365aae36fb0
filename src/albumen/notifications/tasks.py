"""The notification jobs: album invite and album update (in-app row + e-mail), the welcome e-mail,
SendMail, and the
nightly NotificationsCleanup (Immich has its handler but never queues it; here it runs nightly)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import structlog

from albumen.jobs.schemas import JobName, QueueName
from albumen.notifications.schemas import Email
from albumen.notifications.service import NotificationService

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.notifications")


def register(container: Container) -> None:
    database = container.database
    config_file = container.settings.config_file

    async def album_invite(data: Any) -> None:
        async with database.unit_of_work() as db:
            await NotificationService(db).notify_album_invite(
                uuid.UUID(str(data["id"])),
                uuid.UUID(str(data["recipientId"])),
                str(data["senderName"]),
                config_file,
            )

    async def album_update(data: Any) -> None:
        async with database.unit_of_work() as db:
            await NotificationService(db).notify_album_update(
                uuid.UUID(str(data["id"])), uuid.UUID(str(data["recipientId"])), config_file
            )

    async def user_signup(data: Any) -> None:
        async with database.unit_of_work() as db:
            password = data.get("password")
            await NotificationService(db).notify_user_signup(
                uuid.UUID(str(data["id"])), str(password) if password else None, config_file
            )

    async def send_mail(data: Any) -> None:
        async with database.unit_of_work() as db:
            message_id = await NotificationService(db).send_mail(
                Email.from_job(data), config_file, container.storage["thumbnails"]
            )
        log.info("mail sent" if message_id else "mail skipped: SMTP is disabled", message_id=message_id)

    async def cleanup(_data: Any) -> None:
        async with database.unit_of_work() as db:
            removed = await NotificationService(db).cleanup()
        log.info("old notifications deleted", count=removed)

    container.jobs.register(JobName.NotifyAlbumInvite, QueueName.notifications, album_invite)
    container.jobs.register(JobName.NotifyAlbumUpdate, QueueName.notifications, album_update)
    container.jobs.register(JobName.NotifyUserSignup, QueueName.notifications, user_signup)
    container.jobs.register(JobName.SendMail, QueueName.notifications, send_mail)
    container.jobs.register(JobName.NotificationsCleanup, QueueName.backgroundTask, cleanup)
