"""The composer's diagnosis of a stalled-rollout story: what is likely happening, how to confirm it, and
what to do next.

`read_story` finds the signals in the user's own words; the top one to three stall reasons are explained
in plain words (the framework data's summaries), each cited to its framework page and shown with the
user's words that point to it; the questions that would confirm them are the assessment questions for
their signal variables; the next moves are the matching known archetypes and bridge steps, cited.

Which reasons to name, and the user's words behind each, are `keysmith.composer.reasons`; `chosen_reasons`,
`top_reasons` and `reason_records` are re-exported from here.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from keysmith.composer import frames
from keysmith.composer.briefing import asks_for_a_briefing, briefing
from keysmith.composer.frames import Draft
from keysmith.composer.reasons import chosen_reasons, reason_lines, reason_records, top_reasons
from keysmith.diagnosis import StallReasonFinding, StorySignals, interview
from keysmith.diagnosis.story import names_a_rollout
from keysmith.diagnosis.trouble import NO_SOFTWARE, NOT_STARTED, outside_scope, reports_trouble
from keysmith.framework import Archetype, Framework
from keysmith.text.numbers import ordinal_word
from keysmith.tools import Toolbox

__all__ = [
    "BRIDGE_FOR_REASON",
    "MAX_ARCHETYPES",
    "MAX_QUESTIONS",
    "chosen_reasons",
    "diagnose_answer",
    "diagnosis_extras",
    "diagnosis_sections",
    "interview_draft",
    "question_block",
    "reason_records",
    "top_reasons",
]

MAX_QUESTIONS = 3
MAX_ARCHETYPES = 2
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

_STALL = re.compile(r"\bstall\w*", re.IGNORECASE)


def _markers(toolbox: Toolbox, query: str, kind: str | None, page_id: str) -> list[int]:
    args: dict[str, str] = {"query": query[:400]}
    if kind:
        args["kind"] = kind
    result = toolbox.call("search_framework", **args)
    markers: list[int] = result.data["markers"] if result.ok else []
    own = [m for m in markers if toolbox.passages[m].id.startswith(f"{page_id}#")]
    return own or markers


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


def _pilot_line(toolbox: Toolbox, told: bool = True) -> str:
    """What a pilot proves, opening a diagnosis. `told=False` when the message never said it is about a
    pilot and its rollout: then the opening does not claim it was (a truck that stalls, in a review)."""
    markers = _markers(toolbox, "pilot illusion: what a successful pilot proves", None, "pilot-illusion")
    lead = (
        "Your pilot worked and the rollout has stalled. A"
        if told
        else ("If this is about an AI pilot whose rollout has stalled: a")
    )
    return (
        f"{lead} pilot proves the technology under pilot conditions; it does not prove the rest of the "
        f"organisation is ready for it{frames.cite(markers[:1])}."
    )


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
        "\n".join(reason_lines(reasons, signals, toolbox, story)),
    ]
    if confirm:
        # Worded as checks, not as questions to answer here: typed answers to a list are not read (a user in
        # a browser trial answered "No" and was told it was off topic); the self-assessment records them.
        sections += [
            "**What would confirm it**",
            "Check these; the guided self-assessment asks each one and records your answer:\n"
            + "\n".join(_questions(reasons, framework)),
        ]
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
        lines = "\n".join(reason_lines(reasons, signals, toolbox, story))
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
    scope = outside_scope(question)
    if scope is not None or not reports_trouble(question):
        return _no_trouble(framework, scope)
    told = names_a_rollout(signals.topic_terms)
    if not signals.on_topic and not told:
        # No reading, and no pilot, rollout or AI named: a truck that stalls after a software update is not
        # questioned about its rollout (second browser trial).
        return frames.off_topic(story=True)
    if not signals.on_topic:
        # The cue reader saw no AI rollout; the story may still be one in words it does not know. The search
        # decides, without the word "stall": the framework is about stalls, so that word alone matches it
        # (an engine that keeps stalling was read as a rollout in a browser trial).
        query = _STALL.sub(" ", question[:400])
        found = toolbox.call("search_framework", query=query) if query.strip() else None
        if found is None or not found.ok or found.data["abstained"]:
            return frames.off_topic(story=True)
    production = framework.profile("production").weights
    heavy = sorted(framework.variables, key=lambda v: (-production[v.id], framework.variables.index(v)))
    questions = [f"- {v.question} ({v.name})" for v in heavy[:MAX_QUESTIONS]]
    text = "\n\n".join(
        [
            "**What is likely happening**",
            f"{_pilot_line(toolbox, told)} Your description does not yet point clearly to one of the "
            f"{frames.count_word(len(framework.stall_reasons))} stall reasons the framework names. The "
            "answers to these questions would tell them apart.",
            "**Questions to answer first**",
            "\n".join(questions),
            frames.ASSESS_NEXT,
        ]
    )
    return Draft(text, follow_ups=["Start the self-assessment", "What are the five stall reasons?"])


# Why there is no stall to diagnose, by what the message said (`diagnosis.trouble.outside_scope`).
_NO_STALL_BECAUSE = {
    None: "Nothing in what you wrote says the rollout is stuck or struggling, so Keysmith names no stall "
    "reason.",
    NOT_STARTED: "You say no pilot has run yet, so there is no stall to diagnose. Choosing vendors or "
    "pricing is outside what the framework covers, so Keysmith will not advise on it.",
    NO_SOFTWARE: "You say no software is involved. Keysmith reads stalls in AI rollouts after a pilot, so it "
    "names no stall reason.",
}


def _no_trouble(framework: Framework, scope: str | None = None) -> Draft:
    """No stall to diagnose (nothing reported as stuck, no pilot run yet, or no software involved): no
    stall reason, and what to watch as a rollout grows."""
    names = frames.join_words([r.name for r in framework.stall_reasons])
    text = "\n\n".join(
        [
            "**No stall to diagnose**",
            _NO_STALL_BECAUSE[scope],
            f"The framework names {frames.count_word(len(framework.stall_reasons))} reasons why rollouts "
            f"stall, and they are worth watching as yours grows: {names}.",
            "If something is in fact holding it back, describe what, in your own words, and Keysmith will "
            "read it again.",
        ]
    )
    return Draft(text, follow_ups=["What are the five stall reasons?", "Start the self-assessment"])
