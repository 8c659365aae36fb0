"""/users: the caller's own account and other users' public profiles."""

from __future__ import annotations

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.errors import Unauthorized
from albumen.users.repository import UserRepository
from albumen.users.schemas import user_admin_dto

router = ImmichRouter()


@router.operation("getMyUser")
async def get_my_user(auth: Auth, db: DbDep) -> dto.UserAdminResponseDto:
    users = UserRepository(db)
    user = await users.get(auth.user.id)
    if user is None:
        raise Unauthorized("Authentication required")
    return user_admin_dto(user, await users.get_metadata(user.id))
