"""Validation failures are worded as Immich's zod v4 schemas word them, whatever pydantic said."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import UUID4, BaseModel, EmailStr, Field, ValidationError

from albumen.immich import dto
from albumen.kit import zod


class Inner(BaseModel):
    size: Annotated[int | None, Field(ge=1)] = None
    flag: bool | None = None


class Sample(BaseModel):
    name: str
    email: EmailStr | None = None
    id: UUID4 | None = None
    tags: Annotated[list[str] | None, Field(min_length=1)] = None
    label: Annotated[str | None, Field(min_length=1, max_length=3)] = None
    order: dto.AssetOrder | None = None
    inner: Inner | None = None


def issues_for(body: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(body)
    return [{"path": i["path"], "message": i["message"]} for i in zod.model_issues(Sample, caught.value)]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({}, ["name"], "Invalid input: expected string, received undefined"),
        ({"name": None}, ["name"], "Invalid input: expected string, received null"),
        ({"name": 5}, ["name"], "Invalid input: expected string, received number"),
        ({"name": "a", "email": "nope"}, ["email"], "Invalid input: expected email, received string"),
        ({"name": "a", "id": "nope"}, ["id"], "Invalid UUID"),
        ({"name": "a", "id": 3}, ["id"], "Invalid input: expected string, received number"),
        ({"name": "a", "tags": []}, ["tags"], "Too small: expected array to have >=1 items"),
        ({"name": "a", "tags": "x"}, ["tags"], "Invalid input: expected array, received string"),
        ({"name": "a", "label": ""}, ["label"], "Too small: expected string to have >=1 characters"),
        ({"name": "a", "label": "long"}, ["label"], "Too big: expected string to have <=3 characters"),
        ({"name": "a", "order": "up"}, ["order"], 'Invalid option: expected one of "asc"|"desc"'),
        (
            {"name": "a", "inner": {"size": 1.5}},
            ["inner", "size"],
            "Invalid input: expected int, received number",
        ),
        ({"name": "a", "inner": {"size": 0}}, ["inner", "size"], "Too small: expected number to be >=1"),
        (
            {"name": "a", "inner": {"flag": 7}},
            ["inner", "flag"],
            "Invalid input: expected boolean, received number",
        ),
        ({"name": "a", "inner": []}, ["inner"], "Invalid input: expected object, received array"),
    ],
)
def test_pydantic_errors_become_zod_issues(body: dict[str, Any], path: list[str], message: str) -> None:
    assert issues_for(body) == [{"path": path, "message": message}]


def test_a_null_that_only_absence_may_replace_names_the_fields_type() -> None:
    assert zod.null_issue(dto.UserAdminUpdateDto, "email")["message"] == (
        "Invalid input: expected email, received object"  # JavaScript's typeof null
    )
    assert zod.null_issue(dto.UserAdminUpdateDto, "shouldChangePassword")["message"] == (
        "Invalid input: expected boolean, received null"
    )
    assert zod.null_issue(dto.UserAdminUpdateDto, "name") == {
        "code": "invalid_type",
        "path": ["name"],
        "expected": "string",
        "message": "Invalid input: expected string, received null",
    }
