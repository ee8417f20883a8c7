"""Creating Keysmith's tables, and bringing a database made by an older Keysmith up to date.

`create_or_upgrade(engine)` creates missing tables, then adds the columns later versions introduced to
tables that already exist. Upgrades are additive only (a new nullable column; existing rows read it as
"empty"), so an old database keeps every session, message and assessment and needs no manual step. A
change that is not additive would need a real migration tool; none has been needed so far.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, inspect, text

from keysmith.store.tables import Base


@dataclass(frozen=True)
class AddedColumn:
    """A column added after the table first shipped; `sql_type` is valid on SQLite and PostgreSQL."""

    table: str
    column: str
    sql_type: str


# In the order they were introduced. Each is nullable: rows written before it read as empty.
ADDED_COLUMNS: tuple[AddedColumn, ...] = (
    # The one-line notice and the suggested follow-ups shown with an answer (kept across refreshes).
    AddedColumn("messages", "extras", "JSON"),
)


def create_or_upgrade(engine: Engine) -> list[str]:
    """Create missing tables and add missing columns; returns the `table.column` names it added.

    Raises SQLAlchemy errors unchanged (the store translates them into a plain `StoreError`).
    """
    Base.metadata.create_all(engine)
    added: list[str] = []
    columns = _existing_columns(engine)
    with engine.begin() as connection:
        for change in ADDED_COLUMNS:
            if change.column in columns.get(change.table, set()):
                continue
            # Names come from the constant above, never from input, so formatting them in is safe.
            statement = f"ALTER TABLE {change.table} ADD COLUMN {change.column} {change.sql_type}"
            connection.execute(text(statement))
            added.append(f"{change.table}.{change.column}")
    return added


def _existing_columns(engine: Engine) -> dict[str, set[str]]:
    inspector = inspect(engine)
    tables = {change.table for change in ADDED_COLUMNS}
    return {table: {c["name"] for c in inspector.get_columns(table)} for table in tables}
