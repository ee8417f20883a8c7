"""Calibrate the fusion policy on development data only: `python -m keysmith.reader.calibrate`.

Development data = the story sets `scenarios`, `scenarios_dev2` ... `scenarios_dev6` with their controls,
and the controls in `controls_dev.yaml` (evals/datasets/). The blind sets are never read here. Each story is
read once by both readers; then every policy on a small grid is scored by micro F1 of the named reasons
against the labels (also_acceptable names cost nothing), with any named reason on a control costing as much
as a wrong one on a story. A policy qualifies only if no development set's recall or precision falls more
than `SET_TOLERANCE` below what the current policy gives it (a gain on the pooled sets must not be bought
by one set: the story suites are guarded one by one in CI). The best qualifying policy goes to
`reader/calibration.json` with its development numbers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from keysmith.diagnosis import read_story
from keysmith.diagnosis.fusion import FusionPolicy, LearnedReading, decide, fuse
from keysmith.framework import Framework, load_framework
from keysmith.reader import CALIBRATION_PATH, LearnedReader, load_policy
from keysmith.reader.model import load_weights
from keysmith.reader.train import DATASETS_DIR

DEV_STORY_SETS = tuple(["scenarios", *(f"scenarios_dev{n}" for n in range(2, 7))])
DEV_CONTROLS = "controls_dev"
GRID: dict[str, Sequence[float]] = {
    # Not below 0.5: every development set had cue phrases added from its own stories (cf880cb), so these sets
    # over-reward the cue reader; the learned reader never saw them (decontaminated training corpus).
    # The grid was narrowed to the region the first, wider grid chose (name_at 0.3, second_at 0.5,
    # relative 0.4) so that a run over six development sets takes minutes on two cores.
    "learned_weight": (0.5, 0.6, 0.7),
    "name_at": (0.2, 0.25, 0.3, 0.35),
    "second_at": (0.35, 0.4, 0.45, 0.5, 0.55),
    "relative": (0.4, 0.5, 0.6),
    "story_floor": (0.5, 0.6, 0.7),
    "interview_floor": (0.25, 0.35),
}
# Recall and precision count alike (beta 1): measured on the development sets, beta 1.5 bought recall 0.92
# at precision 0.76, and the interview is what recovers the reasons a cautious first reading leaves open.
BETA = 1.0
# sure_at and margin are not on the grid: they decide when to interview, and were chosen with the simulated
# interview (`keysmith eval interview`) on the development sets.
INTERVIEW_NOTE = (
    "sure_at 0.6 and margin 0.2 chosen with the simulated interview on the development sets "
    "(keysmith eval interview); interview floor and question choice re-checked on 2026-12-03 over six "
    "development sets: after at most three questions, 1.4 on average; confirm_second_below 0.5 chosen the "
    "same way after the retrain of 2026-12-03 (precision after the interview 0.958 -> 0.975, recall equal)"
)
CONTROL_COST = 0.02  # per control named or questioned: enough to break ties toward leaving controls alone
SET_TOLERANCE = 0.02  # the CI guard's tolerance for each story suite (tests/test_evals_baseline.py)


@dataclass(frozen=True)
class Case:
    suite: str
    expected: frozenset[str]
    acceptable: frozenset[str]
    cue_on_topic: bool
    cue_findings: tuple[Any, ...]
    learned: LearnedReading


def load_cases(framework: Framework, reader: LearnedReader, datasets: Path = DATASETS_DIR) -> list[Case]:
    """Every development story and control, read once by both readers."""
    cases: list[Case] = []
    items: list[tuple[str, str, list[str], list[str]]] = []
    for name in DEV_STORY_SETS:
        data = yaml.safe_load((datasets / f"{name}.yaml").read_text(encoding="utf-8"))
        stories = data["scenarios"]
        items += [(name, s["story"], s["stall_reasons"], s.get("also_acceptable") or []) for s in stories]
        items += [(name, c["story"], [], []) for c in data.get("controls") or []]
    controls = yaml.safe_load((datasets / f"{DEV_CONTROLS}.yaml").read_text(encoding="utf-8"))
    items += [(DEV_CONTROLS, c["story"], [], []) for c in controls["controls"]]
    for suite, story, expected, acceptable in items:
        cue = read_story(story, framework)
        cases.append(
            Case(
                suite,
                frozenset(expected),
                frozenset(acceptable),
                cue.on_topic,
                cue.stall_reasons,
                reader.read(story),
            )
        )
    return cases


def named(case: Case, policy: FusionPolicy, framework: Framework) -> tuple[str, ...]:
    """What `read_story` would name for the case under `policy` (the same fuse and decide); a reading
    that would open the interview adds "interview"."""
    learned = replace(case.learned, policy=policy)
    if not (case.cue_on_topic or learned.top_probability() >= policy.story_floor):
        return ()
    ids = [r.id for r in framework.stall_reasons]
    fused = fuse(case.cue_findings, learned, ids, {r.id: r.name for r in framework.stall_reasons})
    decision = decide(fused, policy)
    questioned = decision.unsure and bool(fused) and fused[0].strength >= policy.interview_floor
    return (*decision.named, *(("interview",) if questioned else ()))


def score(
    cases: Sequence[Case], policy: FusionPolicy, framework: Framework, beta: float = BETA
) -> dict[str, float]:
    hits = wrong = missed = 0
    controls_named = 0
    for case in cases:
        names = set(named(case, policy, framework))
        if not case.expected:
            controls_named += bool(names)
            wrong += len(names)
            continue
        names.discard("interview")
        hits += len(names & case.expected)
        wrong += len(names - case.expected - case.acceptable)
        missed += len(case.expected - names)
    recall = hits / max(hits + missed, 1)
    precision = hits / max(hits + wrong, 1)
    f1 = 2 * recall * precision / max(recall + precision, 1e-9)
    f_beta = (1 + beta**2) * recall * precision / max(beta**2 * precision + recall, 1e-9)
    return {
        "recall": recall,
        "precision": precision,
        "f1": f1,
        "f_beta": f_beta,
        "controls_named": controls_named,
    }


def per_set(
    cases: Sequence[Case], policy: FusionPolicy, framework: Framework
) -> dict[str, tuple[float, float]]:
    """(recall, precision) of the named reasons per development story set (controls count as wrong names)."""
    suites = dict.fromkeys(case.suite for case in cases if case.expected)
    return {
        suite: (
            (result := score([c for c in cases if c.suite == suite], policy, framework))["recall"],
            result["precision"],
        )
        for suite in suites
    }


def keeps_every_set(numbers: dict[str, tuple[float, float]], floors: dict[str, tuple[float, float]]) -> bool:
    """Whether no set's recall or precision is more than SET_TOLERANCE below its floor."""
    margin = SET_TOLERANCE + 1e-12
    return all(numbers[suite][i] >= floor[i] - margin for suite, floor in floors.items() for i in (0, 1))


def calibrate(
    cases: Sequence[Case],
    framework: Framework,
    base: FusionPolicy,
    beta: float = BETA,
    grid: dict[str, Sequence[float]] = GRID,
) -> tuple[FusionPolicy, dict[str, float]]:
    """The grid policy with the best recall-weighted F (BETA) less CONTROL_COST per control named or
    questioned (ties: the earlier grid point), among those that keep every development set's recall and
    precision within SET_TOLERANCE of `base`'s. A grid on which no policy qualifies raises ValueError
    (one holding `base` never does: `base` keeps every set where it is)."""
    floors = per_set(cases, base, framework)
    best: tuple[float, FusionPolicy, dict[str, float]] | None = None
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        policy = replace(base, **dict(zip(keys, values, strict=True)))  # type: ignore[arg-type]
        if not keeps_every_set(per_set(cases, policy, framework), floors):
            continue
        result = score(cases, policy, framework, beta)
        key = result["f_beta"] - CONTROL_COST * result["controls_named"]
        if best is None or key > best[0] + 1e-12:
            best = (key, policy, result)
    if best is None:
        raise ValueError("calibrate: no policy on the grid keeps every development set within tolerance")
    return best[1], best[2]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m keysmith.reader.calibrate", description=__doc__)
    parser.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    parser.add_argument(
        "--beta", type=float, default=BETA, help=f"weight of recall against precision (default {BETA})"
    )
    args = parser.parse_args(argv)
    if not 0 < args.beta <= 10:
        parser.error(f"--beta: expected a number above 0 and at most 10, got {args.beta!r}")
    framework = load_framework(DATASETS_DIR.parents[1] / "knowledge" / "framework")
    base = load_policy() if CALIBRATION_PATH.is_file() else FusionPolicy(sure_at=0.6, margin=0.15)
    reader = LearnedReader(load_weights(), base)
    cases = load_cases(framework, reader)
    policy, result = calibrate(cases, framework, base, args.beta)
    report = {
        "policy": asdict(policy),
        "development": {**result, "stories_and_controls": len(cases), "beta": args.beta},
        "interview": INTERVIEW_NOTE,
    }
    args.out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(report["development"]), "->", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
