"""The composer's answer in place of a model's, and the one-line notice that says why.

- `fallback_notice(error, spec)`: an answer came from the offline composer because the provider failed (for
  a configuration problem: which variable to fix) or the turn ran out of time.
- `failure_notice(error, spec, partial)`: the same, or, when part of the model's answer arrived before the
  failure, that the part is kept and the composer's answer follows.
- `offline_answer(composer, names, question, toolbox, users, kind=..., notice=..., partial="")`: the
  composer's finished `Answer` (mode `offline (fallback: <kind>)`), after the model's partial text with only
  the names the framework or the turn's results hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from keysmith.answer import Answer
from keysmith.composer import OFFLINE, Composer
from keysmith.composer.frames import Draft
from keysmith.errors import ProviderError, StreamCutError
from keysmith.guards import KnownNames, guard_names
from keysmith.guards.finish import finish
from keysmith.tools import Toolbox

CONFIG_KINDS = frozenset({"auth", "not_found", "bad_request", "context_window"})


def _variable_to_fix(kind: str, spec: str) -> str:
    if kind == "auth":
        return "AZURE_OPENAI_API_KEY" if spec.startswith("azure:") else "OPENAI_API_KEY"
    return "KEYSMITH_MODEL"


def fallback_notice(error: ProviderError, spec: str) -> str:
    """One line saying that the answer came from the offline composer, and why."""
    reason = " ".join(str(error).split())
    if error.kind == "budget":
        return f"Answered offline because the language model ({spec}) did not finish in time: {reason}."
    if error.kind in CONFIG_KINDS:
        variable = _variable_to_fix(error.kind, spec)
        return f"Answered offline because the model settings need fixing (check {variable}): {reason}"
    return f"Answered offline because the language model ({spec}) failed: {reason}"


def failure_notice(error: ProviderError, spec: str, partial: str = "") -> str:
    """The notice for a provider failure: `fallback_notice`, or, after `partial` model text, that the part
    that arrived is kept and followed by the offline answer."""
    reason = " ".join(str(error).split())
    if partial and error.kind == "budget":
        return (
            f"The model's answer was stopped because {reason}; the part that arrived is kept, followed "
            "by Keysmith's offline answer."
        )
    if partial:
        return (
            f"The model's answer was cut off ({reason}); the part that arrived is kept, followed by "
            "Keysmith's offline answer."
        )
    return fallback_notice(error, spec)


def failure_kind(error: ProviderError) -> str:
    """The fallback's kind as the answer's mode names it (`stream_cut` for a stream cut mid-answer)."""
    return "stream_cut" if isinstance(error, StreamCutError) else error.kind


def offline_answer(
    composer: Composer,
    names: KnownNames,
    question: str,
    toolbox: Toolbox,
    users: Sequence[str],
    *,
    kind: str,
    notice: str,
    partial: str = "",
) -> Answer:
    """The composer's answer in place of the model's (after its guarded partial text, if any)."""
    draft: Draft = composer.draft(question, toolbox)
    text = draft.text
    if partial:
        sources = toolbox.allowed_number_sources()
        kept = guard_names(partial, names, sources, [question, *users]).text
        if kept.strip():
            text = f"{kept.rstrip()} …\n\n---\n\n**Keysmith's offline answer:**\n\n{draft.text}"
    answer = finish(
        text,
        toolbox,
        [question, *users],
        mode=f"{OFFLINE} (fallback: {kind})",
        abstained=draft.abstained and not partial,
        follow_ups=draft.follow_ups,
        notice=notice,
        incomplete=bool(partial),
    )
    answer.reasons, answer.question, answer.interview = draft.reasons, draft.question, draft.interview
    return answer
