"""Who may call each Immich operation, read from the pinned spec's operation table (operations.tsv).

Every route Albumen serves carries Immich's operationId; the auth dependency looks its policy up
here, so permissions live in one table rather than being repeated on each endpoint.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from albumen.immich.dto import Permission

OPERATIONS_TSV = Path(__file__).with_name("operations.tsv")


@dataclass(frozen=True, slots=True)
class OperationPolicy:
    operation_id: str
    public: bool
    # The permission an API key must hold; None = no check at all (Immich's `permission: false`).
    permission: Permission | None
    admin_only: bool
    shared_link: bool


def _permission(raw: str) -> Permission | None:
    """The table's permission column: a Permission value, or Immich's words for none and `all`."""
    if raw.startswith("none"):
        return None
    if raw.startswith("all") or raw.startswith("n/a"):
        return Permission.all
    return Permission(raw)  # an unknown name fails loudly here, at the first policy lookup


@cache
def policies() -> dict[str, OperationPolicy]:
    with OPERATIONS_TSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {
        row["operationId"]: OperationPolicy(
            operation_id=row["operationId"],
            public=row["auth_required"] == "no",
            permission=_permission(row["permission"]),
            admin_only=row["admin_only"] == "yes",
            shared_link=row["shared_link_auth"] == "yes",
        )
        for row in rows
    }


# Albumen's own authenticated operations, outside Immich's spec: the resumable (tus) upload.
EXTENSIONS: dict[str, OperationPolicy] = {
    name: OperationPolicy(
        name, public=False, permission=Permission.asset_upload, admin_only=False, shared_link=False
    )
    for name in ("albumenUploadCreate", "albumenUploadStatus", "albumenUploadAppend", "albumenUploadCancel")
} | {
    "albumenStorageLocations": OperationPolicy(
        "albumenStorageLocations",
        public=False,
        permission=Permission.server_storage,
        admin_only=True,
        shared_link=False,
    ),
    "albumenUploadOptions": OperationPolicy(
        "albumenUploadOptions", public=True, permission=None, admin_only=False, shared_link=False
    ),
}


def policy_for(operation_id: str) -> OperationPolicy:
    if operation_id in EXTENSIONS:
        return EXTENSIONS[operation_id]
    try:
        return policies()[operation_id]
    except KeyError:
        raise LookupError(f"operation {operation_id} is not in the Immich operation table") from None


# Albumen's own routes outside Immich's spec (health, metrics): public, no permission.
ALBUMEN_PUBLIC = OperationPolicy("albumen", public=True, permission=None, admin_only=False, shared_link=False)
