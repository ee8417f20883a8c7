"""The eval runner behind `keysmith eval`: index, ask, grade, write `summary.json` and `cases.json`.

`run_evals(settings, suites, model_spec)` indexes the knowledge (incremental: cheap when nothing changed),
asks Keysmith every dataset question once through the same `Assistant` the app uses (offline, or with the
model `model_spec` names), grades the answers with `evals.evaluators` and returns the summary:
`{"suites": {"retrieval": {"recall_at_3", "mrr", ...}, "abstention": {"accuracy", ...},
"scenarios": {"stall_reason_recall", "stall_reason_precision", "archetype_precision", "per_reason", ...},
"scenarios_dev2": {the same metrics}, "scenarios_dev3": {the same}, "blind_a": {the same plus "controls",
"controls_diagnosed"}, "blind_b": {the same}, "assessment": {"parse_accuracy"}, "numbers": {"consistency"},
"citations": {"validity"}}, "mode", "formula_version", ...}`.

The story sets (docs/evaluation.md is the protocol): `DEV_SUITES` (`scenarios`,
`scenarios_dev2` ... `scenarios_dev6`) are development data, free to tune the story reader on; `BLIND_SUITES`
(`blind_d` ... `blind_h`) were written blind and measure it honestly. A blind set's dataset also holds
`controls`, near-domain messages that must get no diagnosis, and its cases.json records hold ids and reason
ids only, never a story: whoever changes the reader reads its per-reason counts, not its failed stories.
Each set is evals/datasets/<suite>.yaml; a new set is one file and one entry here. `numbers` and
`citations` grade every answer asked.

With a model (issue 15): `limit` asks a stratified sample (evals/sample.py, evals/asking.py); `answers_dir`
keeps every answer as it is given (evals/answer_log.py), so the same run started again resumes where it
stopped; each answer suite reports `tool_call_rate` and `grounded_share`, and `summary["robustness"]`
counts errors, empty answers, invented names shown and turns over the budget (evals/robustness.py).
`regressions(summary, baseline)` is the CI guard's comparison; `new_suites` names the
guarded suites the baseline does not hold yet (reported, not failed).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import robustness as rb
from evals import suites as s
from evals.answer_log import AnswerLog
from evals.asking import collect_turns, questions
from evals.turns import AskFn, Turn, ask_counting
from keysmith.config import Settings
from keysmith.framework import Framework, load_framework
from keysmith.guards import KnownNames
from keysmith.ingest import index_knowledge
from keysmith.retrieval import Retriever, open_retriever

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "evals" / "datasets"
RESULTS = ROOT / "evals" / "results"
BASELINE = RESULTS / "baseline" / "summary.json"
# Story sets, each graded like `scenarios` and reported as its own suite; the dataset file is
# evals/datasets/<suite>.yaml (a list under `scenarios`, the same schema as scenarios.yaml). Development sets
# may be used to tune the story reader; blind sets may not (docs/evaluation.md). A set's file may also list
# `controls`: near-domain messages that must get no diagnosis (every blind set has them).
DEV_SUITES: tuple[str, ...] = (
    "scenarios", "scenarios_dev2", "scenarios_dev3", "scenarios_dev4", "scenarios_dev5", "scenarios_dev6"
)  # fmt: skip
BLIND_SUITES: tuple[str, ...] = ("blind_d", "blind_e", "blind_f", "blind_g", "blind_h")
STORY_SUITES = (*DEV_SUITES, *BLIND_SUITES)
SUITES = (
    "retrieval",
    "abstention",
    *STORY_SUITES,
    "assessment",
    "numbers",
    "citations",
    "interview",
    "client_docs",
)
_ANSWER_SUITES = {"abstention", *STORY_SUITES, "numbers", "citations"}
# suite -> (dataset file, ((list key, question field, required), ...)): the questions a suite asks Keysmith
_ASKED: dict[str, tuple[str, tuple[tuple[str, str, bool], ...]]] = {
    **{
        suite: (suite, (("scenarios", "story", True), ("controls", "story", False))) for suite in STORY_SUITES
    },
    "abstention": ("abstention", (("cases", "question", True),)),
}
OFFLINE = "offline"

# (suite, metric, target, higher_is_better): a floor when higher is better, else a ceiling. Targets are
# reported by `format_table` (ok / MISS), never failed on; the CI guard compares with the baseline (GUARDED).
TARGETS: tuple[tuple[str, str, float, bool], ...] = (
    ("retrieval", "recall_at_3", 0.9, True),
    ("abstention", "accuracy", 0.9, True),
    *((suite, "stall_reason_recall", 0.8, True) for suite in DEV_SUITES),
    *(
        target
        for suite in BLIND_SUITES
        for target in (
            (suite, "stall_reason_recall", 0.85, True),
            (suite, "stall_reason_precision", 0.8, True),
            (suite, "controls_diagnosed", 0, False),
        )
    ),
    ("assessment", "parse_accuracy", 0.9, True),
    ("numbers", "consistency", 1.0, True),
    ("citations", "validity", 1.0, True),
    ("client_docs", "passage_cited", 0.9, True),  # issue 12: the answering client passage is cited
    ("client_docs", "reason_named", 0.85, True),  # and the stall reason that passage supports is named
)
# (suite, metric, higher_is_better): what the CI guard compares with the committed baseline.
GUARDED: tuple[tuple[str, str, bool], ...] = (
    ("retrieval", "recall_at_3", True),
    ("retrieval", "mrr", True),
    ("abstention", "accuracy", True),
    ("abstention", "false_abstention_rate", False),
    *(
        (suite, metric, True)
        for suite in STORY_SUITES
        for metric in ("stall_reason_recall", "stall_reason_precision", "archetype_precision")
    ),
    *((suite, "controls_diagnosed", False) for suite in STORY_SUITES),
    ("assessment", "parse_accuracy", True),
    ("numbers", "consistency", True),
    ("citations", "validity", True),
)

Progress = Callable[[str], None]


@dataclass
class EvalRun:
    """A finished run: the summary, the per-case records by suite, and where they were written."""

    summary: dict[str, Any]
    cases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    written_to: Path | None = None


def make_ask(settings: Settings, framework: Framework, retriever: Retriever, spec: str) -> AskFn:
    """The user's path to an answer: `Assistant.ask` with the model `spec` names (None model = offline)."""
    from keysmith.assistant import Assistant
    from keysmith.models import load_chat_model

    model = load_chat_model(spec, settings)
    assistant = Assistant(settings, framework, retriever, model=model, model_spec=spec)
    if model is None:
        return lambda question: assistant.ask(question)
    return ask_counting(assistant)  # streamed, to count the model's own tool calls


def _interview(
    settings: Settings, framework: Framework, retriever: Retriever, spec: str, datasets: Path
) -> s.SuiteResult:
    from evals.interview import interview_suite
    from keysmith.assistant import Assistant
    from keysmith.models import load_chat_model

    assistant = Assistant(
        settings, framework, retriever, model=load_chat_model(spec, settings), model_spec=spec
    )
    return interview_suite(datasets, STORY_SUITES, assistant, framework, BLIND_SUITES)


def _story_reasons(framework: Framework) -> Callable[[str], list[str]]:
    from keysmith.diagnosis import read_story

    return lambda story: [finding.id for finding in read_story(story, framework).stall_reasons]


def _judge(settings: Settings, spec: str, turns: list[Turn], retriever: Retriever) -> s.SuiteResult:
    from evals.judge import faithfulness_suite
    from keysmith.models import load_chat_model

    model = load_chat_model(spec, settings)
    if model is None:
        raise ValueError("--judge needs a language model; 'offline' cannot judge")
    return faithfulness_suite(turns, retriever, model, spec)


def _parse_answer() -> s.ParseFn:
    from keysmith.assessment import parse_answer

    return parse_answer


def _answer_suites(
    chosen: Sequence[str], datasets: Path, turns: dict[str, Turn], framework: Framework, retriever: Retriever
) -> dict[str, s.SuiteResult]:
    """Grade the answer suites on the cases that were asked (all, or the `--limit` sample); each also
    reports the tool-call rate and the grounded share of its answers."""
    results: dict[str, s.SuiteResult] = {}

    def asked(name: str, key: str, required: bool = True) -> list[dict[str, Any]]:
        return [c for c in s.load_cases(datasets, name, key, required) if str(c["id"]) in turns]

    for suite in STORY_SUITES:
        if suite in chosen:
            blind = suite in BLIND_SUITES
            controls = asked(suite, "controls", required=False) if blind else None
            results[suite] = s.scenario_suite(
                asked(suite, "scenarios"), turns, framework, _story_reasons(framework), controls=controls,
                blind=blind,
            )  # fmt: skip
    if "abstention" in chosen:
        results["abstention"] = s.abstention_suite(asked("abstention", "cases"), turns)
    if "numbers" in chosen:
        results["numbers"] = s.numbers_suite(list(turns.values()))
    if "citations" in chosen:
        results["citations"] = s.citations_suite(list(turns.values()), retriever)
    for name, result in results.items():
        graded = {str(c["id"]) for c in result.cases}
        own = [t for cid, t in turns.items() if name in ("numbers", "citations") or cid in graded]
        result.metrics.update(rb.suite_shares(own))
    return results


@dataclass(frozen=True)
class _Plan:
    """What one `run_evals` call asks for, as its helpers need it."""

    settings: Settings
    framework: Framework
    spec: str
    suites: Sequence[str]
    datasets: Path
    say: Progress
    limit: int | None
    answers_dir: Path | None
    kept_only: bool


def run_evals(
    settings: Settings,
    suites: Sequence[str] = SUITES,
    model_spec: str | None = None,
    datasets: Path = DATASETS,
    progress: Progress | None = None,
    judge_spec: str | None = None,
    limit: int | None = None,
    answers_dir: Path | None = None,
    kept_only: bool = False,
) -> EvalRun:
    """Run the chosen suites (see module docstring); `model_spec` None = the configured model.

    `judge_spec` adds the model-graded faithfulness check (evals/judge.py) as `summary["judge"]`, apart
    from the deterministic suites; it needs an answer suite to have run. `limit` asks a stratified sample
    of at most that many questions per suite; `answers_dir` keeps (and reuses) every answer as it is given;
    `kept_only` asks nothing and grades the answers kept there (an interrupted run's partial counts).
    """
    from keysmith.models import resolve_model_spec

    say = progress or (lambda _line: None)
    _check_request(suites, judge_spec)
    started = time.perf_counter()
    framework = load_framework(settings.framework_dir)
    spec = model_spec or resolve_model_spec(settings).spec
    plan = _Plan(settings, framework, spec, suites, datasets, say, limit, answers_dir, kept_only)
    results: dict[str, s.SuiteResult] = {}
    if "assessment" in suites:
        results["assessment"] = s.assessment_suite(datasets, _parse_answer())
    turns: dict[str, Turn] = {}
    if set(suites) - {"assessment"}:  # everything else needs the index, up to date with knowledge/
        indexed, turns = _indexed_suites(plan, judge_spec)
        results.update(indexed)
    return _finish(plan, results, turns, started)


def _check_request(suites: Sequence[str], judge_spec: str | None) -> None:
    """Raise ValueError for a suite that does not exist, or for an offline judge, before any work."""
    unknown = sorted(set(suites) - set(SUITES))
    if unknown:
        raise ValueError(f"unknown suite {unknown[0]!r}; choose from {', '.join(SUITES)}")
    if judge_spec == OFFLINE:
        raise ValueError("--judge needs a language model; 'offline' cannot judge")


def _indexed_suites(plan: _Plan, judge_spec: str | None) -> tuple[dict[str, s.SuiteResult], dict[str, Turn]]:
    """Every suite but `assessment`, after indexing the knowledge: their results in run order (retrieval,
    the answer suites, interview, client_docs, judge) and the answers asked."""
    plan.say(f"index: {index_knowledge(plan.settings).line()}")
    retriever = open_retriever(plan.settings)
    results: dict[str, s.SuiteResult] = {}
    if "retrieval" in plan.suites:
        results["retrieval"] = s.retrieval_suite(plan.datasets, retriever)
    turns: dict[str, Turn] = {}
    if _ANSWER_SUITES & set(plan.suites):
        turns = _ask(plan, retriever)
        results.update(_answer_suites(plan.suites, plan.datasets, turns, plan.framework, retriever))
    if "interview" in plan.suites:
        plan.say("interview: every story set, with a simulated respondent")
        results["interview"] = _interview(plan.settings, plan.framework, retriever, plan.spec, plan.datasets)
    if "client_docs" in plan.suites:  # a coach's questions about client documents (evals/client_docs.py)
        from evals.client_docs import client_docs_suite

        results["client_docs"] = client_docs_suite(
            plan.settings, plan.framework, retriever, plan.spec, plan.datasets
        )
    if judge_spec and turns:
        results["judge"] = _judge(plan.settings, judge_spec, list(turns.values()), retriever)
    return results, turns


def _ask(plan: _Plan, retriever: Retriever) -> dict[str, Turn]:
    """Ask Keysmith the answer suites' questions (a sample of `limit` each), kept in `answers_dir`."""
    suites, spec = plan.suites, plan.spec
    plan.say(f"asking {spec}: the questions of {', '.join(sorted(set(suites) & _ANSWER_SUITES))}")
    chosen = questions(plan.datasets, _ASKED, suites, plan.limit)
    log = AnswerLog(plan.answers_dir, spec) if plan.answers_dir is not None else None
    return collect_turns(
        plan.datasets, chosen, lambda: make_ask(plan.settings, plan.framework, retriever, spec),
        plan.framework, retriever, log, plan.say, plan.kept_only,
    )  # fmt: skip


def _finish(
    plan: _Plan, results: dict[str, s.SuiteResult], turns: dict[str, Turn], started: float
) -> EvalRun:
    """The run's summary (with the sample limit, and robustness when answers were asked) and its cases."""
    summary = _summary(results, turns, plan.spec, started)
    summary["limit"] = plan.limit
    if turns:
        names = KnownNames.from_framework(plan.framework)
        summary["robustness"] = rb.robustness(list(turns.values()), names, plan.settings.turn_budget)
    return EvalRun(summary, {name: result.cases for name, result in results.items()})


def _summary(
    results: dict[str, s.SuiteResult], turns: dict[str, Turn], spec: str, started: float
) -> dict[str, Any]:
    """summary.json: each suite's metrics in SUITES order, the judge's, and how the run went."""
    from keysmith.scoring import FORMULA_VERSION

    return {
        "suites": {name: results[name].metrics for name in SUITES if name in results},
        "judge": results["judge"].metrics if "judge" in results else None,
        "mode": OFFLINE if spec == OFFLINE else spec,
        "formula_version": FORMULA_VERSION,
        "answer_modes": dict(Counter(t.answer.mode for t in turns.values())),
        "answer_seconds_p50": round(statistics.median([t.seconds for t in turns.values()]), 4)
        if turns
        else None,
        "seconds": round(time.perf_counter() - started, 2),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def new_run_dir(results_dir: Path = RESULTS) -> Path:
    """`<results_dir>/<UTC timestamp>/`: where a run writes when no `--out` is given."""
    return results_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def write_run(run: EvalRun, out_dir: Path | None = None, results_dir: Path = RESULTS) -> Path:
    """Write `summary.json` and `cases.json` to `out_dir` (default `new_run_dir(results_dir)`)."""
    target = out_dir or new_run_dir(results_dir)
    target.mkdir(parents=True, exist_ok=True)
    for name, data in (("summary.json", run.summary), ("cases.json", run.cases)):
        (target / name).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    run.written_to = target
    return target


def regressions(summary: dict[str, Any], baseline: dict[str, Any], tolerance: float = 0.02) -> list[str]:
    """Guarded metrics worse than the baseline by more than `tolerance`, one readable line each.

    Only metrics present in both are compared, so running one suite compares that suite only, and a suite the
    baseline does not hold yet is not a regression (`new_suites` names it).
    """
    found: list[str] = []
    for suite, metric, higher_is_better in GUARDED:
        now = summary.get("suites", {}).get(suite, {}).get(metric)
        then = baseline.get("suites", {}).get(suite, {}).get(metric)
        if not isinstance(now, int | float) or not isinstance(then, int | float):
            continue
        worse = now < then - tolerance if higher_is_better else now > then + tolerance
        if worse:
            found.append(f"{suite}.{metric}: {now:.3f} vs baseline {then:.3f} (tolerance {tolerance})")
    return found


def new_suites(summary: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Suites with guarded metrics in `summary` that the baseline has none of: new since it was generated."""
    guarded = {suite for suite, _metric, _higher in GUARDED}
    ran = summary.get("suites", {})
    held = baseline.get("suites", {})
    return [suite for suite in ran if suite in guarded and not held.get(suite)]


def meets(value: float, target: float, higher_is_better: bool) -> bool:
    """Whether `value` holds a target: at least it when higher is better, at most it otherwise."""
    return value >= target if higher_is_better else value <= target


def _reason_counts(counts: dict[str, int]) -> str:
    return f"found {counts['found']}/{counts['expected']}, wrongly named {counts['wrongly_named']}"


def format_table(summary: dict[str, Any]) -> str:
    """The summary as an aligned table: suite, metric, value, target and whether it holds.

    `per_reason` is shown one row per stall reason (counts only).
    """
    targets = {(suite, metric): (target, higher) for suite, metric, target, higher in TARGETS}
    rows = [("suite", "metric", "value", "target", "")]
    for suite, metrics in summary["suites"].items():
        for metric, value in metrics.items():
            if metric == "per_reason":
                rows += [(suite, f"per_reason.{r}", _reason_counts(n), "", "") for r, n in value.items()]
                continue
            target = targets.get((suite, metric))
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            if target is None:
                rows.append((suite, metric, shown, "", ""))
                continue
            verdict = "ok" if meets(value, *target) else "MISS"
            rows.append((suite, metric, shown, f"{'>=' if target[1] else '<='} {target[0]}", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    judge = summary.get("judge")
    if judge:  # model-graded: shown, never part of the baseline
        lines.append(
            f"judge {judge['judge']}: faithfulness {judge['faithfulness']} over {judge['judged']} answers"
        )
    lines.append(f"mode: {summary['mode']}   formula: {summary['formula_version']}   {summary['seconds']} s")
    return "\n".join(lines)
