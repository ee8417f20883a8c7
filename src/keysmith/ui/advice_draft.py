"""A first draft of a coach's advice (memo or email), every claim labelled by where it comes from.

Labels: [score] (quoted from the `full_report` dict, never computed here), [framework] with a `[n]` marker of
a retrieved passage, [client document] (a passage from this workspace's own documents), [coach judgment] (the
coach's notes, and suggestions left for the coach to own). Deterministic and model-free, so it works offline;
the coach edits and approves it before anything leaves. No streamlit here: the coach page calls `compose`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keysmith.diagnosis import read_story
from keysmith.errors import KeysmithError
from keysmith.framework import Framework
from keysmith.retrieval import Passage, Retriever

_STRONG = ("strong", "moderate")


@dataclass
class AdviceDraft:
    """The draft text and the passages its `[n]` markers point to (`{id, source, heading, excerpt}`)."""

    title: str
    body: str
    sources: list[dict[str, Any]] = field(default_factory=list)

    def cite(self, passage: Passage) -> int:
        """The marker number for `passage` (first seen = 1, stable within the draft)."""
        for number, known in enumerate(self.sources, start=1):
            if known["id"] == passage.id:
                return number
        self.sources.append(
            {
                "id": passage.id,
                "source": passage.source,
                "heading": passage.heading,
                "excerpt": passage.excerpt,
            }
        )
        return len(self.sources)


def _search(retriever: Retriever, query: str, **scope: Any) -> Passage | None:
    try:
        found = retriever.search(query, k=1, **scope)
    except KeysmithError:
        return None
    return None if found.abstained or not found.results else found.results[0]


def _score_lines(report: Mapping[str, Any], framework: Framework) -> list[str]:
    shift = report["weight_shift"]
    lines = [
        f"- Pilot-stage readiness is {shift['pilot_score']} out of 100 and production readiness is "
        f"{shift['production_score']} out of 100. [score]"
    ]
    for lever in report.get("levers", [])[:3]:
        name = framework.variable(lever["variable"]).name
        lines.append(
            f"- Raising {name} from {lever['answer']} to 5 would add {lever['gain']} production points."
            " [score]"
        )
    for omission in report.get("omissions", [])[:3]:
        lines.append(f"- {omission['name']} was not answered, so the picture is incomplete there. [score]")
    return lines


def _reason_lines(
    draft: AdviceDraft, report: Mapping[str, Any], fw: Framework, retriever: Retriever
) -> list[str]:
    lines = []
    for finding in [f for f in report.get("stall_reasons", []) if f.get("level") in _STRONG][:3]:
        reason = fw.stall_reason(finding["id"])
        passage = _search(retriever, f"{reason.name}. {reason.summary}", kind="stall_reason")
        marker = f" [{draft.cite(passage)}]" if passage else ""
        lines.append(f"- {reason.name}: {reason.summary} [framework]{marker}")
        lines.append(f"  - The answers point this way ({finding['level']} signal). [score]")
    return lines


def _note_lines(draft: AdviceDraft, notes: Sequence[str], fw: Framework, retriever: Retriever) -> list[str]:
    """Stall reasons the coach's own notes point to (deterministic cue reading), each with its passage."""
    story = read_story("\n".join(notes), fw)
    lines = []
    for finding in story.stall_reasons[:2]:
        reason = fw.stall_reason(finding.id)
        passage = _search(retriever, f"{reason.name}. {reason.summary}", kind="stall_reason")
        marker = f" [{draft.cite(passage)}]" if passage else ""
        lines.append(f"- What you describe fits {reason.name}: {reason.summary} [framework]{marker}")
    return lines


def _document_lines(
    draft: AdviceDraft, topics: Sequence[str], retriever: Retriever, workspace_id: str
) -> list[str]:
    lines, seen = [], set()
    for topic in topics:
        passage = _search(retriever, topic, workspace_id=workspace_id)
        if passage is None or not passage.source.startswith("client document") or passage.id in seen:
            continue
        seen.add(passage.id)
        text = " ".join(passage.excerpt.split())
        lines.append(
            f"- {passage.heading or passage.source} says: “{text}” [client document] [{draft.cite(passage)}]"
        )
    return lines


def _titled(title: str, lines: list[str]) -> list[str]:
    return [f"## {title}", *lines, ""] if lines else []


def compose(
    kind: str,
    client: str,
    report: Mapping[str, Any] | None,
    notes: Sequence[str],
    framework: Framework,
    retriever: Retriever,
    workspace_id: str,
) -> AdviceDraft:
    """Assemble the draft from the latest assessment report, the coach's notes and the client's documents."""
    draft = AdviceDraft(title=f"{'Email' if kind == 'email' else 'Memo'} for {client}", body="")
    parts: list[str] = (
        [f"Dear {client} team,", ""] if kind == "email" else [f"# Rollout review: {client}", ""]
    )
    if report is not None:
        parts += ["## Where the rollout stands", *_score_lines(report, framework), ""]
        reasons = _reason_lines(draft, report, framework, retriever)
        if reasons:
            parts += ["## Why it is likely stalling", *reasons, ""]
        topics = [f["name"] for f in report.get("stall_reasons", []) if f.get("level") in _STRONG][:3]
    else:
        parts += _titled("What your situation looks like", _note_lines(draft, notes, framework, retriever))
        parts += [
            "No completed assessment yet: run one with the client to ground this advice in scores."
            " [coach judgment]",
            "",
        ]
        topics = []
    documents = _document_lines(
        draft, topics or ["rollout problems", "pilot results"], retriever, workspace_id
    )
    if documents:
        parts += ["## What your own documents say", *documents, ""]
    if notes:
        parts += [
            "## What I have heard from you",
            *[f"- {' '.join(n.split())} [coach judgment]" for n in notes],
            "",
        ]
    step = (
        "Agree one owner for the top lever above and review progress in four weeks."
        if report is not None and report.get("levers")
        else "Take the Keysmith self-assessment together so the next advice can rest on scores."
    )
    parts += ["## Suggested next step", f"- {step} [coach judgment]"]
    if kind == "email":
        parts += ["", "Best regards,"]
    draft.body = "\n".join(parts).strip() + "\n"
    return draft
