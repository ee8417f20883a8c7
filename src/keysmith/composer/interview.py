"""The interview's later turns: a reply to the pending question, then the next question or the diagnosis.

The story is read again (deterministic, so the same reading), the reply is recorded by
`diagnosis.interview.answer`, and when the interview is over `diagnosis.interview.outcome` decides which
reasons to name. The answer says which replies decided it. No model takes part in these turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from keysmith.composer.frames import Draft, count_word, join_words
from keysmith.composer.story import (
    _archetypes,
    diagnosis_sections,
    interview_draft,
    question_block,
    reason_records,
)
from keysmith.diagnosis import StallReasonFinding, StorySignals, interview
from keysmith.diagnosis.fusion import FusionPolicy
from keysmith.framework import Framework
from keysmith.tools import Toolbox


def _reading(story: str, toolbox: Toolbox) -> tuple[StorySignals, FusionPolicy]:
    signals: StorySignals = toolbox.call("read_story", text=story[:8000]).data
    policy = signals.policy if isinstance(signals.policy, FusionPolicy) else FusionPolicy()
    return signals, policy


def _decided_by(outcome: interview.Outcome, framework: Framework) -> str:
    """One line per reply that moved a named reason: the question, the reply, the reading recorded."""
    lines = []
    for replies in outcome.deciding.values():
        for reply in replies:
            question = next(q for q in framework.questions if q.id == reply.question_id)
            label = next(o.label for o in question.options if o.id == reply.option_id)
            name = framework.variable(reply.variable).name.lower()
            lines.append(
                f'- You answered "{label}" to: {question.text} (recorded as {name} {reply.value} of 5)'
            )
    return "\n".join(dict.fromkeys(lines))


def _noted(state: interview.InterviewState, framework: Framework) -> str:
    """ "Noted: governance recorded as 2 of 5." for the reply just given ("not sure" records nothing)."""
    last = state.replies[-1]
    name = framework.variable(last.variable).name.lower()
    if last.value is None:
        return f"Noted: nothing recorded for {name}."
    return f"Noted: {name} recorded as {last.value} of 5."


def _record(replies: Iterable[interview.Reply], toolbox: Toolbox) -> None:
    """Record the replies this turn states a reading of ("recorded as 4 of 5") through the assessment tool,
    as the self-assessment would: each number shown is then a tool's output, as the numbers guard
    requires. Each reply once ("not sure" records nothing)."""
    for reply in dict.fromkeys(replies):
        if reply.value is not None:
            toolbox.call("record_assessment_answer", variable_id=reply.variable, value=reply.value)


def _nothing_stands_out(state: interview.InterviewState, framework: Framework) -> str:
    """The closing words when no reason stands out: which replies pointed away, which were "not sure"."""
    names = {r.variable: framework.variable(r.variable).name.lower() for r in state.replies}
    away = [names[r.variable] for r in state.replies if r.value is not None and r.value >= 4]
    open_ = [names[r.variable] for r in state.replies if r.value is None]
    lines = ["Thank you. With your replies, none of the five stall reasons stands out."]
    if away:
        lines.append(f"Your replies on {join_words(away)} point away from the reasons they were about.")
    if open_:
        # "Not sure" is no evidence either way: it leaves the question open rather than ruling a reason out.
        lines.append(f"You were not sure about {join_words(open_)}; finding that out would settle it.")
    lines.append(
        f"The guided self-assessment looks at all {count_word(len(framework.variables))} variables and would "
        "show where the rollout is weakest."
    )
    return " ".join(lines)


def reply_draft(story: str, saved: Mapping[str, Any], option_id: str, toolbox: Toolbox) -> Draft:
    """Record `option_id` (or `skip`) for the pending question of the saved interview and answer."""
    framework = toolbox.framework
    signals, policy = _reading(story, toolbox)
    order = [r.id for r in framework.stall_reasons]
    state = interview.answer(
        interview.InterviewState.from_dict(saved), option_id, framework.questions, order, policy
    )
    result = interview.outcome(state, framework.questions, order, policy)
    by_id = {f.id: f for f in signals.stall_reasons}
    reasons = [
        StallReasonFinding(
            rid,
            framework.stall_reason(rid).name,
            result.strengths[rid],
            (),
            clauses=by_id[rid].clauses if rid in by_id else (),
        )
        for rid in result.named
    ]
    if state.pending is not None:
        _record(state.replies[-1:], toolbox)  # "Noted: ... recorded as 4 of 5."
        draft = interview_draft(reasons, signals, toolbox, story, state)
        block, question = question_block(state, framework)
        noted = _noted(state, framework)
        return Draft(
            f"{noted}\n\n{block}", reasons=draft.reasons, question=question, interview=state.to_dict()
        )
    return _final_draft(story, state, result, reasons, signals, toolbox)


def _final_draft(
    story: str,
    state: interview.InterviewState,
    result: interview.Outcome,
    reasons: list[StallReasonFinding],
    signals: StorySignals,
    toolbox: Toolbox,
) -> Draft:
    """The interview's last turn: the diagnosis and the replies that decided it, or why none stands out."""
    framework = toolbox.framework
    _record((r for replies in result.deciding.values() for r in replies), toolbox)  # "What decided it"
    if not reasons:
        text = _nothing_stands_out(state, framework)
        return Draft(text, follow_ups=["Start the self-assessment"], reasons=[], interview=state.to_dict())
    sections = diagnosis_sections(reasons, signals, toolbox, story, confirm=False)
    decided = _decided_by(result, framework)
    if decided:
        sections[3:3] = ["**What decided it**", decided]
    elif state.skipped:
        sections.insert(
            3, "You skipped the remaining questions, so this is the best reading of your own words."
        )
    follow_ups = [f"What is the {framework.stall_reason(reasons[0].id).name}?", "Start the self-assessment"]
    suggested = _archetypes(signals, reasons, framework)
    if suggested:
        follow_ups.insert(1, f"What is the {suggested[0].name} archetype?")
    records = reason_records(reasons, signals, framework)
    return Draft("\n\n".join(sections), follow_ups=follow_ups, reasons=records, interview=state.to_dict())
