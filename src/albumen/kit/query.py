"""Query-string types as strict as Immich's: its zod DTOs accept only `true`/`false` for a boolean
(`z.stringbool` with exactly those two, case-sensitive) and only ISO 8601 text for a date or a
datetime. Pydantic's lax mode would also take `1`, `yes`, `on`, `TRUE` as booleans and a Unix timestamp
(`1700000000`) as a date. Every query parameter of these types uses the aliases below;
tests/unit/test_query_types.py fails on a route that declares a plain `bool`, `date` or `datetime`.

The errors keep pydantic's own error types, so kit/zod.py words them as Immich does.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

QUERY_TRUE = "true"
QUERY_FALSE = "false"
# A Unix timestamp as pydantic would read it: digits, maybe signed, maybe with a fraction.
_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _true_or_false(value: object) -> object:
    if isinstance(value, str) and value not in (QUERY_TRUE, QUERY_FALSE):
        raise PydanticCustomError("bool_parsing", "Input should be 'true' or 'false'")
    return value


def _iso_text(kind: str) -> BeforeValidator:
    def refuse_numbers(value: object) -> object:
        if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
            raise PydanticCustomError(f"{kind}_parsing", "Input should be an ISO 8601 {kind}", {"kind": kind})
        return value

    return BeforeValidator(refuse_numbers)


QueryBool = Annotated[bool, BeforeValidator(_true_or_false)]
QueryDatetime = Annotated[AwareDatetime, _iso_text("datetime")]
QueryDate = Annotated[date, _iso_text("date")]
