"""Engine set-up, error translation and value cleaning for `keysmith.store`.

Kept apart from the `Store` API so each file has one concern:
- `open_engine(url)`: SQLite (busy timeout, WAL, foreign keys on) or PostgreSQL through psycopg 3.
- `translate(exc, where)`: a driver error becomes a `StoreError` with one plain sentence.
- `clean_text` / `clean_json`: the same rules on both backends. PostgreSQL rejects NUL in text, so NUL
  characters are *stripped* everywhere (a NUL is never meaningful in chat text, and refusing would lose the
  user's words); unpaired UTF-16 surrogates, which no UTF-8 database can store, become U+FFFD. JSON is
  normalised through `json.dumps`/`json.loads` so what is read back equals what was stored, on both backends.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from keysmith.errors import StoreError

SQLITE_BUSY_SECONDS = 10.0
_SURROGATES = re.compile("[\ud800-\udfff]")


def normalise_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` (no driver) and use psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_engine(url: str, *, sqlite_busy_seconds: float = SQLITE_BUSY_SECONDS) -> Engine:
    """Create the engine for `url`; raises `StoreError` for a URL SQLAlchemy cannot use.

    `sqlite_busy_seconds` is how long SQLite waits for another writer before "database is locked".
    """
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise StoreError(f"database URL: cannot parse {url.split('@')[-1]!r}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed.database, sqlite_busy_seconds)
        backend = parsed.get_backend_name()
        return create_engine(parsed, pool_pre_ping=True, connect_args=_connect_args(backend))
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"database URL {describe(parsed)}: {exc}") from None


def _connect_args(backend: str) -> dict[str, Any]:
    return {"connect_timeout": 10} if backend == "postgresql" else {}


def _sqlite_engine(database: str | None, busy_seconds: float) -> Engine:
    if database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database folder for {database!r}: {exc.strerror}") from None
    url = f"sqlite:///{database or ':memory:'}"
    engine = create_engine(url, connect_args={"timeout": busy_seconds})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Foreign keys make deletes cascade; WAL lets readers go on while one writer writes.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL never corrupts the file; a power cut may lose the last commits only.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def describe(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)


def translate(exc: SQLAlchemyError, where: str) -> StoreError:
    """One plain sentence for a database failure (the driver's first line kept as the reason)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    if isinstance(exc, OperationalError) and "locked" in reason.lower():
        return StoreError(f"the database at {where} is busy (locked by another process); try again shortly")
    if isinstance(exc, IntegrityError):
        return StoreError(f"the database at {where} refused the change: {reason}")
    if isinstance(exc, OperationalError | DBAPIError):
        return StoreError(f"cannot use the database at {where}: {reason}")
    return StoreError(f"database error at {where}: {reason}")


def clean_text(value: object, field: str, *, max_chars: int | None = None) -> str:
    """Text safe for both backends (see module doc); raises `StoreError` naming the field for non-text."""
    if not isinstance(value, str):
        raise StoreError(f"{field}: expected text, got {type(value).__name__}")
    text = _SURROGATES.sub("\ufffd", value.replace("\x00", ""))
    return text if max_chars is None else text[:max_chars]


def clean_json(value: object, field: str) -> Any:
    """Plain JSON data normalised by a JSON round trip, strings cleaned like `clean_text`."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{field}: expected plain JSON data, got {type(value).__name__} ({exc})") from None
    return _clean_tree(json.loads(text), field)


def _clean_tree(value: Any, field: str) -> Any:
    if isinstance(value, str):
        return clean_text(value, field)
    if isinstance(value, list):
        return [_clean_tree(item, field) for item in value]
    if isinstance(value, dict):
        return {clean_text(key, field): _clean_tree(item, field) for key, item in value.items()}
    return value


class Clock:
    """UTC `now()` that never repeats or goes back within a process, so "newest first" has no ties."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current UTC time, at least one microsecond after the previous call."""
        with self._lock:
            current = datetime.now(UTC)
            if current <= self._last:
                current = self._last + timedelta(microseconds=1)
            self._last = current
            return current
