"""In-app notifications: a user reads, marks and dismisses their own; an admin posts one to anyone.

Album invites and album updates (new media) produce them, as Immich's notification jobs do: an in-app
row announced with `on_notification`, then an e-mail (the SendMail job) when the recipient's
preferences allow it; SendMail sends it when SMTP is enabled in the system config.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.albums.repository import AlbumRepository
from albumen.assets.repository import AssetRepository
from albumen.authn.schemas import AuthContext
from albumen.events import messages
from albumen.immich import dto
from albumen.jobs.schemas import JobName
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest
from albumen.kit.time import utcnow
from albumen.models import Album, Notification, User
from albumen.notifications.repository import NotificationRepository
from albumen.notifications.schemas import (
    THUMBNAIL_CID,
    Email,
    album_invite_email,
    album_update_email,
    external_domain,
    welcome_email,
)
from albumen.storage.base import ObjectNotFound, StorageBackend
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository
from albumen.users.repository import UserRepository
from albumen.users.schemas import PREFERENCES_KEY, preferences

SMTP_TIMEOUT_SECONDS = 10
# Immich waits this long after an album's last addition before telling its members (a debounce: each
# addition queues the job again, replacing the one still waiting).
ALBUM_UPDATE_DELAY_SECONDS = 300.0


def announce_album_invite(
    db: AsyncSession, album_id: uuid.UUID, user_id: uuid.UUID, sender_name: str
) -> None:
    """After the commit: the invited user's notification (and e-mail) comes from a job."""
    side_effects(db).queue(
        JobName.NotifyAlbumInvite,
        {"id": str(album_id), "recipientId": str(user_id), "senderName": sender_name},
    )


def announce_user_signup(db: AsyncSession, user_id: uuid.UUID, password: str | None) -> None:
    """After the commit: the welcome e-mail (sent only if SMTP is enabled by then)."""
    side_effects(db).queue(JobName.NotifyUserSignup, {"id": str(user_id), "password": password})


def announce_album_update(
    db: AsyncSession, album_id: uuid.UUID, member_ids: list[uuid.UUID], recipient_ids: list[uuid.UUID]
) -> None:
    """After the commit: `on_album_update` to every member; the recipients (those who did not make the
    change) are notified once the album has been quiet for ALBUM_UPDATE_DELAY_SECONDS."""
    effects = side_effects(db)
    for member_id in member_ids:
        effects.emit(messages.album_update(member_id, album_id))
    for recipient_id in recipient_ids:
        effects.queue(
            JobName.NotifyAlbumUpdate,
            {"id": str(album_id), "recipientId": str(recipient_id)},
            key=f"{album_id}/{recipient_id}",
            delay=ALBUM_UPDATE_DELAY_SECONDS,
            replace=True,
        )


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
        message = _message(smtp, auth.user.email, "Test email from Albumen")
        message.set_content(f"Hello {auth.user.name},\n\nthis test message shows your SMTP settings work.\n")
        try:
            await asyncio.to_thread(_send, smtp.transport, message)
        except (OSError, smtplib.SMTPException) as error:
            raise BadRequest("Failed to verify SMTP configuration") from error
        return dto.TestEmailResponseDto(messageId=str(message["Message-ID"]))

    # -- album notifications (job handlers) ------------------------------------------------------------

    async def notify_album_invite(
        self, album_id: uuid.UUID, recipient_id: uuid.UUID, sender_name: str, config_file: Path | None
    ) -> None:
        found = await self._album_and_recipient(album_id, recipient_id)
        if found is None:
            return
        album, recipient = found
        await self._in_app(
            recipient.id,
            dto.NotificationType.AlbumInvite,
            dto.NotificationLevel.success,
            "Shared Album Invitation",
            f"{sender_name} shared an album ({album.album_name}) with you",
            album.id,
        )
        if not await self._wants_email(recipient.id, "albumInvite"):
            return
        config = await self._config(config_file)
        email = album_invite_email(
            to=recipient.email,
            recipient=recipient.name,
            sender=sender_name,
            album_name=album.album_name,
            album_id=str(album.id),
            base_url=external_domain(config),
            custom=str(config["templates"]["email"]["albumInviteTemplate"]),
            thumbnail_key=await self._thumbnail_key(album),
        )
        side_effects(self.db).queue(JobName.SendMail, email.as_job())

    async def notify_album_update(
        self, album_id: uuid.UUID, recipient_id: uuid.UUID, config_file: Path | None
    ) -> None:
        found = await self._album_and_recipient(album_id, recipient_id)
        if found is None:
            return
        album, recipient = found
        await self._in_app(
            recipient.id,
            dto.NotificationType.AlbumUpdate,
            dto.NotificationLevel.info,
            "Shared Album Update",
            f"New media has been added to the album ({album.album_name})",
            album.id,
        )
        if not await self._wants_email(recipient.id, "albumUpdate"):
            return
        config = await self._config(config_file)
        email = album_update_email(
            to=recipient.email,
            recipient=recipient.name,
            album_name=album.album_name,
            album_id=str(album.id),
            base_url=external_domain(config),
            custom=str(config["templates"]["email"]["albumUpdateTemplate"]),
            thumbnail_key=await self._thumbnail_key(album),
        )
        side_effects(self.db).queue(JobName.SendMail, email.as_job())

    async def notify_user_signup(
        self, user_id: uuid.UUID, password: str | None, config_file: Path | None
    ) -> None:
        """The welcome e-mail an admin asked for (`notify`) when creating the account."""
        user = await UserRepository(self.db).get(user_id)
        if user is None:
            return
        config = await self._config(config_file)
        email = welcome_email(
            to=user.email,
            display_name=user.name,
            username=user.email,
            password=password,
            base_url=external_domain(config),
            custom=str(config["templates"]["email"]["welcomeTemplate"]),
        )
        side_effects(self.db).queue(JobName.SendMail, email.as_job())

    async def send_mail(
        self, email: Email, config_file: Path | None, thumbnails: StorageBackend | None = None
    ) -> str | None:
        """Sends through the configured SMTP server; None (nothing sent) while SMTP is disabled. The
        album thumbnail is read from `thumbnails`; one that is gone meanwhile is left out."""
        smtp = dto.SystemConfigSmtpDto.model_validate(
            (await self._config(config_file))["notifications"]["smtp"]
        )
        if not smtp.enabled:
            return None
        message = _message(smtp, email.to, email.subject)
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        if email.thumbnail_key and thumbnails is not None:
            image = await _read_all(thumbnails, email.thumbnail_key)
            if image is not None:
                subtype = email.thumbnail_key.rsplit(".", 1)[-1].lower().replace("jpg", "jpeg")
                html_part = message.get_body(("html",))
                assert html_part is not None  # added just above
                html_part.add_related(
                    image, maintype="image", subtype=subtype, cid=f"<{THUMBNAIL_CID}>",
                    filename=f"album-thumbnail.{subtype}",
                )  # fmt: skip
        await asyncio.to_thread(_send, smtp.transport, message)
        return str(message["Message-ID"])

    async def cleanup(self) -> int:
        return await self.notifications.cleanup(utcnow())

    async def _album_and_recipient(
        self, album_id: uuid.UUID, recipient_id: uuid.UUID
    ) -> tuple[Album, User] | None:
        """Both still there (the album may have been deleted, the user removed, since the job was queued)."""
        album = await AlbumRepository(self.db).get(album_id)
        recipient = await UserRepository(self.db).get(recipient_id)
        return None if album is None or recipient is None else (album, recipient)

    async def _thumbnail_key(self, album: Album) -> str | None:
        if album.album_thumbnail_asset_id is None:
            return None
        thumbnail = await AssetRepository(self.db).file(album.album_thumbnail_asset_id, "thumbnail")
        return thumbnail.path if thumbnail is not None else None

    async def _in_app(
        self,
        user_id: uuid.UUID,
        type_: dto.NotificationType,
        level: dto.NotificationLevel,
        title: str,
        description: str,
        album_id: uuid.UUID,
    ) -> None:
        notification = await self.notifications.create(
            user_id=user_id,
            type=type_.value,
            level=level.value,
            title=title,
            description=description,
            data={"albumId": str(album_id)},
        )
        side_effects(self.db).emit(messages.notification(user_id, notification_dto(notification)))

    async def _wants_email(self, user_id: uuid.UUID, kind: str) -> bool:
        metadata = await UserRepository(self.db).get_metadata(user_id)
        wanted: dict[str, Any] = preferences(metadata.get(PREFERENCES_KEY))["emailNotifications"]
        return bool(wanted["enabled"] and wanted[kind])

    async def _config(self, config_file: Path | None) -> dict[str, Any]:
        return await load_config(SystemMetadataRepository(self.db), config_file)

    async def render_template(
        self, name: str, template: str, config_file: Path | None
    ) -> dto.TemplateResponseDto:
        """The admin's preview of an e-mail template (`template`, else the saved one) with sample values."""
        config = await self._config(config_file)
        saved = config["templates"]["email"]
        base_url = external_domain(config)
        if name == "welcome":
            email = welcome_email(
                to="john@doe.com", display_name="John Doe", username="john@doe.com",
                password="thisIsAPassword123", base_url=base_url, custom=template or saved["welcomeTemplate"],
            )  # fmt: skip
        elif name == "album-invite":
            email = album_invite_email(
                to="jane@doe.com", recipient="Jane Doe", sender="John Doe", album_name="John Doe's Favorites",
                album_id="1", base_url=base_url, custom=template or saved["albumInviteTemplate"],
            )  # fmt: skip
        elif name == "album-update":
            email = album_update_email(
                to="jane@doe.com", recipient="Jane Doe", album_name="Favorite Photos", album_id="1",
                base_url=base_url, custom=template or saved["albumUpdateTemplate"],
            )  # fmt: skip
        else:
            raise BadRequest(f"Unknown email template: {name}")
        return dto.TemplateResponseDto(name=name, html=email.html)


async def _read_all(storage: StorageBackend, key: str) -> bytes | None:
    try:
        return b"".join([chunk async for chunk in storage.read(key)])
    except ObjectNotFound:
        return None


def _message(smtp: dto.SystemConfigSmtpDto, to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = smtp.from_
    message["To"] = to
    message["Reply-To"] = smtp.replyTo or smtp.from_
    message["Message-ID"] = make_msgid(domain="albumen")
    return message


def _send(transport: dto.SystemConfigSmtpTransportDto, message: EmailMessage | None) -> None:
    """Connects and signs in as the settings say, then sends `message` (None: only checks the settings)."""
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
        if message is None:
            client.noop()
        else:
            client.send_message(message)


async def verify_smtp(transport: dto.SystemConfigSmtpTransportDto) -> None:
    """Raises BadRequest("Invalid SMTP configuration") unless the server takes a connection and sign-in
    with these settings (Immich checks them so when SMTP is switched on or changed)."""
    try:
        await asyncio.to_thread(_send, transport, None)
    except (OSError, smtplib.SMTPException) as error:
        raise BadRequest("Invalid SMTP configuration") from error
