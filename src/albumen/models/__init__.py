"""Every table, imported here so Alembic and the metadata see the whole schema."""

from albumen.models.base import Base
from albumen.models.session import ApiKey, Session
from albumen.models.system import SystemMetadata, VersionHistory
from albumen.models.user import User, UserMetadata

__all__ = ["ApiKey", "Base", "Session", "SystemMetadata", "User", "UserMetadata", "VersionHistory"]
