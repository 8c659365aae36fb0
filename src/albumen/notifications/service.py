"""In-app notifications: a user reads, marks and dismisses their own; an admin posts one to anyone.

Producers (Immich notifies the admin when the database backup job fails, and album members on
album invites/updates) are not wired yet; these routes serve whatever rows exist.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.models import Notification, User
from albumen.notifications.repository import NotificationRepository

SMTP_TIMEOUT_SECONDS = 10


def notification_dto(notification: Notification) -> dto.NotificationDto:
    """Empty optional fields are left unset: Immich omits them, and the routes exclude unset ones."""
    optional = {
        "description": notification.description,
        "data": notification.data,
        "readAt": notification.read_at,
    }
    return dto.NotificationDto(
        id=notification.id,
        createdAt=notification.created_at,
        level=dto.NotificationLevel(notification.level),
        type=dto.NotificationType(notification.type),
        title=notification.title,
        **{name: value for name, value in optional.items() if value is not None},
    )


class NotificationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.notifications = NotificationRepository(db)
        self.access = AccessService(db)

    async def search(
        self,
        auth: AuthContext,
        *,
        notification_id: uuid.UUID | None,
        level: dto.NotificationLevel | None,
        type_: dto.NotificationType | None,
        unread: bool | None,
    ) -> list[dto.NotificationDto]:
        rows = await self.notifications.search(
            auth.user.id,
            notification_id=notification_id,
            level=level.value if level else None,
            type_=type_.value if type_ else None,
            unread=bool(unread),
        )
        return [notification_dto(row) for row in rows]

    async def get(self, auth: AuthContext, notification_id: uuid.UUID) -> dto.NotificationDto:
        await self.access.require(auth, dto.Permission.notification_read, [notification_id])
        # Immich v3.1.0's lookup filters on `deletedAt IS NOT NULL` (a bug: live ones are "not
        # found"); here a live notification is found and a dismissed one is not.
        notification = await self.notifications.get(notification_id)
        if notification is None:
            raise BadRequest("Notification not found")
        return notification_dto(notification)

    async def update(
        self, auth: AuthContext, notification_id: uuid.UUID, body: dto.NotificationUpdateDto
    ) -> dto.NotificationDto:
        await self.access.require(auth, dto.Permission.notification_update, [notification_id])
        await self.notifications.set_read_at({notification_id}, body.readAt)
        notification = await self.notifications.get(notification_id)
        if notification is None:
            raise BadRequest("Notification not found")
        return notification_dto(notification)

    async def update_all(self, auth: AuthContext, body: dto.NotificationUpdateAllDto) -> None:
        ids = {item.root for item in body.ids}
        await self.access.require(auth, dto.Permission.notification_update, ids)
        await self.notifications.set_read_at(ids, body.readAt)

    async def delete(self, auth: AuthContext, notification_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.notification_delete, [notification_id])
        await self.notifications.soft_delete({notification_id})

    async def delete_all(self, auth: AuthContext, body: dto.NotificationDeleteAllDto) -> None:
        ids = {item.root for item in body.ids}
        await self.access.require(auth, dto.Permission.notification_delete, ids)
        await self.notifications.soft_delete(ids)

    async def create(self, body: dto.NotificationCreateDto) -> dto.NotificationDto:
        recipient = await self.db.get(User, body.userId)
        if recipient is None or recipient.deleted_at is not None:
            raise BadRequest("User not found")
        notification = await self.notifications.create(
            user_id=body.userId,
            level=(body.level or dto.NotificationLevel.info).value,
            type=(body.type or dto.NotificationType.Custom).value,
            title=body.title,
            description=body.description,
            data=body.data,
            read_at=body.readAt,
        )
        return notification_dto(notification)

    async def send_test_email(
        self, auth: AuthContext, smtp: dto.SystemConfigSmtpDto
    ) -> dto.TestEmailResponseDto:
        """Verifies the given SMTP settings by sending the caller a short test message."""
        message = EmailMessage()
        message["Subject"] = "Test email from Albumen"
        message["From"] = smtp.from_
        message["To"] = auth.user.email
        message["Reply-To"] = smtp.replyTo or smtp.from_
        message["Message-ID"] = make_msgid(domain="albumen")
        message.set_content(f"Hello {auth.user.name},\n\nthis test message shows your SMTP settings work.\n")
        try:
            await asyncio.to_thread(_send, smtp.transport, message)
        except (OSError, smtplib.SMTPException) as error:
            raise BadRequest("Failed to verify SMTP configuration") from error
        return dto.TestEmailResponseDto(messageId=str(message["Message-ID"]))

    @staticmethod
    def render_template(name: str) -> dto.TemplateResponseDto:
        # Immich renders its React e-mail templates here; Albumen sends no templated e-mail yet.
        raise BadRequest(f"Email template previews are not supported: {name}")


def _send(transport: dto.SystemConfigSmtpTransportDto, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    if transport.ignoreCert:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    client: smtplib.SMTP
    if transport.secure:
        client = smtplib.SMTP_SSL(
            transport.host, transport.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        client = smtplib.SMTP(transport.host, transport.port, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if not transport.secure and client.has_extn("starttls"):
            client.starttls(context=context)
        if transport.username:
            client.login(transport.username, transport.password)
        client.send_message(message)
