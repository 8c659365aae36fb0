"""Every query parameter of a boolean, date or datetime type is read as strictly as Immich reads it
(kit/query.py): no route may fall back to pydantic's lax `bool`, `date` or `datetime`."""

from __future__ import annotations

import datetime
from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi.dependencies.models import Dependant
from pydantic import AwareDatetime, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from albumen.config import Settings
from albumen.kit.query import QueryBool, QueryDate, QueryDatetime
from albumen.kit.zod import unwrap
from albumen.main import create_app
from tests.support.routes import api_routes

LAX = (bool, datetime.date, AwareDatetime)  # datetime.datetime is a date
STRICT = (QueryBool, QueryDate, QueryDatetime)


def _strict(field: FieldInfo) -> bool:
    """The field's type is one of kit/query.py's: as declared (`QueryBool | None`), or flattened by
    pydantic into the field's metadata (`QueryBool` alone)."""
    members = get_args(field.annotation) if get_origin(field.annotation) in (Union, UnionType) else ()
    declared = [member for member in members if member is not type(None)] or [field.annotation]
    if len(declared) == 1 and declared[0] in STRICT:
        return True
    validators = {item.func for item in field.metadata if isinstance(item, BeforeValidator)}
    return any(validators & {item.func for item in get_args(kind)[1:]} for kind in STRICT)


def _lax_fields(name: str, field: FieldInfo) -> list[str]:
    current: Any = unwrap(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):  # a query model
        return [f"{name}.{lax}" for key, sub in current.model_fields.items() for lax in _lax_fields(key, sub)]
    if isinstance(current, type) and issubclass(current, LAX) and not _strict(field):
        return [name]
    return []


def _query_params(dependant: Dependant) -> list[Any]:
    """The query parameters of a route and of every dependency it runs."""
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found += _query_params(sub)
    return found


def test_no_query_parameter_is_a_lax_bool_date_or_datetime() -> None:
    offenders: set[str] = set()
    checked = 0
    app = create_app(Settings(database_url="postgresql://unused/db"))  # type: ignore[call-arg]
    for _path, route in api_routes(app.routes):
        for param in _query_params(route.dependant):
            checked += 1
            offenders |= {f"{route.path} {lax}" for lax in _lax_fields(param.alias, param.field_info)}
    assert checked > 50  # the walk reached the routes' parameters
    assert not offenders, "lax query types (use kit/query.py):\n" + "\n".join(sorted(offenders))
