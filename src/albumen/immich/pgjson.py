"""Timestamps written the way PostgreSQL writes them into JSON, for the DTO fields Immich fills from a
`to_json` of a row instead of from a JavaScript Date: an asset's `exifInfo.dateTimeOriginal` and
`modifyDate` read "2023-11-20T01:11:00+00:00" or "2019-03-21T16:04:22.348+00:00" (no `Z`, no
milliseconds padded to three digits). scripts/gen_dto.sh puts this type on those fields of dto.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, PlainSerializer


def postgres_json_timestamp(moment: datetime) -> str:
    """A timestamptz as PostgreSQL's `to_json` writes it in a UTC session."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return f"{text}+00:00"


PgJsonTimestamp = Annotated[AwareDatetime, PlainSerializer(postgres_json_timestamp, when_used="json")]
