"""The diagnosis interview: up to three quick questions when the reading of a story is unsure (stdlib + YAML).

`start(signals, bank)` opens an interview when the story reading is unsure (`StorySignals.unsure`): no reason
clearly ahead, or two close. Each question (from `knowledge/framework/interview.yaml`) is about one variable
and is chosen to separate the reasons still in play: the one whose weak reading would move the leading
candidates furthest apart. A reply records a 1..5 reading of that variable (or none, for "not sure") and
moves the reasons that variable supports: a weak reading up, a strong one down (`REPLY_EFFECT`). The
diagnosis after the replies is decided here, deterministically, never by a model; `decisive_replies` says
which replies decided it. The state is plain JSON (`to_dict` / `from_dict`) so a session can resume it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from keysmith.diagnosis.findings import StorySignals
from keysmith.diagnosis.fusion import FusionPolicy
from keysmith.framework.interview_bank import SKIP, InterviewError, Question

MAX_QUESTIONS = 3
# How a reply moves a reason the variable fully supports (scaled by the question's `supports` weight).
REPLY_EFFECT = {1: 0.5, 2: 0.4, 3: 0.12, 4: -0.35, 5: -0.45}
CANDIDATE_FLOOR = 0.05  # a reason this weak is not worth a question
RULED_OUT = 0.15  # below this (after replies) a candidate needs no more questions


@dataclass(frozen=True)
class Reply:
    question_id: str
    option_id: str
    variable: str
    value: int | None


@dataclass(frozen=True)
class InterviewState:
    """The story's reading (fused strength and the user's clauses per reason), the replies so far, and the
    question waiting for a reply (None when the interview is over)."""

    strengths: Mapping[str, float]
    clauses: Mapping[str, tuple[str, ...]]
    replies: tuple[Reply, ...] = ()
    pending: str | None = None
    skipped: bool = False

    @property
    def done(self) -> bool:
        return self.pending is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "strengths": dict(self.strengths),
            "clauses": {k: list(v) for k, v in self.clauses.items()},
            "replies": [vars(r) for r in self.replies],
            "pending": self.pending,
            "skipped": self.skipped,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterviewState:
        try:
            return cls(
                {str(k): float(v) for k, v in data["strengths"].items()},
                {str(k): tuple(str(c) for c in v) for k, v in data["clauses"].items()},
                tuple(Reply(**r) for r in data["replies"]),
                data.get("pending"),
                bool(data.get("skipped", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InterviewError(f"interview state: cannot resume it ({exc})") from None


@dataclass(frozen=True)
class Outcome:
    """The diagnosis after the replies: reasons to name (strongest first), their adjusted strengths, and
    for each named reason the replies that moved it."""

    named: tuple[str, ...]
    strengths: Mapping[str, float]
    deciding: Mapping[str, tuple[Reply, ...]] = field(default_factory=dict)


def _question(bank: Sequence[Question], question_id: str) -> Question:
    for question in bank:
        if question.id == question_id:
            return question
    raise InterviewError(f"interview state: unknown question {question_id!r}")


def adjusted(state: InterviewState, bank: Sequence[Question]) -> dict[str, float]:
    """The reading's strengths moved by every reply so far (clamped to 0..1)."""
    strengths = dict(state.strengths)
    for reply in state.replies:
        if reply.value is None:
            continue
        for rid, weight in _question(bank, reply.question_id).supports.items():
            effect = REPLY_EFFECT[reply.value]
            if effect < 0:
                # One weak side is enough to signal a reason, but clearing it takes every side: a good answer
                # about incoming data does not clear a mismatch on the output side (two main questions).
                effect /= max(1, _main_questions(bank, rid))
            strengths[rid] = min(1.0, max(0.0, strengths.get(rid, 0.0) + weight * effect))
    return strengths


def _main_questions(bank: Sequence[Question], reason: str) -> int:
    """How many questions of the bank are mainly about `reason` (support 1.0)."""
    return sum(1 for q in bank if q.supports.get(reason, 0.0) >= 1.0)


def _candidates(strengths: Mapping[str, float], order: Sequence[str]) -> list[str]:
    ranked = sorted(
        (r for r in order if strengths.get(r, 0.0) >= CANDIDATE_FLOOR), key=lambda r: -strengths[r]
    )
    return ranked[:3]


def _probed(state: InterviewState, bank: Sequence[Question], reason: str) -> bool:
    """Whether a reply already bore fully on `reason` (a question it is the main subject of)."""
    return any(_question(bank, r.question_id).supports.get(reason, 0.0) >= 1.0 for r in state.replies)


def _open(
    state: InterviewState, bank: Sequence[Question], order: Sequence[str], policy: FusionPolicy
) -> list[str]:
    """The leading candidates still undecided: not yet probed, and neither clearly in (at `sure_at`) nor
    clearly out (below `RULED_OUT`). Once the top reason is clearly in, another is worth a question only if
    it could be named beside it (`relative` of the top): probing a faint one through a shared variable
    would raise it on a reply that was really about the top reason."""
    strengths = adjusted(state, bank)
    ranked = _candidates(strengths, order)
    top = strengths[ranked[0]] if ranked else 0.0
    floor = max(RULED_OUT, policy.relative * top) if top >= policy.sure_at else RULED_OUT
    leader = max(state.strengths.values(), default=0.0)
    # A reason that was a close second in the reading itself stays open whatever the replies did to the top.
    close = {c for c in ranked if leader - state.strengths.get(c, 0.0) <= policy.margin}
    return [
        c
        for c in ranked
        if (strengths[c] >= floor or c in close)
        and RULED_OUT <= strengths[c] < policy.sure_at
        and not _probed(state, bank, c)
    ]


def next_question(
    state: InterviewState, bank: Sequence[Question], order: Sequence[str], policy: FusionPolicy
) -> Question | None:
    """The question that best separates the leading undecided candidates, or None when three questions were
    asked or every leading candidate is decided (clearly in, clearly out, or already asked about)."""
    if len(state.replies) >= MAX_QUESTIONS:
        return None
    strengths = adjusted(state, bank)
    candidates = _open(state, bank, order, policy)
    asked = {r.question_id for r in state.replies}
    best: tuple[float, int, Question] | None = None
    for index, question in enumerate(bank):
        if question.id in asked:
            continue
        weights = [question.supports.get(c, 0.0) * (1.0 + strengths.get(c, 0.0)) for c in candidates]
        if not weights or max(weights) < 0.5:
            continue  # it must be mainly about an open candidate
        # Separation: a question mainly about one open candidate and not the others moves them apart.
        spread = max(weights) - min(weights) if len(weights) > 1 else weights[0]
        score = spread + 0.1 * sum(weights)
        if best is None or score > best[0] + 1e-9:
            best = (score, index, question)
    return best[2] if best else None


def start(
    signals: StorySignals, bank: Sequence[Question], order: Sequence[str], policy: FusionPolicy
) -> InterviewState | None:
    """An interview for an unsure, on-topic reading (with its first question pending), else None."""
    if not signals.on_topic or not signals.unsure:
        return None
    if max((f.strength for f in signals.stall_reasons), default=0.0) < policy.interview_floor:
        return None
    strengths = {f.id: f.strength for f in signals.stall_reasons}
    clauses = {f.id: f.clauses for f in signals.stall_reasons if f.clauses}
    state = InterviewState(strengths, clauses)
    first = next_question(state, bank, order, policy)
    return replace(state, pending=first.id) if first else None


def answer(
    state: InterviewState,
    option_id: str,
    bank: Sequence[Question],
    order: Sequence[str],
    policy: FusionPolicy,
) -> InterviewState:
    """Record the reply to the pending question (`skip` ends the interview with the best guess)."""
    if state.pending is None:
        raise InterviewError("reply: there is no question waiting for a reply in this session")
    if option_id == SKIP:
        return replace(state, pending=None, skipped=True)
    question = _question(bank, state.pending)
    option = question.option(option_id)
    recorded = replace(
        state, replies=(*state.replies, Reply(question.id, option.id, question.variable, option.value))
    )
    following = next_question(recorded, bank, order, policy)
    return replace(recorded, pending=following.id if following else None)


def outcome(
    state: InterviewState, bank: Sequence[Question], order: Sequence[str], policy: FusionPolicy
) -> Outcome:
    """The reasons to name now: the top one at `name_at`; another at `second_at` with `relative` of the top,
    or one that a reply marked weak (a reply is direct evidence). At most `policy.max_named`."""
    strengths = adjusted(state, bank)
    ranked = sorted((r for r in order if strengths.get(r, 0.0) > 0), key=lambda r: -strengths[r])
    deciding = {
        rid: tuple(
            r
            for r in state.replies
            if r.value is not None and _question(bank, r.question_id).supports.get(rid, 0) >= 1.0
        )
        for rid in ranked
    }
    if not ranked or strengths[ranked[0]] < policy.name_at:
        return Outcome((), strengths, {})
    top = ranked[0]
    floor = max(policy.second_at, strengths[top] * policy.relative)
    more = [
        r
        for r in ranked[1:]
        if strengths[r] >= floor
        or (any(x.value is not None and x.value <= 2 for x in deciding[r]) and strengths[r] >= policy.name_at)
    ]
    named = tuple([top, *more][: policy.max_named])
    return Outcome(named, strengths, {r: deciding[r] for r in named if deciding[r]})


def recorded_answers(state: InterviewState) -> dict[str, int | None]:
    """The replies as assessment answers (variable -> 1..5): the self-assessment need not ask them again."""
    return {r.variable: r.value for r in state.replies if r.value is not None}
