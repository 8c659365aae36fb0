"""The mobile sync protocol's vocabulary: request types in the order they stream, ack strings, limits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from albumen.immich.dto import SyncEntityType as Entity
from albumen.immich.dto import SyncRequestType as Request

# Requested types are answered in this order whatever order the client lists them in; a type's
# rows can name rows of an earlier type (album assets name albums the phone stores first, etc.).
SYNC_TYPES_ORDER: tuple[Request, ...] = (
    Request.AuthUsersV1,
    Request.UsersV1,
    Request.PartnersV1,
    Request.AssetsV1,
    Request.AssetsV2,
    Request.StacksV1,
    Request.PartnerAssetsV1,
    Request.PartnerAssetsV2,
    Request.PartnerStacksV1,
    Request.AlbumAssetsV1,
    Request.AlbumAssetsV2,
    Request.AlbumsV1,
    Request.AlbumsV2,
    Request.AlbumUsersV1,
    Request.AlbumToAssetsV1,
    Request.AssetExifsV1,
    Request.AlbumAssetExifsV1,
    Request.AssetOcrV1,
    Request.PartnerAssetExifsV1,
    Request.MemoriesV1,
    Request.MemoryToAssetsV1,
    Request.PeopleV1,
    Request.AssetFacesV1,
    Request.AssetFacesV2,
    Request.UserMetadataV1,
    Request.AssetMetadataV1,
    Request.AssetEditsV1,
)

# Refused with 400 and the replacement to use, as Immich 3.1 does.
DEPRECATED_TYPES: dict[Request, Request] = {
    Request.AssetsV1: Request.AssetsV2,
    Request.PartnerAssetsV1: Request.PartnerAssetsV2,
    Request.AlbumAssetsV1: Request.AlbumAssetsV2,
    Request.AssetFacesV1: Request.AssetFacesV2,
}


class Scope(Enum):
    """Whose rows of a table a user's stream carries, matched against the table's owner-like column."""

    EVERYONE = "everyone"  # every user's (users are visible to all)
    ME = "me"  # the user's own
    PARTNERS = "partners"  # those of users who share their library with the user
    MY_ALBUMS = "my_albums"  # those of albums the user is a member of


ENTITY_TYPES: frozenset[str] = frozenset(member.value for member in Entity)

MAX_ACKS = 1000
# A client whose last complete sync is older than this starts over: audit rows it would need are gone.
MAX_CHECKPOINT_AGE_DAYS = 30
# Audit rows are kept one day longer than a checkpoint may be old.
AUDIT_RETENTION_DAYS = MAX_CHECKPOINT_AGE_DAYS + 1

BACKFILL_COMPLETE = "complete"
RESET_ACK = f"{Entity.SyncResetV1.value}|reset"
API_KEY_REFUSED = "Sync endpoints cannot be used with API keys"


@dataclass(frozen=True, slots=True)
class Ack:
    """`Type|updateId` or, for backfills, `Type|createId|updateId-or-complete`."""

    type: str
    update_id: str
    extra_id: str | None = None

    @classmethod
    def parse(cls, text: str) -> Ack:
        parts = text.split("|", 2)
        return cls(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else None)

    def __str__(self) -> str:
        return f"{self.type}|{self.update_id}" + (f"|{self.extra_id}" if self.extra_id is not None else "")

    def update_uuid(self) -> uuid.UUID | None:
        """The update id as a UUID; None when the client sent something else (then nothing is skipped)."""
        try:
            return uuid.UUID(self.update_id)
        except ValueError:
            return None

    def extra_uuid(self) -> uuid.UUID | None:
        if self.extra_id is None:
            return None
        try:
            return uuid.UUID(self.extra_id)
        except ValueError:
            return None


Checkpoints = dict[str, Ack]
