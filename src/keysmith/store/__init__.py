"""Keysmith's persistence: workspaces, sessions, messages, assessments, drafts, notes, documents, feedback.

`Store(url)` opens SQLite (the default, under `KEYSMITH_DATA_DIR`) or PostgreSQL (`DATABASE_URL`,
`postgresql+psycopg://...`) and creates the tables. Contracts every method keeps:
- Scoped: each call names the `workspace_id`; a record of workspace A asked for under workspace B is "not
  found" (`StoreError`), and lists of B never contain A's records.
- Plain data: JSON columns hold plain JSON (never pickle, never LangChain `loads`); records are frozen
  dataclasses (`store_records`), times aware UTC, ids uuid4 hex strings.
- Same behaviour on both backends: NUL characters are stripped, lone surrogates become U+FFFD (`store_db`).
- Failures are `StoreError` with one plain sentence (database unreachable, locked, record missing, bad value).
Feedback export lives in `store_feedback.py`; the methods here are the whole API the UI and CLI use.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from keysmith.config import Settings
from keysmith.errors import NotFoundError, StoreError
from keysmith.store.convert import (
    to_assessment,
    to_document,
    to_draft,
    to_feedback,
    to_message,
    to_note,
    to_session,
    to_workspace,
)
from keysmith.store.db import (
    SQLITE_BUSY_SECONDS,
    Clock,
    clean_json,
    clean_text,
    describe,
    open_engine,
    translate,
)
from keysmith.store.feedback import feedback_csv
from keysmith.store.records import (
    DRAFT_KINDS,
    RATINGS,
    ROLES,
    SESSION_MODES,
    Assessment,
    Document,
    Draft,
    Feedback,
    Message,
    Note,
    Session,
    Workspace,
)
from keysmith.store.respondents import RespondentStore
from keysmith.store.schema import create_or_upgrade
from keysmith.store.tables import (
    AssessmentRow,
    Base,
    DocumentRow,
    DraftRow,
    FeedbackRow,
    MessageRow,
    NoteRow,
    SessionRow,
    WorkspaceRow,
)

DEFAULT_WORKSPACE_NAME = "My workspace"
_Row = TypeVar("_Row", bound=Base)


def _new_id() -> str:
    return uuid.uuid4().hex


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise StoreError(f"{field}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _name(value: object, field: str) -> str:
    name = clean_text(value, field).strip()
    if not name or len(name) > 200:
        raise StoreError(f"{field}: expected 1..200 characters, got {len(name)}")
    return name


def _name_key(name: str) -> str:
    """The form two workspace names are compared in: spaces trimmed and collapsed, case folded."""
    return " ".join(name.split()).casefold()


class Store(RespondentStore):
    """The database. Thread-safe: every method runs in its own short transaction.

    Respondent links (`create_respondent_link`, `open_respondent_link`, ...) come from `RespondentStore`.
    """

    def __init__(self, url: str, *, sqlite_busy_seconds: float = SQLITE_BUSY_SECONDS) -> None:
        """Open the database at `url` and create missing tables; `StoreError` if it cannot be used."""
        self._engine = open_engine(url, sqlite_busy_seconds=sqlite_busy_seconds)
        self.where = describe(self._engine.url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._clock = Clock()
        try:
            create_or_upgrade(self._engine)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise translate(exc, self.where) from None

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """`DATABASE_URL`, else SQLite at `<data_dir>/keysmith.db`."""
        return cls(settings.resolved_database_url)

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._engine.url.get_backend_name()

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[OrmSession]:
        """One transaction; driver errors become `StoreError`."""
        try:
            with self._sessions.begin() as db:
                yield db
        except SQLAlchemyError as exc:
            raise translate(exc, self.where) from None

    def _owned(self, db: OrmSession, row_type: type[_Row], workspace_id: str, record_id: str) -> _Row:
        row = db.get(row_type, record_id)
        if row is None or getattr(row, "workspace_id", None) != workspace_id:
            what = row_type.__tablename__.rstrip("s")
            raise StoreError(f"{what} {record_id!r} not found in workspace {workspace_id!r}")
        return row

    def _workspace_row(self, db: OrmSession, workspace_id: str) -> WorkspaceRow:
        row = db.get(WorkspaceRow, workspace_id)
        if row is None:
            raise StoreError(f"workspace {workspace_id!r} not found")
        return row

    # -- workspaces -------------------------------------------------------------------------------------

    def _refuse_taken_name(self, db: OrmSession, name: str, except_id: str = "") -> None:
        """`StoreError` when another workspace already has `name` (compared trimmed, spaces collapsed and
        case-insensitively), naming the workspace that holds it."""
        key = _name_key(name)
        for row in db.scalars(select(WorkspaceRow)).all():
            if row.id != except_id and _name_key(row.name) == key:
                raise StoreError(f'a workspace named "{row.name}" already exists')

    def create_workspace(self, name: str) -> Workspace:
        """A new (client) workspace; `StoreError` when one with the same name (ignoring case and surrounding
        spaces) already exists."""
        row = WorkspaceRow(id=_new_id(), name=_name(name, "workspace name"), is_default=False)
        row.created = self._clock.now()
        with self._tx() as db:
            self._refuse_taken_name(db, row.name)
            db.add(row)
        return to_workspace(row)

    def default_workspace(self) -> Workspace:
        """The manager's "My workspace", created on first use (the oldest default if several exist)."""
        with self._tx() as db:
            query = select(WorkspaceRow).where(WorkspaceRow.is_default.is_(True))
            row = db.scalars(query.order_by(WorkspaceRow.created).limit(1)).first()
            if row is None:
                row = WorkspaceRow(id=_new_id(), name=DEFAULT_WORKSPACE_NAME, is_default=True)
                row.created = self._clock.now()
                db.add(row)
            return to_workspace(row)

    def list_workspaces(self) -> list[Workspace]:
        """All workspaces, the default first, then by name."""
        with self._tx() as db:
            rows = db.scalars(select(WorkspaceRow)).all()
            ordered = sorted(rows, key=lambda r: (not r.is_default, r.name.casefold(), r.created))
            return [to_workspace(r) for r in ordered]

    def get_workspace(self, workspace_id: str) -> Workspace:
        """One workspace; `StoreError` if it does not exist."""
        with self._tx() as db:
            return to_workspace(self._workspace_row(db, workspace_id))

    def rename_workspace(self, workspace_id: str, name: str) -> Workspace:
        """Rename; returns the updated workspace. `StoreError` when another workspace has that name."""
        with self._tx() as db:
            row = self._workspace_row(db, workspace_id)
            row.name = _name(name, "workspace name")
            self._refuse_taken_name(db, row.name, except_id=workspace_id)
            return to_workspace(row)

    def delete_workspace(self, workspace_id: str) -> None:
        """Delete a workspace and everything in it (the default workspace cannot be deleted)."""
        with self._tx() as db:
            row = self._workspace_row(db, workspace_id)
            if row.is_default:
                raise StoreError(f"workspace {row.name!r} is the default workspace and cannot be deleted")
            db.execute(delete(WorkspaceRow).where(WorkspaceRow.id == workspace_id))

    # -- sessions ---------------------------------------------------------------------------------------

    def create_session(self, workspace_id: str, mode: str, title: str = "") -> Session:
        """A new conversation in `mode` (diagnose | assessment | coach)."""
        now = self._clock.now()
        row = SessionRow(id=_new_id(), workspace_id=workspace_id, mode=_choice(mode, SESSION_MODES, "mode"))
        row.title, row.created, row.updated = clean_text(title, "title", max_chars=300), now, now
        with self._tx() as db:
            self._workspace_row(db, workspace_id)
            db.add(row)
        return to_session(row)

    def list_sessions(self, workspace_id: str, mode: str | None = None) -> list[Session]:
        """The workspace's sessions, most recently active first (the "resume" list)."""
        query = select(SessionRow).where(SessionRow.workspace_id == workspace_id)
        if mode is not None:
            query = query.where(SessionRow.mode == _choice(mode, SESSION_MODES, "mode"))
        with self._tx() as db:
            rows = db.scalars(query.order_by(SessionRow.updated.desc(), SessionRow.id)).all()
            return [to_session(r) for r in rows]

    def get_session(self, workspace_id: str, session_id: str) -> Session:
        """One session of this workspace; `StoreError` if missing or in another workspace."""
        with self._tx() as db:
            return to_session(self._owned(db, SessionRow, workspace_id, session_id))

    def find_session(self, session_id: str) -> Session:
        """A session by its id alone — for `keysmith report SESSION_ID`, where the id is the user's handle."""
        with self._tx() as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise NotFoundError(f"session {session_id!r} not found")
            return to_session(row)

    def rename_session(self, workspace_id: str, session_id: str, title: str) -> Session:
        """Change a session's title."""
        with self._tx() as db:
            row = self._owned(db, SessionRow, workspace_id, session_id)
            row.title = clean_text(title, "title", max_chars=300)
            return to_session(row)

    def delete_session(self, workspace_id: str, session_id: str) -> None:
        """Delete a session with its messages, assessment and feedback."""
        with self._tx() as db:
            self._owned(db, SessionRow, workspace_id, session_id)
            db.execute(delete(SessionRow).where(SessionRow.id == session_id))

    # -- messages ---------------------------------------------------------------------------------------

    def add_message(
        self,
        workspace_id: str,
        session_id: str,
        role: str,
        content: str,
        *,
        citations: list[Any] | None = None,
        tool_calls: list[Any] | None = None,
        mode: str = "",
        incomplete: bool = False,
        notice: str = "",
        follow_ups: list[str] | None = None,
        diagnosis: dict[str, Any] | None = None,
    ) -> Message:
        """Append a message to a session (and mark the session as just active).

        `notice` and `follow_ups` are what the UI shows with an answer; they are stored so a refresh or a
        restart shows the same page. `diagnosis` holds a story answer's reasons, its pending interview
        question, the interview state and the story it is about (`{"reasons", "question", "interview",
        "story"}`), so the interview resumes from the CLI or after a restart.
        """
        now = self._clock.now()
        row = MessageRow(id=_new_id(), workspace_id=workspace_id, session_id=session_id)
        row.role, row.content = _choice(role, ROLES, "role"), clean_text(content, "content")
        row.citations = clean_json(citations or [], "citations")
        row.tool_calls = clean_json(tool_calls or [], "tool_calls")
        row.mode, row.incomplete, row.created = clean_text(mode, "mode", max_chars=200), bool(incomplete), now
        questions = [clean_text(q, "follow_ups") for q in follow_ups or []]
        notice_text = clean_text(notice, "notice")
        extras: dict[str, Any] = (
            {"notice": notice_text, "follow_ups": questions} if notice_text or questions else {}
        )
        if diagnosis:
            extras["diagnosis"] = clean_json(diagnosis, "diagnosis")
        row.extras = extras or None
        with self._tx() as db:
            self._owned(db, SessionRow, workspace_id, session_id).updated = now
            db.add(row)
        return to_message(row)

    def list_messages(self, workspace_id: str, session_id: str) -> list[Message]:
        """A session's messages, oldest first."""
        with self._tx() as db:
            self._owned(db, SessionRow, workspace_id, session_id)
            query = select(MessageRow).where(
                MessageRow.workspace_id == workspace_id, MessageRow.session_id == session_id
            )
            return [to_message(r) for r in db.scalars(query.order_by(MessageRow.created, MessageRow.id))]

    # -- assessments ------------------------------------------------------------------------------------

    def save_assessment(
        self,
        workspace_id: str,
        session_id: str,
        state: dict[str, Any],
        report: dict[str, Any] | None = None,
        *,
        model_used: str = "",
    ) -> Assessment:
        """Create or update the session's assessment (one per session)."""
        now = self._clock.now()
        clean_state, clean_report = clean_json(state, "state"), clean_json(report, "report")
        with self._tx() as db:
            self._owned(db, SessionRow, workspace_id, session_id).updated = now
            row = db.scalars(select(AssessmentRow).where(AssessmentRow.session_id == session_id)).first()
            if row is None:
                row = AssessmentRow(id=_new_id(), workspace_id=workspace_id, session_id=session_id)
                row.created = now
                db.add(row)
            row.state, row.report, row.updated = clean_state, clean_report, now
            row.model_used = clean_text(model_used, "model_used", max_chars=200)
            db.flush()
            return to_assessment(row)

    def get_assessment(self, workspace_id: str, assessment_id: str) -> Assessment:
        """One assessment by id; `StoreError` if missing or in another workspace."""
        with self._tx() as db:
            return to_assessment(self._owned(db, AssessmentRow, workspace_id, assessment_id))

    def session_assessment(self, workspace_id: str, session_id: str) -> Assessment | None:
        """The assessment of a session, or None if the session has none yet."""
        with self._tx() as db:
            self._owned(db, SessionRow, workspace_id, session_id)
            query = select(AssessmentRow).where(
                AssessmentRow.workspace_id == workspace_id, AssessmentRow.session_id == session_id
            )
            row = db.scalars(query).first()
            return None if row is None else to_assessment(row)

    def list_assessments(self, workspace_id: str) -> list[Assessment]:
        """The workspace's assessments, most recently updated first."""
        query = select(AssessmentRow).where(AssessmentRow.workspace_id == workspace_id)
        with self._tx() as db:
            rows = db.scalars(query.order_by(AssessmentRow.updated.desc(), AssessmentRow.id))
            return [to_assessment(r) for r in rows]

    # -- drafts -----------------------------------------------------------------------------------------

    def save_draft(
        self,
        workspace_id: str,
        kind: str,
        body: str,
        *,
        draft_id: str | None = None,
        title: str = "",
        sources: list[Any] | None = None,
    ) -> Draft:
        """Create a draft (no `draft_id`) or edit one; changing an approved draft's body un-approves it."""
        now = self._clock.now()
        text = clean_text(body, "body")
        with self._tx() as db:
            if draft_id is None:
                self._workspace_row(db, workspace_id)
                row = DraftRow(id=_new_id(), workspace_id=workspace_id, status="draft", created=now)
                db.add(row)
            else:
                row = self._owned(db, DraftRow, workspace_id, draft_id)
                if row.body != text:
                    row.status, row.approved_at = "draft", None
            row.kind, row.body, row.updated = _choice(kind, DRAFT_KINDS, "kind"), text, now
            row.title = clean_text(title, "title", max_chars=300)
            if sources is not None or draft_id is None:
                row.sources = clean_json(sources or [], "sources")
            db.flush()
            return to_draft(row)

    def approve_draft(self, workspace_id: str, draft_id: str) -> Draft:
        """Mark the draft approved now (the coach's sign-off that allows export)."""
        with self._tx() as db:
            row = self._owned(db, DraftRow, workspace_id, draft_id)
            row.status, row.approved_at = "approved", self._clock.now()
            return to_draft(row)

    def get_draft(self, workspace_id: str, draft_id: str) -> Draft:
        """One draft; `StoreError` if missing or in another workspace."""
        with self._tx() as db:
            return to_draft(self._owned(db, DraftRow, workspace_id, draft_id))

    def list_drafts(self, workspace_id: str) -> list[Draft]:
        """The workspace's drafts, most recently edited first."""
        query = select(DraftRow).where(DraftRow.workspace_id == workspace_id)
        with self._tx() as db:
            return [to_draft(r) for r in db.scalars(query.order_by(DraftRow.updated.desc(), DraftRow.id))]

    def delete_draft(self, workspace_id: str, draft_id: str) -> None:
        """Delete a draft."""
        with self._tx() as db:
            db.delete(self._owned(db, DraftRow, workspace_id, draft_id))

    # -- notes and documents ----------------------------------------------------------------------------

    def add_note(self, workspace_id: str, body: str) -> Note:
        """Add a coach's note to a workspace."""
        row = NoteRow(id=_new_id(), workspace_id=workspace_id, body=clean_text(body, "note"))
        row.created = self._clock.now()
        with self._tx() as db:
            self._workspace_row(db, workspace_id)
            db.add(row)
        return to_note(row)

    def list_notes(self, workspace_id: str) -> list[Note]:
        """The workspace's notes, oldest first."""
        query = select(NoteRow).where(NoteRow.workspace_id == workspace_id)
        with self._tx() as db:
            return [to_note(r) for r in db.scalars(query.order_by(NoteRow.created, NoteRow.id))]

    def delete_note(self, workspace_id: str, note_id: str) -> None:
        """Delete a note."""
        with self._tx() as db:
            db.delete(self._owned(db, NoteRow, workspace_id, note_id))

    def add_document(self, workspace_id: str, name: str, size: int, chunks: int) -> Document:
        """Record an uploaded client document and how many chunks were indexed for it."""
        row = DocumentRow(id=_new_id(), workspace_id=workspace_id, name=_name(name, "document name"))
        row.size, row.chunks, row.created = int(size), int(chunks), self._clock.now()
        with self._tx() as db:
            self._workspace_row(db, workspace_id)
            db.add(row)
        return to_document(row)

    def list_documents(self, workspace_id: str) -> list[Document]:
        """The workspace's documents, oldest first."""
        query = select(DocumentRow).where(DocumentRow.workspace_id == workspace_id)
        with self._tx() as db:
            return [to_document(r) for r in db.scalars(query.order_by(DocumentRow.created, DocumentRow.id))]

    def delete_document(self, workspace_id: str, document_id: str) -> Document:
        """Forget a document (the caller also removes its chunks from the index); returns what was deleted."""
        with self._tx() as db:
            row = self._owned(db, DocumentRow, workspace_id, document_id)
            db.delete(row)
            return to_document(row)

    # -- feedback ---------------------------------------------------------------------------------------

    def add_feedback(
        self, workspace_id: str, session_id: str, message_id: str, rating: str, reason: str = ""
    ) -> Feedback:
        """Record a thumbs up/down on an assistant message of this session."""
        row = FeedbackRow(id=_new_id(), workspace_id=workspace_id, session_id=session_id)
        row.message_id = message_id
        row.rating, row.reason = _choice(rating, RATINGS, "rating"), clean_text(reason, "reason").strip()
        row.created = self._clock.now()
        with self._tx() as db:
            message = self._owned(db, MessageRow, workspace_id, message_id)
            if message.session_id != session_id:
                raise StoreError(f"message {message_id!r} not found in session {session_id!r}")
            db.add(row)
        return to_feedback(row)

    def list_feedback(self, workspace_id: str | None = None) -> list[tuple[Feedback, Message]]:
        """Feedback with the message it rates, oldest first; all workspaces when `workspace_id` is None."""
        query = select(FeedbackRow, MessageRow).join(MessageRow, FeedbackRow.message_id == MessageRow.id)
        if workspace_id is not None:
            query = query.where(FeedbackRow.workspace_id == workspace_id)
        with self._tx() as db:
            rows = db.execute(query.order_by(FeedbackRow.created, FeedbackRow.id)).all()
            return [(to_feedback(row[0]), to_message(row[1])) for row in rows]

    def export_feedback_csv(self, workspace_id: str | None = None) -> str:
        """Feedback as CSV text (see `store_feedback.feedback_csv`)."""
        return feedback_csv(self.list_feedback(workspace_id))
