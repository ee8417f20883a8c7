"""Row → record conversion for `keysmith.store` (ORM objects never leave the store)."""

from __future__ import annotations

from keysmith.store.records import Assessment, Document, Draft, Feedback, Message, Note, Session, Workspace
from keysmith.store.tables import (
    AssessmentRow,
    DocumentRow,
    DraftRow,
    FeedbackRow,
    MessageRow,
    NoteRow,
    SessionRow,
    WorkspaceRow,
)


def to_workspace(row: WorkspaceRow) -> Workspace:
    """The plain record of a workspace row."""
    return Workspace(id=row.id, name=row.name, is_default=row.is_default, created=row.created)


def to_session(row: SessionRow) -> Session:
    """The plain record of a session row."""
    return Session(row.id, row.workspace_id, row.mode, row.title, row.created, row.updated)


def to_message(row: MessageRow) -> Message:
    """The plain record of a message row (JSON lists copied so callers cannot alter the row)."""
    extras = row.extras if isinstance(row.extras, dict) else {}  # NULL in rows older than the column
    return Message(
        id=row.id,
        workspace_id=row.workspace_id,
        session_id=row.session_id,
        role=row.role,
        content=row.content,
        citations=list(row.citations or []),
        tool_calls=list(row.tool_calls or []),
        mode=row.mode,
        incomplete=row.incomplete,
        created=row.created,
        notice=str(extras.get("notice") or ""),
        follow_ups=tuple(str(q) for q in extras.get("follow_ups") or ()),
        diagnosis=extras["diagnosis"] if isinstance(extras.get("diagnosis"), dict) else None,
    )


def to_assessment(row: AssessmentRow) -> Assessment:
    """The plain record of an assessment row."""
    return Assessment(
        id=row.id,
        workspace_id=row.workspace_id,
        session_id=row.session_id,
        state=dict(row.state or {}),
        report=None if row.report is None else dict(row.report),
        model_used=row.model_used,
        created=row.created,
        updated=row.updated,
    )


def to_draft(row: DraftRow) -> Draft:
    """The plain record of a draft row."""
    return Draft(
        id=row.id,
        workspace_id=row.workspace_id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        status=row.status,
        approved_at=row.approved_at,
        sources=list(row.sources or []),
        created=row.created,
        updated=row.updated,
    )


def to_note(row: NoteRow) -> Note:
    """The plain record of a note row."""
    return Note(id=row.id, workspace_id=row.workspace_id, body=row.body, created=row.created)


def to_document(row: DocumentRow) -> Document:
    """The plain record of a document row."""
    return Document(row.id, row.workspace_id, row.name, row.size, row.chunks, row.created)


def to_feedback(row: FeedbackRow) -> Feedback:
    """The plain record of a feedback row."""
    return Feedback(
        row.id, row.workspace_id, row.session_id, row.message_id, row.rating, row.reason, row.created
    )
