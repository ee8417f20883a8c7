"""The answer and the streamed events shared by the agent, the composer and the assistant.

These are plain dataclasses with no LangChain types in them, so the CLI and the UI can consume them
without importing the agent, and the agent and the composer can both produce them without import cycles.

`Answer.to_dict()` is the `keysmith ask --json` shape: `answer`, `citations` [{id, source, heading,
excerpt, facts_from: [{id, title, url, kind}]}], `tool_calls`, `abstained`, `mode`, plus `incomplete`,
`notice`, `follow_ups` and `capabilities` (null offline; with a model: whether it is offered tools or used in
grounded-text mode, and how that was decided).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keysmith.framework.sources import Source


@dataclass(frozen=True)
class Citation:
    """One retrieved passage an answer cites; `marker` is the `[n]` number used in the answer text.
    `facts_from` are the sources the passage's page draws on (none for a client document)."""

    id: str
    source: str
    heading: str
    excerpt: str
    marker: int = 0
    facts_from: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The citation as it appears in `keysmith ask --json` (the marker is implied by list order)."""
        return {
            "id": self.id,
            "source": self.source,
            "heading": self.heading,
            "excerpt": self.excerpt,
            "facts_from": [s.to_dict() for s in self.facts_from],
        }


@dataclass
class Answer:
    """A finished answer.

    `answer` is clean Markdown (already through the guards and `sanitize.clean_markdown`). `mode` is
    `offline`, the model spec, or `offline (fallback: <reason>)`. `incomplete` is set when a stream broke
    mid-answer and the text is partial; `notice` is one line the UI shows above the answer (a fallback, a
    dropped sentence, a tool-round cap).
    """

    answer: str
    citations: list[Citation] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    abstained: bool = False
    mode: str = "offline"
    incomplete: bool = False
    notice: str | None = None
    follow_ups: list[str] = field(default_factory=list)
    # A diagnosis: the stall reasons named ([{id, strength, evidence: [user clauses]}], strongest first),
    # the interview's pending question (or None), the interview state to resume (not in the JSON: the
    # store keeps it), and the stored session, once the caller has saved the turn.
    reasons: list[dict[str, Any]] = field(default_factory=list)
    question: dict[str, Any] | None = None
    interview: dict[str, Any] | None = None
    session_id: str | None = None
    # With a model: {"tool_calls": bool | None, "grounded_text": bool, "checked": str | None}.
    capabilities: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `keysmith ask --json` shape (plain JSON types only)."""
        return {
            "session_id": self.session_id,
            "reasons": [dict(r) for r in self.reasons],
            "question": self.question,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "tool_calls": [dict(call) for call in self.tool_calls],
            "abstained": self.abstained,
            "mode": self.mode,
            "incomplete": self.incomplete,
            "notice": self.notice,
            "follow_ups": list(self.follow_ups),
            "capabilities": dict(self.capabilities) if self.capabilities is not None else None,
        }


@dataclass(frozen=True)
class TokenEvent:
    """A piece of answer text as the model streams it (raw: not yet guarded or sanitised)."""

    text: str


@dataclass(frozen=True)
class ToolStartEvent:
    """The model asked for a tool; `call_id` pairs it with its `ToolEndEvent`."""

    name: str
    args: dict[str, Any]
    call_id: str = ""


@dataclass(frozen=True)
class ToolEndEvent:
    """A tool finished; `ok` is False when it returned an error the model was shown."""

    name: str
    output: str
    ok: bool = True
    call_id: str = ""


@dataclass(frozen=True)
class NoticeEvent:
    """One line for the user about how the answer was produced (fallback, cap reached, sentence dropped)."""

    text: str


@dataclass(frozen=True)
class FinalEvent:
    """The last event of a stream.

    From `agent.stream_agent` it carries the raw final text (`text`) and `answer` is None; the assistant
    turns that into a guarded `Answer` and emits a `FinalEvent` with `answer` set.
    """

    text: str
    answer: Answer | None = None
    capped: bool = False


Event = TokenEvent | ToolStartEvent | ToolEndEvent | NoticeEvent | FinalEvent
