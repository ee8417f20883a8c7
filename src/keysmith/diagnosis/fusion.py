"""Fusing the two story readers, and deciding which stall reasons to name (standard library only).

The cue reader (`diagnosis.story`) gives each stall reason a strength from phrases with context rules; the
learned reader (`keysmith.reader`, outside the pure core) gives each a probability from the bundled MiniLM
embeddings of the user's clauses, and the clause that scored highest. Both arrive here as plain numbers:
`fuse` mixes them, `decide` names the reasons worth naming and says whether the reading is unsure (no reason
clearly ahead, or two close), which is when Keysmith interviews.

`FusionPolicy`'s defaults are calibrated on development stories only (`python -m keysmith.reader.calibrate`,
which writes `reader/calibration.json`; the reader passes the calibrated policy in). The numbers here are
the fallback when no learned reading is given: the cue reader alone, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from keysmith.diagnosis.findings import StallReasonFinding


@dataclass(frozen=True)
class LearnedSignal:
    """The learned reader's probability (0..1) for one stall reason, and the user's clause behind it."""

    probability: float
    clause: str


@dataclass(frozen=True)
class FusionPolicy:
    """How the two readers are mixed and when a reason is named.

    fused = learned_weight * probability + (1 - learned_weight) * cue strength. The top reason is named at
    `name_at` or above; a further one at `second_at` and `relative` of the top's fused strength. The reading
    is unsure when the top is below `sure_at`, another reason is within `margin` of it, a reason strong
    enough to name alone (`name_at`) fell short of the bar for a second one, or a second reason was named
    below `confirm_second_below`: each is plausible, not settled.
    A text whose learned probabilities all stay below `story_floor` and whose cues are off topic is no story.
    """

    # Cue reader alone: any signal names the top reason, a second one needs 0.4 of its strength.
    learned_weight: float = 0.0
    name_at: float = 0.01
    second_at: float = 0.01
    relative: float = 0.4
    sure_at: float = 0.5
    margin: float = 0.1
    story_floor: float = 0.5
    max_named: int = 2
    # The interview opens only when the top reason has at least this fused strength: a text with no real
    # signal (a printer complaint that mentions a pilot) is not questioned about its stall.
    interview_floor: float = 0.15
    # A second reason named below this strength is plausible, not settled: the reading is unsure, so the
    # interview confirms or drops it (0 = never). Chosen with the simulated interview on the development
    # sets (2026-12-03): at 0.5 precision after the interview 0.958 -> 0.975, recall unchanged, +0.03
    # questions per story.
    confirm_second_below: float = 0.0


@dataclass(frozen=True)
class LearnedReading:
    """Per stall reason id, the learned reader's signal; `policy` is the calibrated policy to apply."""

    signals: Mapping[str, LearnedSignal]
    policy: FusionPolicy = field(default_factory=FusionPolicy)

    def top_probability(self) -> float:
        return max((s.probability for s in self.signals.values()), default=0.0)


@dataclass(frozen=True)
class Decision:
    """The reasons to name (ids, strongest first), whether the reading is unsure, and the candidates an
    interview would separate (ids of reasons still in play, strongest first)."""

    named: tuple[str, ...]
    unsure: bool
    candidates: tuple[str, ...]


def fuse(
    cue_findings: Sequence[StallReasonFinding],
    learned: LearnedReading | None,
    reason_ids: Sequence[str],
    reason_names: Mapping[str, str],
) -> tuple[StallReasonFinding, ...]:
    """One finding per reason with any signal, strongest first (ties keep the framework's order).

    Without a learned reading the cue findings come back unchanged. With one, the strength is the policy's
    mix, and the learned clause joins the evidence when the learned reader supports the reason.
    """
    if learned is None:
        return tuple(cue_findings)
    weight = learned.policy.learned_weight
    cues = {f.id: f for f in cue_findings}
    fused: list[tuple[float, int, StallReasonFinding]] = []
    for order, rid in enumerate(reason_ids):
        cue = cues.get(rid)
        signal = learned.signals.get(rid)
        probability = signal.probability if signal else 0.0
        strength = weight * probability + (1 - weight) * (cue.strength if cue else 0.0)
        if strength <= 0:
            continue
        clauses = list(cue.clauses) if cue else []
        if signal and probability >= learned.policy.second_at and signal.clause not in clauses:
            clauses.insert(0, signal.clause)
        base = cue or StallReasonFinding(rid, reason_names[rid], 0.0, ())
        learned_words = (f'the story says "{signal.clause}" (learned reader)',) if signal else ()
        evidence = base.evidence or learned_words
        finding = replace(base, strength=strength, clauses=tuple(clauses), evidence=evidence)
        fused.append((strength, order, finding))
    fused.sort(key=lambda item: (-round(item[0], 9), item[1]))
    return tuple(f for _, _, f in fused)


def decide(findings: Sequence[StallReasonFinding], policy: FusionPolicy) -> Decision:
    """Which reasons to name and whether to interview (see `FusionPolicy`)."""
    ranked = [f for f in findings if f.strength > 0]
    # Below the interview floor a reading is too faint to name anything or to ask about: no clear reason.
    if not ranked or ranked[0].strength < max(policy.name_at, policy.interview_floor):
        candidates = tuple(f.id for f in ranked[:3])
        return Decision((), bool(ranked), candidates)
    top = ranked[0]
    floor = max(policy.second_at, top.strength * policy.relative)
    named = [top, *[f for f in ranked[1:] if f.strength >= floor]][: policy.max_named]
    near = [f for f in ranked[1:] if top.strength - f.strength <= policy.margin]
    # Plausible but not named: strong enough to name on its own, yet below the bar for a second reason.
    open_ = [f for f in ranked[1:] if f not in named and f.strength >= policy.name_at]
    faint_second = any(f.strength < policy.confirm_second_below for f in named[1:])
    unsure = top.strength < policy.sure_at or bool(near) or bool(open_) or faint_second
    candidates = tuple(dict.fromkeys([f.id for f in named] + [f.id for f in near + open_]))[:3]
    return Decision(tuple(f.id for f in named), unsure, candidates)
