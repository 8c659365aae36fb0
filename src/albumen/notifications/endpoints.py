"""/notifications and /admin/notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import UUID4

from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool
from albumen.notifications.service import NotificationService

router = ImmichRouter()
# Immich leaves empty optional fields out of a notification.
OMIT_UNSET: dict[str, Any] = {"response_model_exclude_unset": True}


def notification_service(db: DbDep) -> NotificationService:
    return NotificationService(db)


Service = Annotated[NotificationService, Depends(notification_service)]


@router.operation("getNotifications", **OMIT_UNSET)
async def get_notifications(
    auth: Auth,
    service: Service,
    notification_id: Annotated[UUID4 | None, Query(alias="id")] = None,
    level: dto.NotificationLevel | None = None,
    type: dto.NotificationType | None = None,
    unread: QueryBool | None = None,
) -> list[dto.NotificationDto]:
    return await service.search(auth, notification_id=notification_id, level=level, type_=type, unread=unread)


@router.operation("updateNotifications")
async def update_notifications(body: dto.NotificationUpdateAllDto, auth: Auth, service: Service) -> None:
    await service.update_all(auth, body)


@router.operation("deleteNotifications")
async def delete_notifications(body: dto.NotificationDeleteAllDto, auth: Auth, service: Service) -> None:
    await service.delete_all(auth, body)


@router.operation("getNotification", **OMIT_UNSET)
async def get_notification(id: UUID4, auth: Auth, service: Service) -> dto.NotificationDto:
    return await service.get(auth, id)


@router.operation("updateNotification", **OMIT_UNSET)
async def update_notification(
    id: UUID4, body: dto.NotificationUpdateDto, auth: Auth, service: Service
) -> dto.NotificationDto:
    return await service.update(auth, id, body)


@router.operation("deleteNotification")
async def delete_notification(id: UUID4, auth: Auth, service: Service) -> None:
    await service.delete(auth, id)


@router.operation("createNotification", **OMIT_UNSET)
async def create_notification(
    body: dto.NotificationCreateDto, auth: Auth, service: Service
) -> dto.NotificationDto:
    return await service.create(body)


@router.operation("sendTestEmailAdmin")
async def send_test_email(
    body: dto.SystemConfigSmtpDto, auth: Auth, service: Service
) -> dto.TestEmailResponseDto:
    return await service.send_test_email(auth, body)


@router.operation("getNotificationTemplateAdmin")
async def get_notification_template(
    name: str, body: dto.TemplateDto, auth: Auth, service: Service, container: ContainerDep
) -> dto.TemplateResponseDto:
    return await service.render_template(name, body.template, container.settings.config_file)
