"""The database tables behind `keysmith.store` (SQLAlchemy 2 typed declarative mapping).

Only `store.py` uses these classes; callers receive the plain records of `store_records.py`. JSON columns are
SQLAlchemy's `JSON` type (text on SQLite, `json` on PostgreSQL): plain data only, never pickle. Every row that
belongs to a workspace carries `workspace_id` so each query can be scoped by it; deleting a workspace or a
session cascades in the database (SQLite needs `PRAGMA foreign_keys=ON`, which `store.py` sets).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

_ID = String(32)  # uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC (SQLite keeps no zone, so both backends store the same)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base for Keysmith's tables."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def _workspace_fk() -> Mapped[str]:
    return mapped_column(_ID, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime]


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_workspace_updated", "workspace_id", "updated"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    mode: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300), default="")
    created: Mapped[datetime]
    updated: Mapped[datetime]


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_session_created", "session_id", "created"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    session_id: Mapped[str] = mapped_column(_ID, ForeignKey("sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]]
    tool_calls: Mapped[list[Any]]
    mode: Mapped[str] = mapped_column(String(200), default="")
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"notice": str, "follow_ups": [str]}; NULL in rows written before the column existed (store_schema).
    extras: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created: Mapped[datetime]


class AssessmentRow(Base):
    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    # One assessment per session: `keysmith report SESSION_ID` finds it by the session.
    session_id: Mapped[str] = mapped_column(_ID, ForeignKey("sessions.id", ondelete="CASCADE"), unique=True)
    state: Mapped[dict[str, Any]]
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    model_used: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime]
    updated: Mapped[datetime]


class DraftRow(Base):
    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sources: Mapped[list[Any]]
    created: Mapped[datetime]
    updated: Mapped[datetime]


class NoteRow(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime]


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    chunks: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime]


class RespondentRow(Base):
    """A respondent of a workspace: a role, an optional name, the answers, and the link that opens the form.

    Only the SHA-256 of the link's token is kept (`token_hash`, NULL for answers the coach entered from the
    CLI): the token itself is shown once, when the link is made.
    """

    __tablename__ = "respondents"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    role: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created: Mapped[datetime]
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace_id: Mapped[str] = _workspace_fk()
    session_id: Mapped[str] = mapped_column(_ID, ForeignKey("sessions.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(_ID, ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    rating: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime]
