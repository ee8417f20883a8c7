"""A first draft of a coach's advice (memo or email), every claim labelled by where it comes from.

Labels: [score] (quoted from the `full_report` dict, never computed here), [framework] with a `[n]` marker of
a retrieved passage, [client document] (a passage from this workspace's own documents), [coach judgment] (the
coach's notes, and suggestions left for the coach to own). The stall reasons it names are the ones the client
file supports: strong or moderate findings of the latest assessment, and the reasons the story reader names in
each document passage and each note; each comes with that evidence (the document's own sentence, cited).
Deterministic and model-free, so it works offline; the coach edits and approves it before anything leaves.
No streamlit here: the coach page calls `compose`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keysmith import reader
from keysmith.composer.story import chosen_reasons
from keysmith.errors import KeysmithError
from keysmith.framework import Framework
from keysmith.retrieval import Passage, Retriever
from keysmith.retrieval.quotes import quote_for

_STRONG = ("strong", "moderate")


@dataclass
class AdviceDraft:
    """The draft text and the passages its `[n]` markers point to (`{id, source, heading, excerpt}`)."""

    title: str
    body: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # the stall reason ids the client file supports

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


@dataclass
class _Support:
    """The evidence for one stall reason: score findings, document passages (with the sentence that carries
    the signal) and the coach's notes (with the clause)."""

    score_level: str = ""
    documents: list[tuple[Passage, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def weight(self) -> tuple[int, int]:
        kinds = bool(self.score_level) + bool(self.documents) + bool(self.notes)
        return (kinds, len(self.documents) + len(self.notes))


MAX_DOCUMENT_PASSAGES = 40  # read as evidence, spread across the documents; the draft says what was left out
MAX_REASONS = 3


def _named(text: str, fw: Framework, corroborated: Collection[str] = ()) -> list[tuple[str, str]]:
    """(stall reason id, the clause that signals it) for each reason the story reader names in `text`.

    When the reading is unsure, its strongest candidate in `corroborated` (reasons other evidence already
    supports) counts too: a short note rarely names a reason alone, but it can confirm one. (Not only the
    leading candidate: "nobody has picked up ownership of the model" leans to zoom level at 0.35 against
    governance at 0.30 since the 2026-12-03 retrain, and it confirms the governance gap a document shows.)"""
    signals = reader.read(text, fw)
    chosen = chosen_reasons(signals, fw)
    confirmed = [c for c in signals.candidates if c in corroborated] if signals.unsure else []
    if not chosen and confirmed:
        chosen = [f for f in signals.stall_reasons if f.id == confirmed[0]]
    return [(f.id, (f.clauses or f.evidence or ("",))[0]) for f in chosen]


def spread_passages(passages: Sequence[Passage], cap: int) -> tuple[list[Passage], int]:
    """At most `cap` passages, taken in turn from each document (by `source`, in the order given) so that
    every document is read; each document's passages keep their reading order. Returns the passages kept
    (grouped by document again) and how many were left out."""
    by_document: dict[str, list[Passage]] = {}
    for passage in passages:
        by_document.setdefault(passage.source, []).append(passage)
    kept: dict[str, int] = dict.fromkeys(by_document, 0)
    taken, depth = 0, 0
    while taken < min(cap, len(passages)):
        for source, own in by_document.items():
            if depth < len(own) and taken < cap:
                kept[source] += 1
                taken += 1
        depth += 1
    chosen = [p for source, own in by_document.items() for p in own[: kept[source]]]
    return chosen, len(passages) - len(chosen)


def document_passages(retriever: Retriever, workspace_id: str) -> tuple[list[Passage], int]:
    """The workspace's document passages read as evidence (at most `MAX_DOCUMENT_PASSAGES`, spread across
    the documents) and how many were left out; none when the index cannot be read."""
    try:
        passages = retriever.workspace_passages(workspace_id)
    except KeysmithError:
        return [], 0
    return spread_passages(passages, MAX_DOCUMENT_PASSAGES)


def gather_support(
    report: Mapping[str, Any] | None,
    notes: Sequence[str],
    fw: Framework,
    passages: Sequence[Passage],
) -> dict[str, _Support]:
    """Stall reason id -> its evidence in the client file (the score report, the document `passages`, the
    notes), strongest first (most kinds of evidence)."""
    found: dict[str, _Support] = {}
    for finding in (report or {}).get("stall_reasons", []):
        if finding.get("level") in _STRONG:
            found.setdefault(finding["id"], _Support()).score_level = str(finding["level"])
    for passage in passages:
        for reason_id, clause in _named(passage.text, fw):
            found.setdefault(reason_id, _Support()).documents.append((passage, clause))
    for note in notes:
        for reason_id, _clause in _named(note, fw, corroborated=set(found)):
            found.setdefault(reason_id, _Support()).notes.append(note)
    ordered = sorted(found.items(), key=lambda item: item[1].weight, reverse=True)
    return dict(ordered[:MAX_REASONS])


def _document_lines(
    draft: AdviceDraft, documents: Sequence[tuple[Passage, str]], fallback: str, quoted: list[str]
) -> list[str]:
    """One `[client document]` line per passage: the short quote of the sentence(s) carrying its clause (or
    `fallback` when the reader gave none). A quote already shown under another reason (in `quoted`, which
    this extends) is not repeated: another sentence sharing the clause's terms is quoted, or the line points
    back to the quote above."""
    lines = []
    for document, clause in documents:
        query = clause or fallback
        quote = quote_for(document.text, query)
        if quote in quoted:
            quote = quote_for(document.text, query, avoid=quoted)
        name = document.source.removeprefix("client document: ")
        if quote and quote not in quoted:
            quoted.append(quote)
            lines.append(f"  - {name} says: “{quote}” [client document] [{draft.cite(document)}]")
        else:
            lines.append(
                f"  - {name} says this too, in the words quoted above."
                f" [client document] [{draft.cite(document)}]"
            )
    return lines


def _reason_lines(
    draft: AdviceDraft, support: Mapping[str, _Support], fw: Framework, retriever: Retriever
) -> list[str]:
    """Each supported stall reason with its framework passage, then the evidence that supports it."""
    lines: list[str] = []
    quoted: list[str] = []
    for reason_id, evidence in support.items():
        reason = fw.stall_reason(reason_id)
        passage = _search(retriever, f"{reason.name}. {reason.summary}", kind="stall_reason")
        marker = f" [{draft.cite(passage)}]" if passage else ""
        lines.append(f"- {reason.name}: {reason.summary} [framework]{marker}")
        lines += _document_lines(draft, evidence.documents[:2], reason.summary, quoted)
        for note in evidence.notes[:1]:
            lines.append(f"  - Your note: “{' '.join(note.split())}” [coach judgment]")
        if evidence.score_level:
            lines.append(
                f"  - The assessment answers point this way ({evidence.score_level} signal). [score]"
            )
    return lines


def _why_parts(
    draft: AdviceDraft,
    report: Mapping[str, Any] | None,
    notes: Sequence[str],
    framework: Framework,
    retriever: Retriever,
    workspace_id: str,
) -> list[str]:
    """The "why it is likely stalling" section (sets `draft.reasons`), and a line saying how many document
    passages were left out when the client file is larger than the draft reads."""
    passages, left_out = document_passages(retriever, workspace_id)
    support = gather_support(report, notes, framework, passages)
    draft.reasons = list(support)
    reasons = _reason_lines(draft, support, framework, retriever)
    parts = ["## Why it is likely stalling", *reasons, ""] if reasons else []
    if left_out:
        parts += [
            f"Note for you: {left_out} passages of the client's documents were not read for this draft "
            f"(it reads {len(passages)}, spread across the documents); check them before approving."
            " [coach judgment]",
            "",
        ]
    return parts


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
    parts += _why_parts(draft, report, notes, framework, retriever, workspace_id)
    if report is None:
        parts += [
            "No completed assessment yet: run one with the client to ground this advice in scores."
            " [coach judgment]",
            "",
        ]
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
