"""`keysmith eval interview`: the diagnosis interview with a simulated respondent, on every story set.

For each story Keysmith answers as a user would see it (`Assistant.ask`); while the answer asks a question,
the simulated respondent replies from the story's labels. A story labelled with the `variables` it shows as
weak answers from those: a question about one of them gets the weak reply, any other the strong one (a
respondent whose adoption stalled but whose departments planned the rollout together says so when asked).
A story without `variables` labels falls back to its reasons: a variable tied to a labelled stall reason
(`signal_variables` in stall_reasons.yaml) is weak. Until 2026-12-03 every story used the fallback, which
marks organisational readiness weak in every change-management story and so answered the zoom-level question
"No" for stories that say nothing of it.
Graded on the final answer's `reasons` (the diagnosis the interview decided), per story set: recall,
precision, per-reason counts, and the mean number of questions asked. Blind sets' records carry ids and
counts only, never story text (docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evals import evaluators as ev
from evals.suites import SuiteResult, load_cases
from keysmith.framework import Framework

MAX_TURNS = 4  # three questions at most, plus one reply too many if the interview misbehaved


def respondent_reply(
    question: Mapping[str, Any],
    expected: Sequence[str],
    framework: Framework,
    weak_variables: Sequence[str] = (),
) -> str:
    """The option a respondent picks (weak or strong reading): weak for the story's labelled
    `weak_variables`, or, without them, for every variable tied to the `expected` reasons."""
    by_reason = {v for rid in expected for v in framework.stall_reason(rid).signal_variables}
    tied = set(weak_variables) or by_reason
    options = [o for o in question["options"] if o["value"] is not None]
    weak = min(options, key=lambda o: o["value"])
    strong = max(options, key=lambda o: o["value"])
    return str(weak["id"] if question["variable"] in tied else strong["id"])


def _interviewed(
    assistant: Any, story: str, expected: Sequence[str], framework: Framework, weak: Sequence[str] = ()
) -> tuple[Any, Any, int]:
    """(first answer, final answer, questions asked) for one story."""
    first = answer = assistant.ask(story)
    asked = 0
    while answer.question is not None and asked < MAX_TURNS:
        option = respondent_reply(answer.question, expected, framework, weak)
        answer = assistant.reply(story, answer.interview or {}, option)
        asked += 1
    return first, answer, asked


def interview_suite(
    datasets: Any, suites: Sequence[str], assistant: Any, framework: Framework, blind: Sequence[str]
) -> SuiteResult:
    """Per story set: first-answer and after-interview recall/precision, per_reason, mean questions."""
    metrics: dict[str, Any] = {}
    cases: list[dict[str, Any]] = []
    for suite in suites:
        firsts, finals, questions = [], [], []
        per_reason: dict[str, dict[str, int]] = {}
        for case in load_cases(datasets, suite, "scenarios"):
            expected = list(case["stall_reasons"])
            acceptable = case.get("also_acceptable") or ()
            weak = [str(v) for v in case.get("variables") or ()]
            first, final, asked = _interviewed(assistant, str(case["story"]), expected, framework, weak)
            named_first = {r["id"] for r in first.reasons}
            named_final = {r["id"] for r in final.reasons}
            firsts.append(ev.match_sets(named_first, expected, acceptable))
            finals.append(ev.match_sets(named_final, expected, acceptable))
            questions.append(asked)
            for rid in expected:
                row = per_reason.setdefault(rid, {"expected": 0, "found": 0, "wrongly_named": 0})
                row["expected"] += 1
                row["found"] += rid in named_final
            for rid in finals[-1].wrong:
                per_reason.setdefault(rid, {"expected": 0, "found": 0, "wrongly_named": 0})[
                    "wrongly_named"
                ] += 1
            record = {
                "suite": suite,
                "id": case["id"],
                "ok": not finals[-1].missed and not finals[-1].wrong,
                "expected": expected,
                "first": sorted(named_first),
                "final": sorted(named_final),
                "questions": asked,
            }
            cases.append(record)
        metrics[suite] = {
            "first_recall": ev.micro_recall(firsts),
            "first_precision": ev.micro_precision(firsts),
            "recall": ev.micro_recall(finals),
            "precision": ev.micro_precision(finals),
            "mean_questions": sum(questions) / max(len(questions), 1),
            "interviewed": sum(1 for q in questions if q),
            "max_questions": max(questions, default=0),
            "per_reason": dict(sorted(per_reason.items())),
            "cases": len(questions),
            "blind": suite in blind,
        }
    return SuiteResult(metrics, cases)
