"""The eval suites: each reads its dataset, runs Keysmith, grades with `evals.evaluators`.

A `SuiteResult`'s `metrics` are what `summary.json` reports for the suite; `cases` are per-case records (with
the reason a case failed) for `cases.json`. The answer suites (the development story sets scenarios,
scenarios_dev2 and scenarios_dev3, the blind story sets blind_a and blind_b, abstention, numbers, citations)
grade the `Turn`s the runner collected once, so asking each question once serves them all; `scenario_suite`
grades every story set alike. A blind set's records hold no story text and no diagnostics beyond what the
answer named (see `scenario_suite`), and its controls are graded beside its stories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals import evaluators as ev
from evals.turns import Turn
from keysmith.framework import Framework
from keysmith.retrieval import Retriever

SEARCH_DEPTH = 10  # MRR looks this deep; recall@3 uses the top 3 of the same ranking


@dataclass
class SuiteResult:
    """A suite's metrics (summary.json) and its per-case records (cases.json)."""

    metrics: dict[str, Any]
    cases: list[dict[str, Any]] = field(default_factory=list)


def load_cases(datasets: Path, name: str, key: str, required: bool = True) -> list[dict[str, Any]]:
    """The list under `key` in `<datasets>/<name>.yaml`; raises ValueError naming the file otherwise.

    With `required` False a missing `key` gives an empty list (a malformed value is still refused).
    """
    path = datasets / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get(key) if isinstance(data, dict) else None
    if items is None and not required and isinstance(data, dict):
        return []
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list under {key!r}")
    return items


def retrieval_suite(datasets: Path, retriever: Retriever) -> SuiteResult:
    """recall@3 (hit@3), MRR and per-chunk recall on `retrieval.yaml`; off-topic queries must abstain."""
    cases: list[dict[str, Any]] = []
    recalls, hits, ranks = [], [], []
    for query in load_cases(datasets, "retrieval", "queries"):
        result = retriever.search(str(query["question"]), k=SEARCH_DEPTH)
        ranked = [p.id for p in result.results]
        relevant = [str(r) for r in query["relevant"]]
        recalls.append(ev.recall_at_k(ranked, relevant, 3))
        hits.append(ev.hit_at_k(ranked, relevant, 3))
        ranks.append(ev.reciprocal_rank(ranked, relevant))
        cases.append({"id": query["id"], "ok": hits[-1] == 1.0, "recall_at_3": recalls[-1],
                      "relevant": relevant, "top_3": ranked[:3], "abstained": result.abstained})  # fmt: skip
    off_topic = load_cases(datasets, "retrieval", "off_topic")
    abstained = [retriever.search(str(q["question"]), k=SEARCH_DEPTH).abstained for q in off_topic]
    for query, did in zip(off_topic, abstained, strict=True):
        cases.append({"id": query["id"], "ok": did, "expected": "abstain", "abstained": did})
    metrics = {
        # retrieval.yaml's definition: a query is recalled when any chunk that answers it is in the top 3
        # (its `relevant` lists every chunk that answers, so requiring all of them would be the wrong test).
        "recall_at_3": ev.mean(hits),
        "chunk_recall_at_3": ev.mean(recalls),
        "mrr": ev.mean(ranks),
        "off_topic_abstain_rate": ev.mean([1.0 if a else 0.0 for a in abstained]),
        "queries": len(recalls),
        "off_topic_queries": len(off_topic),
    }
    return SuiteResult(metrics, cases)


ParseFn = Callable[[str], Any]


def assessment_suite(datasets: Path, parse_answer: ParseFn) -> SuiteResult:
    """parse_accuracy: the share of free-text answers `parse_answer` reads as the dataset says."""
    cases: list[dict[str, Any]] = []
    for item in load_cases(datasets, "assessment", "answers"):
        parsed = parse_answer(str(item["text"]))
        got = (parsed.value, parsed.dont_know, parsed.understood)
        ok = ev.parse_matches(item["expected"], *got)
        read = (
            ev.NOT_UNDERSTOOD if not parsed.understood else ev.DONT_KNOW if parsed.dont_know else parsed.value
        )
        cases.append(
            {"id": item["id"], "ok": ok, "text": item["text"], "expected": item["expected"], "read": read}
        )
    accuracy = ev.mean([1.0 if c["ok"] else 0.0 for c in cases])
    return SuiteResult({"parse_accuracy": accuracy, "cases": len(cases)}, cases)


def scenario_suite(
    scenarios: Sequence[Mapping[str, Any]],
    turns: Mapping[str, Turn],
    framework: Framework,
    story_reasons: Callable[[str], list[str]] | None = None,
    *,
    controls: Sequence[Mapping[str, Any]] | None = None,
    blind: bool = False,
) -> SuiteResult:
    """Stall-reason recall/precision and archetype precision of the answers to the stories (the reasons an
    answer diagnoses, see `ev.reasons_diagnosed`: its structured `reasons`, else the names in its text).

    `story_reasons` (optional) is the deterministic story reader's ranked stall reasons, graded beside the
    answer as a diagnostic (top 2 against the expected reasons): it separates a reading miss from an
    answer that did not pass the reading on. `per_reason` counts, for each stall reason, the stories that
    expect it, those whose answer found it and those whose answer named it wrongly.

    `blind` (a blind set, see docs/evaluation.md): whoever changes the story reader reads only its counts, so
    each story's record keeps only its id, the expected reasons, the reasons named and those missed, and no
    story text. `controls` (near-domain messages that must get no diagnosis) add the metrics `controls` and
    `controls_diagnosed` (answers that name a stall reason or carry reasons, see `ev.reasons_diagnosed`);
    their records never hold the message either.
    """
    phrases = ev.stall_reason_phrases({r.id: r.name for r in framework.stall_reasons})
    archetype_names = {a.id: a.name for a in framework.archetypes}
    reasons, archetypes, readings, cases = [], [], [], []
    for case in scenarios:
        turn = turns[str(case["id"])]
        # The diagnosis is the answer's structured reasons when it carries them (offline and model answers
        # alike): a framing that lists all five reasons ("why rollouts usually stall") names none of them.
        named = ev.reasons_diagnosed(turn.answer.answer, phrases, getattr(turn.answer, "reasons", None))
        reasons.append(ev.match_sets(named, case["stall_reasons"], case.get("also_acceptable", ())))
        archetypes.append(
            ev.match_sets(ev.archetypes_named(turn.answer.answer, archetype_names), case["archetypes"])
        )
        if story_reasons is not None:
            top = story_reasons(str(case["story"]))[:2]
            readings.append(ev.match_sets(top, case["stall_reasons"], case.get("also_acceptable", ())))
        if blind:
            cases.append({"id": case["id"], "expected": list(case["stall_reasons"]), "named": sorted(named),
                          "missed": sorted(reasons[-1].missed)})  # fmt: skip
            continue
        record: dict[str, Any] = {
            "id": case["id"],
            "ok": not reasons[-1].missed and not reasons[-1].wrong and not archetypes[-1].wrong,
            "expected": list(case["stall_reasons"]),
            "named": sorted(named),
            "missed": sorted(reasons[-1].missed),
            "wrongly_named": sorted(reasons[-1].wrong),
            "archetypes_named": sorted(archetypes[-1].hits | archetypes[-1].wrong),
            "archetypes_not_fitting": sorted(archetypes[-1].wrong),
            "abstained": turn.answer.abstained,
        }
        if story_reasons is not None:
            record["story_reader_top_2"] = top
        cases.append(record)
    metrics: dict[str, Any] = {
        "stall_reason_recall": ev.micro_recall(reasons),
        "stall_reason_precision": ev.micro_precision(reasons),
        "archetype_precision": ev.micro_precision(archetypes),
        "archetype_coverage": ev.mean([1.0 if m.named_count else 0.0 for m in archetypes]),
        "abstained_on_stories": sum(1 for c in scenarios if turns[str(c["id"])].answer.abstained),
        "cases": len(scenarios),
        "per_reason": ev.per_reason(reasons, [r.id for r in framework.stall_reasons]),
    }
    if readings:
        metrics["story_reader_recall_top_2"] = ev.micro_recall(readings)
        metrics["story_reader_precision_top_2"] = ev.micro_precision(readings)
    if controls is not None:
        graded = [_control_record(case, turns[str(case["id"])], phrases) for case in controls]
        metrics["controls"] = len(graded)
        metrics["controls_diagnosed"] = sum(1 for record in graded if record["diagnosed"])
        cases += graded
    return SuiteResult(metrics, cases)


def _control_record(
    case: Mapping[str, Any], turn: Turn, phrases: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """A control's record: whether its answer diagnosed a stall reason (never the message itself)."""
    answer = turn.answer
    diagnosed = ev.reasons_diagnosed(
        answer.answer, phrases, getattr(answer, "reasons", None), getattr(answer, "question", None)
    )
    return {
        "id": case["id"],
        "control": True,
        "kind": case.get("kind"),
        "ok": not diagnosed,
        "diagnosed": bool(diagnosed),
        "named": sorted(diagnosed),
        "abstained": turn.answer.abstained,
    }


def abstention_suite(cases_in: Sequence[Mapping[str, Any]], turns: Mapping[str, Turn]) -> SuiteResult:
    """accuracy over the must-abstain cases; false_abstention_rate over the on-topic controls."""
    cases: list[dict[str, Any]] = []
    for case in cases_in:
        answer = turns[str(case["id"])].answer
        statement = ev.abstain_statement(answer.answer)
        detected = ev.is_abstention(answer.abstained, answer.answer)
        ok = detected == (case["expect"] == "abstain")
        cases.append({"id": case["id"], "kind": case["kind"], "ok": ok, "abstained_flag": answer.abstained,
                      "statement": statement, "answer": answer.answer[:300]})  # fmt: skip

    def share(kind: str | None, expect: str) -> float:
        chosen = [c for c in cases if (kind is None or c["kind"] == kind) and _expect(cases_in, c) == expect]
        return ev.mean([1.0 if c["ok"] else 0.0 for c in chosen])

    controls = [c for c in cases if _expect(cases_in, c) == "answer"]
    metrics = {
        "accuracy": share(None, "abstain"),
        "off_topic_accuracy": share("off_topic", "abstain"),
        "not_held_accuracy": share("not_held", "abstain"),
        "false_abstention_rate": 1.0 - share(None, "answer") if controls else 0.0,
        "cases": len(cases) - len(controls),
        "controls": len(controls),
    }
    return SuiteResult(metrics, cases)


def _expect(cases_in: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> str:
    return next(str(c["expect"]) for c in cases_in if c["id"] == record["id"])


def numbers_suite(turns: Sequence[Turn]) -> SuiteResult:
    """consistency: the share of numbers stated in answers that the turn's sources support."""
    stated_total, bad_total, cases = 0, 0, []
    for turn in turns:
        stated, bad = ev.unsupported_numbers(turn.answer.answer, turn.sources)
        stated_total, bad_total = stated_total + stated, bad_total + len(bad)
        if stated:
            cases.append({"id": turn.case_id, "ok": not bad, "numbers": stated, "unsupported": bad})
    consistency = 1.0 if stated_total == 0 else (stated_total - bad_total) / stated_total
    metrics = {"consistency": consistency, "numbers_stated": stated_total, "answers_with_unsupported": sum(
        1 for c in cases if not c["ok"])}  # fmt: skip
    return SuiteResult(metrics, cases)


def citations_suite(turns: Sequence[Turn], retriever: Retriever) -> SuiteResult:
    """validity: the share of markers and citations pointing to a passage of the turn that is in the index."""
    known: dict[str, bool] = {}
    checked_total, bad_total, cases = 0, 0, []
    for turn in turns:
        for citation in turn.answer.citations:
            if citation.id not in known:
                known[citation.id] = retriever.get(citation.id) is not None
        checked, problems = ev.citation_problems(
            turn.answer.answer, turn.citations(), known, set(turn.passages.values())
        )
        checked_total, bad_total = checked_total + checked, bad_total + len(problems)
        markers = len(ev.citation_markers(turn.answer.answer))
        cases.append({"id": turn.case_id, "ok": not problems, "markers": markers, "problems": problems})
    answered = [c for c, t in zip(cases, turns, strict=True) if not t.answer.abstained]
    metrics = {
        "validity": 1.0 if checked_total == 0 else (checked_total - bad_total) / checked_total,
        "items_checked": checked_total,
        "answers_citing": ev.mean([1.0 if c["markers"] else 0.0 for c in answered]),
    }
    return SuiteResult(metrics, [c for c in cases if c["markers"] or not c["ok"]])
