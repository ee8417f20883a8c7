"""A coach's advice (memo or email) drafted by the language model, checked like a chat answer.

`draft_advice_with_model(model, kind=..., client=..., report=..., notes=..., passages=..., offline_draft=...)`
renders `prompts/coach_draft.md` with the material fenced in labelled blocks (scores as JSON, notes, the
numbered passages), asks the model once (no tools), then checks the answer in this order:

1. `check_citations`: markers pointing at no numbered passage are removed;
2. `guard_numbers`, run sentence by sentence (our splitter keeps the labels and markers written after a full
   stop with their sentence; the guard's own splitter would hand them to the next one): a sentence stating
   a number found in neither the report JSON, the notes, the passages nor the client's name is removed;
3. labels: every claim sentence must carry `[framework]`, `[client document]`, `[score]` or
   `[coach judgment]`, and a `[framework]` / `[client document]` sentence must cite a passage of that kind.
   A sentence that fails is REMOVED (not relabelled): relabelling it `[coach judgment]` would put the model's
   words in the coach's mouth, and a quiet default would hide exactly the unsourced claims the labels exist
   to expose. Headings of up to nine words, blank lines, greetings/sign-offs (a short line ending in "," or
   ":") and very short lines without a full stop (a name under a sign-off) are structure, not claims;
4. stall reasons: a sentence naming a stall reason in `unsupported_reasons` (the names of the reasons that
   nothing in the client file supports: no score finding, document passage or note) is removed, so the draft
   names only the reasons the evidence supports;
5. markers renumbered 1..k in order of first use (`sources` in that order), then `clean_markdown`.

Steps 2 to 4 are `keysmith.guards.labels` (`LABELS`, `check_sentences` and `drop_unsupported` are
re-exported from here). Every removal is counted in `notice`. A provider failure, or a draft left with no
claim, returns the offline draft with a notice saying why. No streamlit and no provider package here: the
caller passes the model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from keysmith.errors import KeysmithError, ProviderError
from keysmith.guards import check_citations
from keysmith.guards.finish import renumber
from keysmith.guards.labels import LABELS, check_sentences, drop_unsupported
from keysmith.guards.sanitize import clean_markdown
from keysmith.prompts import render
from keysmith.retrieval import Passage, Retriever

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "CONFIG_KINDS",
    "LABELS",
    "AdviceDraft",
    "build_prompt",
    "check_draft",
    "check_sentences",
    "draft_advice_with_model",
    "drop_unsupported",
    "gather_passages",
]

_T = TypeVar("_T")
CONFIG_KINDS = frozenset({"auth", "not_found", "bad_request"})
_BLOCK_TAG = re.compile(r"</?\s*(?:assessment|coach_notes|passages?)\b[^>]*>", re.IGNORECASE)


@dataclass
class AdviceDraft:
    """The checked draft, the passages its `[n]` markers point to (`{id, source, heading, excerpt}`, marker
    n is `sources[n-1]`), a plain notice for the coach (None when nothing was changed), and the removed
    sentences verbatim."""

    body: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    notice: str | None = None
    removed: list[str] = field(default_factory=list)
    offline: bool = False  # True when this is the offline draft (provider failure, nothing passed the checks)


def _fence(text: str) -> str:
    """Material text with our block tags taken out, so a document cannot close its block early."""
    return _BLOCK_TAG.sub("", text).strip()


def _passage_block(passages: Sequence[Passage]) -> str:
    if not passages:
        return "(no passages were retrieved)"
    return "\n\n".join(
        f'<passage number="{n}" source="{_fence(p.source)}" heading="{_fence(p.heading)}">\n'
        f"{_fence(p.text or p.excerpt)}\n</passage>"
        for n, p in enumerate(passages, start=1)
    )


def build_prompt(
    kind: str,
    client: str,
    report: Mapping[str, Any] | None,
    notes: Sequence[str],
    passages: Sequence[Passage],
) -> str:
    """The rendered `coach_draft` prompt with the material fenced in its blocks."""
    return render(
        "coach_draft",
        draft_kind="email" if kind == "email" else "memo",
        client_name=_fence(client),
        assessment=_fence(json.dumps(report, indent=1)) if report else "(no completed assessment yet)",
        coach_notes="\n".join(f"- {_fence(n)}" for n in notes) or "(no notes)",
        passages=_passage_block(passages),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _check_notice(numbers: int, markers: int, labels: int, unsupported: int = 0) -> str | None:
    parts = []
    if numbers:
        parts.append(f"{_plural(numbers, 'sentence')} stating a number no score, note or passage contains")
    if markers:
        parts.append(f"{_plural(markers, 'citation')} to a passage the model was never given")
    if labels:
        parts.append(
            f"{_plural(labels, 'sentence')} without a source label (or without the citation it needs)"
        )
    if unsupported:
        parts.append(
            f"{_plural(unsupported, 'sentence')} naming a stall reason nothing in the client file supports"
        )
    return ("Checked and removed: " + "; ".join(parts) + ".") if parts else None


def _fallback_notice(error: ProviderError) -> str:
    reason = " ".join(str(error).split())
    if error.kind in CONFIG_KINDS:
        return f"Drafted offline because the model settings need fixing: {reason}"
    return f"Drafted offline because the language model failed: {reason}"


def _sources(order: Sequence[int], passages: Sequence[Passage]) -> list[dict[str, Any]]:
    return [
        {"id": p.id, "source": p.source, "heading": p.heading, "excerpt": p.excerpt}
        for p in (passages[n - 1] for n in order)
    ]


def check_draft(
    text: str,
    report: Mapping[str, Any] | None,
    notes: Sequence[str],
    passages: Sequence[Passage],
    client: str,
    unsupported_reasons: Sequence[str] = (),
) -> AdviceDraft:
    """Run the guards, the label rule, the stall-reason rule, renumbering and the sanitiser over the model's
    raw draft (see the module docstring)."""
    cited = check_citations(text, set(range(1, len(passages) + 1)))
    allowed = [json.dumps(report) if report else "", *notes, *(p.text for p in passages), client]
    checked, numbers, unlabelled = check_sentences(cited.text, passages, allowed)
    checked, unsupported = drop_unsupported(checked, unsupported_reasons)
    body, order = renumber(checked)
    notice = _check_notice(len(numbers), len(cited.dropped), len(unlabelled), len(unsupported))
    return AdviceDraft(
        body=clean_markdown(body).strip() + "\n",
        sources=_sources(order, passages),
        notice=notice,
        removed=[*numbers, *unlabelled, *unsupported],
    )


def draft_advice_with_model(
    model: BaseChatModel,
    *,
    kind: str,
    client: str,
    report: Mapping[str, Any] | None,
    notes: Sequence[str],
    passages: Sequence[Passage],
    offline_draft: str,
    offline_sources: Sequence[Mapping[str, Any]] = (),
    spec: str = "",
    unsupported_reasons: Sequence[str] = (),
) -> AdviceDraft:
    """The model's checked draft, or the offline draft (with `offline_sources`) and a notice saying why.

    `unsupported_reasons` are the names of the stall reasons nothing in the client file supports: a sentence
    naming one is removed. `spec` (KEYSMITH_MODEL) only sharpens the provider-error wording. Errors that
    are not provider failures (bugs, a broken prompt) propagate.
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    from keysmith.models import classify_provider_error, is_provider_error

    prompt = build_prompt(kind, client, report, notes, passages)
    try:
        reply = model.invoke([SystemMessage(prompt), HumanMessage(f"Write the {kind} for {client} now.")])
    except Exception as exc:
        if not is_provider_error(exc):
            raise
        notice = _fallback_notice(classify_provider_error(exc, spec))
        return AdviceDraft(offline_draft, [dict(s) for s in offline_sources], notice, offline=True)
    draft = check_draft(reply.text, report, notes, passages, client, unsupported_reasons)
    if not any(label in draft.body for label in LABELS):
        notice = "Drafted offline because no claim in the model's draft passed the checks."
        return AdviceDraft(
            offline_draft, [dict(s) for s in offline_sources], notice, draft.removed, offline=True
        )
    return draft


def gather_passages(
    retriever: Retriever, source_ids: Sequence[str], workspace_id: str, queries: Sequence[str], k: int = 3
) -> list[Passage]:
    """The passages to hand the model: those the offline draft cited (by id), then the best hits for each
    query in the framework and this workspace's documents, without repeats. Search failures are skipped:
    the model then simply has fewer passages to cite."""
    found: dict[str, Passage] = {}
    for passage_id in source_ids:
        passage = _quietly(partial(retriever.get, passage_id))
        if passage is not None:
            found.setdefault(passage.id, passage)
    for query in queries:
        result = _quietly(partial(retriever.search, query, k, None, workspace_id))
        for passage in () if result is None or result.abstained else result.results:
            found.setdefault(passage.id, passage)
    return list(found.values())


def _quietly(call: Callable[[], _T]) -> _T | None:
    try:
        return call()
    except KeysmithError:
        return None
