"""Every table, imported here so Alembic and the metadata see the whole schema."""

from albumen.models.activity import Activity
from albumen.models.album import Album, AlbumAsset, AlbumUser
from albumen.models.asset import (
    ASSET_CHECKSUM_CONSTRAINT,
    Asset,
    AssetEdit,
    AssetExif,
    AssetFile,
    AssetJobStatus,
    AssetMetadata,
)
from albumen.models.audit import (
    AlbumAssetAudit,
    AlbumAudit,
    AlbumUserAudit,
    AssetAudit,
    AssetEditAudit,
    AssetFaceAudit,
    AssetMetadataAudit,
    AssetOcrAudit,
    MemoryAssetAudit,
    MemoryAudit,
    PartnerAudit,
    PersonAudit,
    StackAudit,
    UserAudit,
    UserMetadataAudit,
)
from albumen.models.base import Base
from albumen.models.geodata import GeodataPlaces
from albumen.models.integrity import IntegrityReport
from albumen.models.library import Library
from albumen.models.memory import Memory, MemoryAsset
from albumen.models.move import MoveHistory
from albumen.models.notification import Notification
from albumen.models.partner import Partner
from albumen.models.person import AssetFace, FaceSearch, Person
from albumen.models.plugin import Plugin, PluginMethod
from albumen.models.search import AssetOcr, OcrSearch, SmartSearch
from albumen.models.session import ApiKey, Session
from albumen.models.shared_link import SharedLink, SharedLinkAsset
from albumen.models.stack import Stack
from albumen.models.sync import SessionSyncCheckpoint
from albumen.models.system import SystemMetadata, VersionHistory
from albumen.models.tag import Tag, TagAsset, TagClosure
from albumen.models.timeline import MONTH_COUNT_OBJECTS, AssetMonthCount, DatabaseObject
from albumen.models.user import User, UserMetadata
from albumen.models.workflow import Workflow, WorkflowStep

__all__ = [
    "ASSET_CHECKSUM_CONSTRAINT",
    "DATABASE_OBJECTS",
    "MONTH_COUNT_OBJECTS",
    "Activity",
    "Album",
    "AlbumAsset",
    "AlbumAssetAudit",
    "AlbumAudit",
    "AlbumUser",
    "AlbumUserAudit",
    "ApiKey",
    "Asset",
    "AssetAudit",
    "AssetEdit",
    "AssetEditAudit",
    "AssetExif",
    "AssetFace",
    "AssetFaceAudit",
    "AssetFile",
    "AssetJobStatus",
    "AssetMetadata",
    "AssetMetadataAudit",
    "AssetMonthCount",
    "AssetOcr",
    "AssetOcrAudit",
    "Base",
    "DatabaseObject",
    "FaceSearch",
    "GeodataPlaces",
    "IntegrityReport",
    "Library",
    "Memory",
    "MemoryAsset",
    "MemoryAssetAudit",
    "MemoryAudit",
    "MoveHistory",
    "Notification",
    "OcrSearch",
    "Partner",
    "PartnerAudit",
    "Person",
    "PersonAudit",
    "Plugin",
    "PluginMethod",
    "Session",
    "SessionSyncCheckpoint",
    "SharedLink",
    "SharedLinkAsset",
    "SmartSearch",
    "Stack",
    "StackAudit",
    "SystemMetadata",
    "Tag",
    "TagAsset",
    "TagClosure",
    "User",
    "UserAudit",
    "UserMetadata",
    "UserMetadataAudit",
    "VersionHistory",
    "Workflow",
    "WorkflowStep",
]

# Created by the migration after the tables, in this order (triggers and functions).
DATABASE_OBJECTS: tuple[DatabaseObject, ...] = MONTH_COUNT_OBJECTS
