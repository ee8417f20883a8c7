"""Evals with a model (issue 15, item 6): answers are kept as they are given, an interrupted run
resumes without asking again, `--limit` asks a stratified, deterministic sample, and each suite reports the
model's own tool-call rate and the share of grounded answers. The model is the scripted OpenAI server or a
fake passed in.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from openai_server import ScriptedOpenAIServer, Text, ToolCalls

from evals import robustness as rb
from evals import run as runner
from evals.answer_log import AnswerLog, dataset_hash
from evals.asking import collect_turns, questions
from evals.turns import AskFn, Reply
from keysmith.answer import Answer
from keysmith.config import Settings
from keysmith.framework import Framework
from keysmith.guards import KnownNames
from keysmith.retrieval import Retriever

CASES = [
    {"id": "x1", "kind": "off_topic", "expect": "abstain", "question": "Best pizza in Rome?"},
    {"id": "x2", "kind": "off_topic", "expect": "abstain", "question": "Who won the 2018 World Cup?"},
    {"id": "x3", "kind": "off_topic", "expect": "abstain", "question": "A recipe for sourdough bread?"},
    {"id": "c1", "kind": "control", "expect": "answer", "question": "What is the Zoom Level Problem?"},
]
OUTSIDE = "That is outside what Keysmith covers."


def _datasets(tmp_path: Path, cases: list[dict[str, Any]]) -> Path:
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    (datasets / "abstention.yaml").write_text(yaml.safe_dump({"cases": cases}), encoding="utf-8")
    return datasets


def _lines(path: Path) -> list[dict[str, Any]]:
    """The complete records of an answer log (a line an interruption cut off is left out)."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return found


def test_an_interrupted_run_resumes_without_asking_answered_cases_again(
    indexed_settings: Settings,
    framework: Framework,
    retriever: Retriever,
    openai_server: ScriptedOpenAIServer,
    tmp_path: Path,
) -> None:
    datasets = _datasets(tmp_path, CASES)
    answers = tmp_path / "run" / "answers"
    spec = f"openai-compatible:fake-model@{openai_server.base_url}"
    chosen = questions(datasets, runner._ASKED, ("abstention",))
    openai_server.reply(Text(OUTSIDE), Text(OUTSIDE))
    model_ask = runner.make_ask(indexed_settings, framework, retriever, spec)
    asked: list[str] = []

    def interrupted(question: str) -> Answer | Reply:
        if len(asked) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third case is being asked
        asked.append(question)
        return model_ask(question)

    def make() -> AskFn:
        return interrupted

    log = AnswerLog(answers, spec)
    with pytest.raises(KeyboardInterrupt):
        collect_turns(datasets, chosen, make, framework, retriever, log)
    kept = _lines(answers / "abstention.jsonl")
    assert [line["case_id"] for line in kept] == ["x1", "x2"]
    assert {line["model"] for line in kept} == {spec}
    assert {line["dataset_hash"] for line in kept} == {dataset_hash(datasets / "abstention.yaml")}
    with (answers / "abstention.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"model": "cut off mid-li')  # a line the interruption cut: its case is asked again
    assert (
        AnswerLog(answers, "openai-compatible:another@http://127.0.0.1:1/v1").kept(
            "abstention", dataset_hash(datasets / "abstention.yaml")
        )
        == {}
    ), "another model's answers are never reused"

    before = len(openai_server.chat_requests())
    openai_server.reply(
        Text(OUTSIDE),
        ToolCalls([("search_framework", {"query": "Zoom Level Problem"})]),
        Text("The Zoom Level Problem: the pilot never looked past one team [1]."),
    )
    run = runner.run_evals(
        indexed_settings, ("abstention",), model_spec=spec, datasets=datasets, answers_dir=answers
    )
    # Only x3 and c1 were asked: one request for x3, two (a tool round, then the answer) for c1.
    assert len(openai_server.chat_requests()) - before == 3
    assert [line["case_id"] for line in _lines(answers / "abstention.jsonl")] == ["x1", "x2", "x3", "c1"]
    abstention = run.summary["suites"]["abstention"]
    assert (abstention["cases"], abstention["controls"], abstention["accuracy"]) == (3, 1, 1.0)
    # The model called a tool itself for c1 only (the grounding search before each turn is Keysmith's).
    assert abstention["tool_call_rate"] == 0.25
    assert abstention["grounded_share"] == 0.25  # c1 cites its passage; the three refusals cite nothing
    assert abstention["grounded_or_abstained_share"] == 1.0
    robustness = run.summary["robustness"]
    assert (robustness["answers"], robustness["errors"], robustness["empty_answers"]) == (4, 0, 0)
    assert robustness["grounding"]["cited"] == 1 and robustness["grounding"]["abstained"] == 3

    again = runner.run_evals(  # everything kept: nothing is asked, the same grades come back
        indexed_settings, ("abstention",), model_spec=spec, datasets=datasets, answers_dir=answers
    )
    assert len(openai_server.chat_requests()) - before == 3
    assert again.summary["suites"]["abstention"] == abstention


def test_limit_takes_a_stratified_deterministic_sample_of_each_suite() -> None:
    sample = questions(runner.DATASETS, runner._ASKED, ("abstention",), 10)
    kinds = Counter(q.label for q in sample)
    # 30 cases: 14 not held, 8 off topic, 8 controls; 10 of them keep the mix (14/3, 8/3, 8/3 each).
    assert sum(kinds.values()) == 10 and set(kinds) == {"not_held", "off_topic", "control"}
    assert kinds["not_held"] == 5 and {kinds["off_topic"], kinds["control"]} == {2, 3}
    file_order = questions(runner.DATASETS, runner._ASKED, ("abstention",))
    assert [q.case_id for q in sample] != [q.case_id for q in file_order[:10]]  # not just the first ten
    assert questions(runner.DATASETS, runner._ASKED, ("abstention",), 10) == sample

    every_story = questions(runner.DATASETS, runner._ASKED, ("scenarios",))
    stories = questions(runner.DATASETS, runner._ASKED, ("scenarios",), 12)
    assert len(every_story) > 12 and len(stories) == 12
    assert {q.label for q in stories} == {q.label for q in every_story}  # every first reason is asked

    mixed = questions(runner.DATASETS, runner._ASKED, ("numbers",), 40)
    assert len(mixed) == 40 and len({q.dataset for q in mixed}) == len(runner._ASKED)
    with pytest.raises(ValueError, match="--limit must be at least 1, not 0"):
        questions(runner.DATASETS, runner._ASKED, ("abstention",), 0)


def test_limit_grades_only_the_sampled_cases(indexed_settings: Settings, tmp_path: Path) -> None:
    run = runner.run_evals(indexed_settings, ("abstention",), model_spec="offline", limit=6)
    abstention = run.summary["suites"]["abstention"]
    assert abstention["cases"] + abstention["controls"] == 6
    assert {case["kind"] for case in run.cases["abstention"]} == {"not_held", "off_topic", "control"}
    assert abstention["tool_call_rate"] is None  # offline: no model to call tools
    assert run.summary["limit"] == 6 and run.summary["robustness"]["answers"] == 6


def test_an_exception_in_a_turn_is_counted_and_the_run_goes_on(
    framework: Framework, retriever: Retriever, tmp_path: Path
) -> None:
    datasets = _datasets(tmp_path, CASES[:2])
    chosen = questions(datasets, runner._ASKED, ("abstention",))

    def ask(question: str) -> Answer:
        if "pizza" in question:
            raise RuntimeError("the stream broke in a way nobody handled")
        return Answer(answer=OUTSIDE, mode="openai-compatible:m@http://127.0.0.1:1/v1")

    log = AnswerLog(tmp_path / "answers", "m")
    turns = collect_turns(datasets, chosen, lambda: ask, framework, retriever, log)
    counts = rb.robustness(list(turns.values()), KnownNames.from_framework(framework), budget=60.0)
    assert (counts["answers"], counts["errors"], counts["error_cases"]) == (2, 1, ["x1"])
    assert counts["empty_answers"] == 0  # an error is counted as an error, not also as an empty answer
    kept = _lines(tmp_path / "answers" / "abstention.jsonl")
    assert "RuntimeError: the stream broke" in kept[0]["error"] and kept[1]["error"] is None
