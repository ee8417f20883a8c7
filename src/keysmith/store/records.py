"""The plain, frozen records `keysmith.store.Store` returns (no SQLAlchemy objects leave the store).

Times are aware UTC datetimes; ids are uuid4 hex strings; JSON fields hold plain JSON data (dict, list, str,
int, float, bool, None) exactly as it was saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

SessionMode = Literal["diagnose", "assessment", "coach"]
Role = Literal["user", "assistant"]
DraftKind = Literal["memo", "email"]
DraftStatus = Literal["draft", "approved"]
Rating = Literal["up", "down"]

SESSION_MODES: tuple[str, ...] = ("diagnose", "assessment", "coach")
ROLES: tuple[str, ...] = ("user", "assistant")
DRAFT_KINDS: tuple[str, ...] = ("memo", "email")
RATINGS: tuple[str, ...] = ("up", "down")


@dataclass(frozen=True)
class Workspace:
    """A manager's default workspace ("My workspace") or one a coach created for a client."""

    id: str
    name: str
    is_default: bool
    created: datetime


@dataclass(frozen=True)
class Session:
    """One conversation in one mode; `updated` moves on with every message (the resume list sorts by it)."""

    id: str
    workspace_id: str
    mode: str
    title: str
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class Message:
    """One chat turn. `citations` is `[{id, source, heading, excerpt}]`; `mode` is the answering mode.

    `notice` is the one line shown above an answer (a fallback, a dropped sentence, why a stream broke) and
    `follow_ups` the suggested next questions; both empty for user turns.
    """

    id: str
    workspace_id: str
    session_id: str
    role: str
    content: str
    citations: list[Any]
    tool_calls: list[Any]
    mode: str
    incomplete: bool
    created: datetime
    notice: str = ""
    follow_ups: tuple[str, ...] = ()
    diagnosis: dict[str, Any] | None = None  # see Store.add_message


@dataclass(frozen=True)
class Assessment:
    """A guided assessment: `state` is `AssessmentState.to_dict()`, `report` a `full_report` dict or None."""

    id: str
    workspace_id: str
    session_id: str
    state: dict[str, Any]
    report: dict[str, Any] | None
    model_used: str
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class Draft:
    """Coach advice (a memo or an email). Only an `approved` draft may be exported."""

    id: str
    workspace_id: str
    kind: str
    title: str
    body: str
    status: str
    approved_at: datetime | None
    sources: list[Any]
    created: datetime
    updated: datetime

    @property
    def approved(self) -> bool:
        """True when the coach approved this exact body."""
        return self.status == "approved"


@dataclass(frozen=True)
class Note:
    """A coach's note about a client."""

    id: str
    workspace_id: str
    body: str
    created: datetime


@dataclass(frozen=True)
class Document:
    """A client document uploaded to a workspace; `chunks` is how many chunks were indexed for it."""

    id: str
    workspace_id: str
    name: str
    size: int
    chunks: int
    created: datetime


@dataclass(frozen=True)
class Feedback:
    """A thumbs up/down on one assistant answer, with an optional reason."""

    id: str
    workspace_id: str
    session_id: str
    message_id: str
    rating: str
    reason: str
    created: datetime
