"""Accounts removed for good, as Immich's jobs do it: UserDeleteCheck (nightly, and the admin's
"user cleanup") queues UserDelete for every account deleted more than `user.deleteDelay` days ago;
UserDelete removes the account's rows and files (at once for a forced delete).

Rows go before files: each batch of assets is committed before its files are deleted, the account's
own row last, and only then its folders are swept. A crash at any point leaves no row pointing at a
missing file, and running the job again carries on where it stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from albumen.assets.service import AssetService
from albumen.events import messages
from albumen.jobs.schemas import JobName, QueueName
from albumen.kit.effects import side_effects
from albumen.kit.time import utcnow
from albumen.storage.base import StorageBackend
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository
from albumen.users.files import PROFILE_FOLDER
from albumen.users.repository import UserRepository

if TYPE_CHECKING:
    from albumen.container import Container

log = structlog.get_logger("albumen.users")
PURGE_BATCH = 500


def ready_for_deletion(deleted_at: datetime | None, delete_delay_days: int, now: datetime) -> bool:
    return deleted_at is not None and deleted_at < now - timedelta(days=delete_delay_days)


async def queue_user_delete(container: Container, user_id: uuid.UUID, *, force: bool) -> None:
    """Call once the soft delete is committed."""
    await container.jobs.enqueue(JobName.UserDelete, {"id": str(user_id), "force": force}, key=str(user_id))


def user_folders(user_id: uuid.UUID) -> list[tuple[str, str]]:
    """(storage kind, key prefix) of what only this account writes, named by its id (Immich removes the
    same folders: upload, thumbs, encoded-video, profile)."""
    return [
        ("originals", f"upload/{user_id}/"),
        ("thumbnails", f"thumbs/{user_id}/"),
        ("encoded_video", f"encoded-video/{user_id}/"),
        ("profile", f"{PROFILE_FOLDER}/{user_id}/"),
    ]


class UserPurge:
    def __init__(self, container: Container) -> None:
        self.database = container.database
        self.storage: Mapping[str, StorageBackend] = container.storage
        self.config_file = container.settings.config_file

    async def delete_delay(self) -> int:
        async with self.database.unit_of_work() as db:
            config = await load_config(SystemMetadataRepository(db), self.config_file)
        return int(config["user"]["deleteDelay"])

    async def queue_due(self, container: Container) -> int:
        """UserDeleteCheck: queues UserDelete for each account past its delay; returns how many."""
        cutoff = utcnow() - timedelta(days=await self.delete_delay())
        async with self.database.unit_of_work() as db:
            due = [user.id for user in await UserRepository(db).deleted_before(cutoff)]
        for user_id in due:
            await queue_user_delete(container, user_id, force=False)
        return len(due)

    async def purge(self, user_id: uuid.UUID, *, force: bool) -> bool:
        """UserDelete: True when the account was removed (now or by an earlier, interrupted run)."""
        delay = await self.delete_delay()
        async with self.database.unit_of_work() as db:
            user = await UserRepository(db).get(user_id, with_deleted=True)
            if user is not None and not force and not ready_for_deletion(user.deleted_at, delay, utcnow()):
                log.warning("user not ready for deletion; skipped", user_id=str(user_id))
                return False
        if user is not None:
            log.info("deleting user", user_id=str(user_id))
            await self._delete_assets(user_id)
            async with self.database.unit_of_work() as db:
                users = UserRepository(db)
                await users.delete_owned_albums(user_id)
                await users.delete_for_good(user_id)
                side_effects(db).emit(messages.user_delete(user_id))
        # The row is gone (now or in a run that stopped here): nothing names these files any more.
        await self._sweep(user_id)
        return True

    async def _delete_assets(self, user_id: uuid.UUID) -> None:
        while True:
            async with self.database.unit_of_work() as db:
                users = UserRepository(db)
                await users.delete_stacks(user_id)
                ids = await users.owned_asset_ids(user_id, PURGE_BATCH)
                if ids:  # the files go once this batch's rows are committed
                    await AssetService(db, self.storage).purge(ids)
            if not ids:
                return

    async def _sweep(self, user_id: uuid.UUID) -> None:
        # Not `library/<label>`: labels are cleaned before use, so two accounts may share that folder;
        # the originals there went with their rows above.
        for kind, prefix in user_folders(user_id):
            backend = self.storage[kind]
            try:
                keys = [found.key async for found in backend.list(prefix)]
                for key in keys:
                    await backend.delete(key)
            except Exception as error:  # left for the next run or the integrity check; the rows are gone
                log.warning("could not remove a deleted user's files", prefix=prefix, error=str(error))


def register(container: Container) -> None:
    purge = UserPurge(container)

    async def check(_data: Any) -> None:
        queued = await purge.queue_due(container)
        if queued:
            log.info("users queued for deletion", count=queued)

    async def delete(data: Any) -> None:
        await purge.purge(uuid.UUID(str(data["id"])), force=bool(data.get("force", False)))

    container.jobs.register(JobName.UserDeleteCheck, QueueName.backgroundTask, check)
    container.jobs.register(JobName.UserDelete, QueueName.backgroundTask, delete)
