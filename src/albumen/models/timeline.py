"""Month counts of the timeline, kept by triggers so the bucket list never reads the assets.

Every asset is counted once under its class: owner, visibility, favourite, in the trash, hidden
behind its stack's primary, month taken (local wall clock) and month uploaded. Assets already
deleted for good (status 'deleted' in the trash) are not counted. `GET /timeline/buckets` sums the
rows of the classes its filters select; album, person, tag and bounding-box listings still scan.

The triggers run in the writing statement's transaction, once per statement over its transition
tables, so a COPY of 20,000 assets costs one grouped pass. A class may have several rows: a writer
adds its delta to a row of the class it can lock without waiting (SKIP LOCKED), else inserts a new
row, so concurrent uploads into one month never queue behind each other's commits nor deadlock.
Readers sum the rows; `compact` (housekeeping) folds each class back into one row and drops zeros.
Deleting a stack is handled before the row goes (a BEFORE trigger), because its foreign key then
clears the members' stack_id and the members could no longer be found by it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, Identity, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base


class AssetMonthCount(Base):
    __tablename__ = "asset_month_count"
    __table_args__ = (
        Index(
            "ix_asset_month_count_owner_id_visibility_taken_month", "owner_id", "visibility", "taken_month"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # No foreign key: a user's deletion cascades to the assets, whose trigger brings these to zero.
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    visibility: Mapped[str] = mapped_column(String)
    is_favorite: Mapped[bool] = mapped_column(Boolean)
    is_trashed: Mapped[bool] = mapped_column(Boolean)
    is_stack_hidden: Mapped[bool] = mapped_column(Boolean)  # in a stack, not its primary
    taken_month: Mapped[date] = mapped_column(Date)  # of local_date_time's wall clock
    created_month: Mapped[date] = mapped_column(Date)  # of created_at in UTC
    count: Mapped[int] = mapped_column(BigInteger)


@dataclass(frozen=True, slots=True)
class DatabaseObject:
    """SQL the models cannot express (functions, triggers, backfills): the migration runs `create`
    after the tables exist and `drop` before they go."""

    create: str
    drop: str = ""


_KEY = (
    "owner_id, visibility, is_favorite, is_trashed, is_stack_hidden,\n            taken_month, created_month"
)
_INDENT = "\n                  "


def _class(alias: str, hidden: str) -> str:
    """The class columns of asset rows `alias`, with `hidden` saying whether one is behind its
    stack's primary."""
    return _INDENT.join(
        [
            f"{alias}.owner_id, {alias}.visibility, {alias}.is_favorite, {alias}.deleted_at IS NOT NULL,",
            f"{hidden},",
            f"date_trunc('month', {alias}.local_date_time AT TIME ZONE 'UTC')::date,",
            f"date_trunc('month', {alias}.created_at AT TIME ZONE 'UTC')::date",
        ]
    )


def _counted(alias: str) -> str:
    return f"({alias}.deleted_at IS NULL OR {alias}.status <> 'deleted')"


def _hidden_now(alias: str) -> str:
    primary = f"(SELECT primary_asset_id FROM stack WHERE id = {alias}.stack_id)"  # noqa: S608 - constants
    return f"coalesce({alias}.id <> {primary}, false)"


def _of_rows(rows: str, sign: int) -> str:
    return f"SELECT {_class('a', _hidden_now('a'))}, {sign}{_INDENT}FROM {rows} a WHERE {_counted('a')}"


def _apply(*deltas: str) -> str:
    """plpgsql: adds each class's summed delta of `deltas` (rows of the key columns and a delta)."""
    union = f"{_INDENT}UNION ALL{_INDENT}".join(deltas)
    return f"""FOR r IN
        SELECT {_KEY}, sum(delta) AS delta
        FROM ({union}
        ) AS d ({_KEY}, delta)
        GROUP BY {_KEY}
        HAVING sum(delta) <> 0
    LOOP
        PERFORM asset_month_count_add(r.owner_id, r.visibility, r.is_favorite, r.is_trashed,
                                      r.is_stack_hidden, r.taken_month, r.created_month, r.delta);
    END LOOP;"""  # noqa: S608 - built from this module's constants


ADD_FUNCTION = DatabaseObject(
    create=f"""
CREATE OR REPLACE FUNCTION asset_month_count_add(
    p_owner_id uuid, p_visibility varchar, p_is_favorite boolean, p_is_trashed boolean,
    p_is_stack_hidden boolean, p_taken_month date, p_created_month date, p_delta bigint
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Any row of the class that no other transaction holds; a new row rather than a wait.
    UPDATE asset_month_count SET count = count + p_delta
    WHERE id = (
        SELECT id FROM asset_month_count
        WHERE owner_id = p_owner_id AND visibility = p_visibility AND taken_month = p_taken_month
          AND created_month = p_created_month AND is_favorite = p_is_favorite
          AND is_trashed = p_is_trashed AND is_stack_hidden = p_is_stack_hidden
        LIMIT 1 FOR UPDATE SKIP LOCKED
    );
    IF NOT FOUND THEN
        INSERT INTO asset_month_count (
            {_KEY}, count
        ) VALUES (
            p_owner_id, p_visibility, p_is_favorite, p_is_trashed, p_is_stack_hidden, p_taken_month,
            p_created_month, p_delta
        );
    END IF;
END $$""",  # noqa: S608 - built from this module's constants
    drop="DROP FUNCTION IF EXISTS asset_month_count_add",
)

ASSET_FUNCTION = DatabaseObject(
    create=f"""
CREATE OR REPLACE FUNCTION asset_month_count_on_asset() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'INSERT' THEN
    {_apply(_of_rows("new_rows", 1))}
    ELSIF TG_OP = 'UPDATE' THEN
    {_apply(_of_rows("old_rows", -1), _of_rows("new_rows", 1))}
    ELSIF TG_OP = 'DELETE' THEN
    {_apply(_of_rows("old_rows", -1))}
    ELSE  -- TRUNCATE
        DELETE FROM asset_month_count;
    END IF;
    RETURN NULL;
END $$""",  # noqa: S608 - built from this module's constants
    drop="DROP FUNCTION IF EXISTS asset_month_count_on_asset",
)

ASSET_TRIGGERS = [
    DatabaseObject(
        create="CREATE TRIGGER asset_month_count_insert AFTER INSERT ON asset"
        "\nREFERENCING NEW TABLE AS new_rows"
        "\nFOR EACH STATEMENT EXECUTE FUNCTION asset_month_count_on_asset()"
    ),
    DatabaseObject(
        create="CREATE TRIGGER asset_month_count_update AFTER UPDATE ON asset"
        "\nREFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        "\nFOR EACH STATEMENT EXECUTE FUNCTION asset_month_count_on_asset()"
    ),
    DatabaseObject(
        create="CREATE TRIGGER asset_month_count_delete AFTER DELETE ON asset"
        "\nREFERENCING OLD TABLE AS old_rows"
        "\nFOR EACH STATEMENT EXECUTE FUNCTION asset_month_count_on_asset()"
    ),
    DatabaseObject(
        create="CREATE TRIGGER asset_month_count_truncate AFTER TRUNCATE ON asset"
        "\nFOR EACH STATEMENT EXECUTE FUNCTION asset_month_count_on_asset()"
    ),
]


def _primary_moves(primary: str, sign: int) -> str:
    """The members a change of primary moves (the old and the new primary), classed as if `primary`
    (o. or n.) were the stack's primary."""
    return _INDENT.join(
        [
            f"SELECT {_class('a', f'a.id <> {primary}.primary_asset_id')}, {sign}",
            "FROM old_rows o JOIN new_rows n ON n.id = o.id",
            "JOIN asset a ON a.stack_id = n.id AND a.id IN (o.primary_asset_id, n.primary_asset_id)",
            "WHERE o.primary_asset_id <> n.primary_asset_id",
            f"  AND {_counted('a')}",
        ]
    )


def _stack_gone(hidden: str, sign: int) -> str:
    return _INDENT.join(
        [
            f"SELECT {_class('a', hidden)}, {sign} FROM asset a",  # noqa: S608 - constants
            "WHERE a.stack_id = OLD.id AND a.id <> OLD.primary_asset_id",
            f"  AND {_counted('a')}",
        ]
    )


STACK_FUNCTIONS = [
    DatabaseObject(
        create=f"""
CREATE OR REPLACE FUNCTION asset_month_count_on_stack_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    {_apply(_primary_moves("o", -1), _primary_moves("n", 1))}
    RETURN NULL;
END $$""",
        drop="DROP FUNCTION IF EXISTS asset_month_count_on_stack_update",
    ),
    DatabaseObject(
        create=f"""
CREATE OR REPLACE FUNCTION asset_month_count_on_stack_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    {_apply(_stack_gone("true", -1), _stack_gone("false", 1))}
    RETURN OLD;
END $$""",
        drop="DROP FUNCTION IF EXISTS asset_month_count_on_stack_delete",
    ),
]

STACK_TRIGGERS = [
    DatabaseObject(
        create="CREATE TRIGGER asset_month_count_update AFTER UPDATE ON stack"
        "\nREFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        "\nFOR EACH STATEMENT EXECUTE FUNCTION asset_month_count_on_stack_update()"
    ),
    DatabaseObject(
        create="CREATE TRIGGER asset_month_count_delete BEFORE DELETE ON stack"
        "\nFOR EACH ROW EXECUTE FUNCTION asset_month_count_on_stack_delete()"
    ),
]


def month_count_backfill(condition: str = "true") -> str:
    """Counts the assets matching `condition` (over alias `a`) into the table, for assets written
    while the triggers were off (the migration's existing rows, a bulk load)."""
    return (
        f"INSERT INTO asset_month_count ({_KEY}, count)\n"
        f"SELECT {_class('a', _hidden_now('a'))}, count(*)\n"
        f"FROM asset a WHERE {_counted('a')} AND {condition}\nGROUP BY 1, 2, 3, 4, 5, 6, 7"
    )


# What the assets already hold (the table is created empty).
BACKFILL = DatabaseObject(create=month_count_backfill())

MONTH_COUNT_OBJECTS = (
    ADD_FUNCTION,
    ASSET_FUNCTION,
    *ASSET_TRIGGERS,
    *STACK_FUNCTIONS,
    *STACK_TRIGGERS,
    BACKFILL,
)
