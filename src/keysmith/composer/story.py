"""The composer's diagnosis of a stalled-rollout story: what is likely happening, how to confirm it, and
what to do next.

`read_story` finds the signals in the user's own words; the top one to three stall reasons are explained
in plain words (the framework data's summaries), each cited to its framework page and shown with the
user's words that point to it; the questions that would confirm them are the assessment questions for
their signal variables; the next moves are the matching known archetypes and bridge steps, cited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from keysmith.composer import frames
from keysmith.composer.briefing import asks_for_a_briefing, briefing, is_a_request_for_words
from keysmith.composer.frames import Draft
from keysmith.diagnosis import StallReasonFinding, StorySignals, interview
from keysmith.diagnosis.trouble import reports_trouble
from keysmith.framework import Archetype, Framework
from keysmith.text.numbers import ordinal_word
from keysmith.tools import Toolbox

# Measured on evals/datasets/scenarios.yaml (34 stories, with the subject-aware cue reading): naming the top
# reason only gives recall 0.83 at precision 1.0; adding a second one when it has at least 0.4 of the top
# one's strength gives recall 0.97 at precision 0.85, and asking the second for evidence of its own (see
# `top_reasons`) gives recall 0.95 at precision 0.90. Strength is score / (score + 1), so 0.4 of it is a
# generous floor: a second reason the story names in its own words is passed on, one stray single-word cue
# beside a strong first reason is not. A third reason, even one nearly as strong as the first, added no
# recall and cost precision.
MAX_REASONS = 2
MAX_QUESTIONS = 3
MAX_ARCHETYPES = 2
# A further stall reason is named only if the story supports it at least this much relative to the top one.
RELATIVE_STRENGTH = 0.4
# Which of the framework's four bridge steps answers a stall reason first (Keysmith's reading of the
# steps' summaries: the hand-off list for seam problems, the system map for scope and cost, the ordered
# bridge for governance and people).
BRIDGE_FOR_REASON = {
    "zoom_level": "map_the_system",
    "input_output_mismatch": "production_eyes",
    "governance_vacuum": "build_the_bridge",
    "change_management_deficit": "build_the_bridge",
    "economics_shift": "map_the_system",
}
_STORY_SAYS = re.compile(r'the story says "([^"]+)"')


def _markers(toolbox: Toolbox, query: str, kind: str | None, page_id: str) -> list[int]:
    args: dict[str, str] = {"query": query[:400]}
    if kind:
        args["kind"] = kind
    result = toolbox.call("search_framework", **args)
    markers: list[int] = result.data["markers"] if result.ok else []
    own = [m for m in markers if toolbox.passages[m].id.startswith(f"{page_id}#")]
    return own or markers


def top_reasons(signals: StorySignals, framework: Framework) -> list[StallReasonFinding]:
    """The stall reasons worth naming: the strongest, plus the next one if the story supports it enough.

    A further reason needs RELATIVE_STRENGTH of the top one's strength AND evidence of its own: a cue of
    its own, or a weak signal variable the top reason does not share. Zoom level shares data and process
    with input-output mismatch, so a story about hand-offs alone would otherwise always name both; naming a
    second reason that adds no evidence of its own tells the reader nothing new.
    """
    ranked = [f for f in signals.stall_reasons if f.strength > 0]
    if not ranked:
        return []
    top, floor = ranked[0], ranked[0].strength * RELATIVE_STRENGTH
    more = [f for f in ranked[1:] if f.strength >= floor and _own_evidence(f, top, signals, framework)]
    return [top, *more][:MAX_REASONS]


def _own_evidence(
    finding: StallReasonFinding, top: StallReasonFinding, signals: StorySignals, framework: Framework
) -> bool:
    """Whether the story points at `finding` by more than the signal variables it shares with `top`."""
    if any(_STORY_SAYS.search(e) for e in finding.evidence):
        return True
    shared = set(framework.stall_reason(top.id).signal_variables)
    own = set(framework.stall_reason(finding.id).signal_variables) - shared
    return any(v.id in own for v in signals.variables)


def _quotes(finding: StallReasonFinding, signals: StorySignals, framework: Framework) -> list[str]:
    """The user's own words behind a finding: the clauses that signal it when the readers found them, else
    the cue reader's direct descriptions, then weak signal variables."""
    if finding.clauses:
        return [_trimmed(c) for c in finding.clauses]
    signal_variables = framework.stall_reason(finding.id).signal_variables
    quotes = [m.group(1) for e in finding.evidence for m in _STORY_SAYS.finditer(e)]
    quotes += [q for v in signals.variables if v.id in signal_variables for q in v.quotes]
    return quotes


_QUOTE_SAFE = str.maketrans({'"': "'", "[": "(", "]": ")"})
MAX_CLAUSE_WORDS = 45  # the segmenter's own cap: a clause is quoted whole


def _trimmed(clause: str) -> str:
    """A clause of at most MAX_CLAUSE_WORDS words (cut with an ellipsis): enough to carry the meaning."""
    words = clause.split()
    return clause if len(words) <= MAX_CLAUSE_WORDS else " ".join(words[:MAX_CLAUSE_WORDS]) + " …"


def _evidence(clauses: Sequence[str]) -> list[str]:
    """The clauses worth quoting as evidence: not the user's request for words ("what do I tell them")."""
    return [c for c in clauses if not is_a_request_for_words(c)]


def _reason_lines(
    reasons: list[StallReasonFinding], signals: StorySignals, toolbox: Toolbox, story: str
) -> list[str]:
    framework = toolbox.framework
    lines = []
    used: set[str] = set()
    for position, finding in enumerate(reasons, start=1):
        explained = toolbox.call("explain_stall_reason", stall_reason_id=finding.id)
        reason = framework.stall_reason(finding.id)
        markers = explained.data["markers"] if explained.ok else []
        line = f"{position}. **{reason.name}.** {reason.summary}{frames.cite(markers[:1])}"
        if finding.clauses:  # the user's whole clause (the readers' evidence), not a cue's few words
            # Brackets become parentheses: a user's "[2]" must not pass for a citation marker.
            plain = [_trimmed(c).translate(_QUOTE_SAFE) for c in _evidence(finding.clauses)]
            quoted = ", ".join(f'"{c.strip(" .,;:")}"' for c in plain[:2])
        else:
            quoted = frames.quote_phrases(_quotes(finding, signals, framework), story=story, used=used)
        if quoted:
            line += f"\n   In your words: {quoted}."
        lines.append(line)
    return lines


def _questions(reasons: list[StallReasonFinding], framework: Framework) -> list[str]:
    """The assessment questions for the reasons' signal variables, taken in turn from each reason."""
    pools = [list(framework.stall_reason(f.id).signal_variables) for f in reasons]
    chosen: list[str] = []
    while len(chosen) < MAX_QUESTIONS and any(pools):
        for pool in pools:
            while pool and pool[0] in chosen:
                pool.pop(0)
            if pool and len(chosen) < MAX_QUESTIONS:
                chosen.append(pool.pop(0))
    return [f"- {framework.variable(v).question} ({framework.variable(v).name})" for v in chosen]


def _archetypes(
    signals: StorySignals, reasons: list[StallReasonFinding], framework: Framework
) -> list[Archetype]:
    """The archetypes the story points to that address a named stall reason (a gap variable in common).

    Measured on the scenario stories: keeping only archetypes tied to the named reasons raises archetype
    precision from 0.68 to 0.76 (recall 0.70 -> 0.63), and the next moves then follow from the diagnosis.
    """
    wanted = {v for f in reasons for v in framework.stall_reason(f.id).signal_variables}
    ids = [a.id for a in signals.archetypes if set(framework.archetype(a.id).gap_variables) & wanted]
    return [framework.archetype(i) for i in ids[:MAX_ARCHETYPES]]


def _next_moves(signals: StorySignals, reasons: list[StallReasonFinding], toolbox: Toolbox) -> list[str]:
    framework = toolbox.framework
    moves = []
    for archetype in _archetypes(signals, reasons, framework):
        described = toolbox.call("describe_archetype", archetype_id=archetype.id)
        cite = frames.cite(described.data["markers"][:1]) if described.ok else ""
        moves.append(
            f"- **{archetype.name}** (a solution archetype): {archetype.when_it_fits}{cite} "
            f"A first move Keysmith suggests: {archetype.first_moves[0]}"
        )
    step_ids = list(dict.fromkeys(BRIDGE_FOR_REASON.get(f.id, "map_the_system") for f in reasons))[:2]
    for step in (s for s in framework.bridge_steps if s.id in step_ids):
        markers = _markers(toolbox, f"{step.name}: {step.summary}", "bridge_step", step.knowledge_id)
        moves.append(
            f"- **{step.name}** (a step from pilot to production): {step.summary}{frames.cite(markers[:1])}"
        )
    return moves


def _pilot_line(toolbox: Toolbox) -> str:
    markers = _markers(toolbox, "pilot illusion: what a successful pilot proves", None, "pilot-illusion")
    return (
        "Your pilot worked and the rollout has stalled. A pilot proves the technology under pilot "
        "conditions; "
        f"it does not prove the rest of the organisation is ready for it{frames.cite(markers[:1])}."
    )


def chosen_reasons(signals: StorySignals, framework: Framework) -> list[StallReasonFinding]:
    """The reasons to name: the learned-and-cue decision when the learned reader took part, else the cue
    reader's `top_reasons`."""
    if not signals.learned:
        return top_reasons(signals, framework)
    by_id = {f.id: f for f in signals.stall_reasons}
    return [by_id[rid] for rid in signals.named if rid in by_id]


def reason_records(
    reasons: list[StallReasonFinding], signals: StorySignals, framework: Framework
) -> list[dict[str, Any]]:
    """The `reasons` of `keysmith ask --json`: id, strength and the user's own clauses as evidence."""
    records = []
    for finding in reasons:
        # The readers' clauses when they found some (less the user's request for words, which is no
        # evidence), else the cue reader's descriptions.
        evidence = _evidence(finding.clauses) if finding.clauses else _quotes(finding, signals, framework)
        records.append(
            {"id": finding.id, "strength": round(finding.strength, 3) + 0.0, "evidence": evidence[:3]}
        )
    return records


def diagnosis_sections(
    reasons: list[StallReasonFinding],
    signals: StorySignals,
    toolbox: Toolbox,
    story: str,
    *,
    confirm: bool = True,
) -> list[str]:
    """The body of a diagnosis: what is likely happening, questions that would confirm it, next moves."""
    framework = toolbox.framework
    count = frames.count_word(len(reasons))
    total = frames.count_word(len(framework.stall_reasons))
    clearer = len(reasons) > 1 and reasons[0].strength > reasons[1].strength
    intro = (
        f"{_pilot_line(toolbox)} What you describe points to {count} of the {total} stall reasons the "
        f"framework names{', the first more clearly than the second' if clearer else ''}:"
        if len(reasons) > 1
        else f"{_pilot_line(toolbox)} What you describe points mainly to one of the {total} stall reasons "
        "the framework names:"
    )
    sections = [
        "**What is likely happening**",
        intro,
        "\n".join(_reason_lines(reasons, signals, toolbox, story)),
    ]
    if confirm:
        sections += ["**Questions that would confirm it**", "\n".join(_questions(reasons, framework))]
    sections += ["**Next moves**", "\n".join(_next_moves(signals, reasons, toolbox)), frames.ASSESS_NEXT]
    return sections


def diagnose_answer(question: str, toolbox: Toolbox, framework: Framework) -> Draft:
    """The diagnosis of the story in `question` (see the module docstring); when the reading is unsure and
    the learned reader took part, the first question of the interview instead of the confirm list. A story
    asking what to tell the board (a boss, leadership) starts with a framing they can use now."""
    draft = _diagnosis(question, toolbox, framework)
    if draft.abstained or not asks_for_a_briefing(question):
        return draft
    return replace(draft, text=f"{briefing(toolbox, framework, question)}\n\n{draft.text}")


def _diagnosis(question: str, toolbox: Toolbox, framework: Framework) -> Draft:
    story = toolbox.call("read_story", text=question[:8000])
    signals: StorySignals = story.data
    reasons = chosen_reasons(signals, framework)
    state = None
    if signals.learned and signals.policy is not None:
        order = [r.id for r in framework.stall_reasons]
        state = interview.start(signals, framework.questions, order, signals.policy)
    if state is not None and state.pending is not None:
        return interview_draft(reasons, signals, toolbox, question, state)
    if not reasons:
        return _no_clear_reason(question, toolbox, framework, signals)
    top = framework.stall_reason(reasons[0].id)
    follow_ups = [f"What is the {top.name}?", "Start the self-assessment"]
    suggested = _archetypes(signals, reasons, framework)
    if suggested:
        follow_ups.insert(1, f"What is the {suggested[0].name} archetype?")
    text = "\n\n".join(diagnosis_sections(reasons, signals, toolbox, question))
    return Draft(text, follow_ups=follow_ups, reasons=reason_records(reasons, signals, framework))


def diagnosis_extras(
    signals: StorySignals, framework: Framework
) -> tuple[list[dict[str, Any]], interview.InterviewState | None]:
    """For an answer written by a model: the decided reasons' records and an interview to start, if the
    reading is unsure. The choice of question and the diagnosis stay here, in deterministic code."""
    reasons = chosen_reasons(signals, framework)
    state = None
    if signals.learned and signals.policy is not None:
        order = [r.id for r in framework.stall_reasons]
        state = interview.start(signals, framework.questions, order, signals.policy)
    return reason_records(reasons, signals, framework), state


def question_block(state: interview.InterviewState, framework: Framework) -> tuple[str, dict[str, Any]]:
    """The pending question as Markdown and as the `question` JSON."""
    pending = next(q for q in framework.questions if q.id == state.pending)
    number = len(state.replies) + 1
    labels = frames.join_words([o.label for o in pending.options], "or")
    most = frames.count_word(interview.MAX_QUESTIONS)
    text = (
        f"**A quick question to narrow it down ({ordinal_word(number)} of up to {most})**"
        f"\n\n{pending.text}\n\nReply {labels}, or skip to get the best reading now."
    )
    return text, pending.to_dict()


def interview_draft(
    reasons: list[StallReasonFinding],
    signals: StorySignals,
    toolbox: Toolbox,
    story: str,
    state: interview.InterviewState,
) -> Draft:
    """An unsure reading: the likeliest reason so far (if any), then the interview's first question."""
    framework = toolbox.framework
    total = frames.count_word(len(framework.stall_reasons))
    if reasons:
        lines = "\n".join(_reason_lines(reasons, signals, toolbox, story))
        lead = (
            f"{_pilot_line(toolbox)} From what you describe, the likeliest of the {total} stall reasons the "
            f"framework names, so far:\n\n{lines}"
        )
    else:
        lead = (
            f"{_pilot_line(toolbox)} Your description does not yet point clearly to one of the {total} stall "
            "reasons the framework names."
        )
    block, question = question_block(state, framework)
    text = "\n\n".join(["**What is likely happening**", lead, block])
    records = reason_records(reasons, signals, framework)
    return Draft(text, follow_ups=[], reasons=records, question=question, interview=state.to_dict())


def _no_clear_reason(question: str, toolbox: Toolbox, framework: Framework, signals: StorySignals) -> Draft:
    """A rollout story with no clear signal: name the candidates and the questions that tell them apart.
    A message that reports no difficulty at all (a rollout going well) is told so, not diagnosed."""
    if not reports_trouble(question):
        return _no_trouble(framework)
    if not signals.on_topic:
        # The cue reader saw no AI rollout; the story may still be one in words it does not know.
        found = toolbox.call("search_framework", query=question[:400])
        if not found.ok or found.data["abstained"]:
            return frames.off_topic(story=True)
    production = framework.profile("production").weights
    heavy = sorted(framework.variables, key=lambda v: (-production[v.id], framework.variables.index(v)))
    questions = [f"- {v.question} ({v.name})" for v in heavy[:MAX_QUESTIONS]]
    text = "\n\n".join(
        [
            "**What is likely happening**",
            f"{_pilot_line(toolbox)} Your description does not yet point clearly to one of the "
            f"{frames.count_word(len(framework.stall_reasons))} stall reasons the framework names. The "
            "answers to these questions would tell them apart.",
            "**Questions to answer first**",
            "\n".join(questions),
            frames.ASSESS_NEXT,
        ]
    )
    return Draft(text, follow_ups=["Start the self-assessment", "What are the five stall reasons?"])


def _no_trouble(framework: Framework) -> Draft:
    """Nothing in the message says the rollout is stuck: no stall reason, and what to watch as it grows."""
    names = frames.join_words([r.name for r in framework.stall_reasons])
    text = "\n\n".join(
        [
            "**No stall to diagnose**",
            "Nothing in what you wrote says the rollout is stuck or struggling, so Keysmith names no stall "
            "reason.",
            f"As a rollout grows, these are the {frames.count_word(len(framework.stall_reasons))} reasons "
            f"the framework sees rollouts stall for, worth watching: {names}.",
            "If something is in fact holding it back, describe what, in your own words, and Keysmith will "
            "read it again.",
        ]
    )
    return Draft(text, follow_ups=["What are the five stall reasons?", "Start the self-assessment"])
