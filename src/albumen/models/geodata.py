"""GeoNames cities for reverse geocoding, loaded from the bundled dump on first start.

Plain latitude/longitude columns with a core GiST index over point(longitude, latitude): nearest
place lookups order by the <-> distance on that point (a fine prefilter for a haversine check), so
no cube/earthdistance extension is needed. Name search uses pg_trgm.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CHAR, Date, Double, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base


def _trigram(column: str) -> Index:
    return Index(
        f"ix_geodata_places_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )


class GeodataPlaces(Base):
    __tablename__ = "geodata_places"
    __table_args__ = (
        Index("ix_geodata_places_coordinates", text("point(longitude, latitude)"), postgresql_using="gist"),
        _trigram("name"),
        _trigram("admin1_name"),
        _trigram("admin2_name"),
        _trigram("alternate_names"),
    )

    # The GeoNames id.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    country_code: Mapped[str] = mapped_column(CHAR(2))
    admin1_code: Mapped[str | None] = mapped_column(String(20))
    admin2_code: Mapped[str | None] = mapped_column(String(80))
    admin1_name: Mapped[str | None] = mapped_column(String)
    admin2_name: Mapped[str | None] = mapped_column(String)
    alternate_names: Mapped[str | None] = mapped_column(String)
    modification_date: Mapped[date] = mapped_column(Date)
