"""Which questions an eval run asks, and asking them so that an interrupted run resumes.

`questions(datasets, asked, chosen, limit)`: every question of the datasets the chosen answer suites grade,
each with its label (see `evals.sample`), and with `limit` a stratified sample of them: each chosen suite with
its own dataset (abstention, a story set) takes up to `limit` of its questions, stratified by its label;
`numbers` and `citations`, which grade every answer, take up to `limit` of all the datasets' questions: each
dataset its proportional share (at least one while `limit` allows), stratified by label. The run asks the
union. A case id used twice is refused.

`collect_turns(...)` asks each question once. With an `AnswerLog`, an answer kept for the same model, suite
and dataset hash is reused instead of asked again (its turn rebuilt by replaying its tool calls), and each new
answer is written as soon as it is given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals import suites as s
from evals.answer_log import AnswerLog, Kept, dataset_hash
from evals.sample import Question, shares, stratified
from evals.turns import AskFn, Reply, Turn, ask_once, build_turn
from keysmith.framework import Framework
from keysmith.retrieval import Retriever

# suite -> (dataset file, ((list key, question field, required), ...)), as evals.run declares it
Asked = Mapping[str, tuple[str, tuple[tuple[str, str, bool], ...]]]
ALL_ANSWERS = frozenset({"numbers", "citations"})  # these grade every answer asked
Progress = Callable[[str], None]


def label(key: str, case: Mapping[str, Any]) -> str:
    """The case's stratum: a control's `control`, an abstention case's kind, a story's first reason."""
    if key == "controls":
        return "control"
    if "kind" in case and key == "cases":
        return str(case["kind"])
    reasons = case.get("stall_reasons") or []
    return str(reasons[0]) if reasons else "none"


def _suite_questions(datasets: Path, asked: Asked, suite: str) -> list[Question]:
    name, lists = asked[suite]
    found: list[Question] = []
    for key, field_name, required in lists:
        for case in s.load_cases(datasets, name, key, required):
            found.append(Question(suite, str(case["id"]), str(case[field_name]), label(key, case)))
    return found


def questions(
    datasets: Path, asked: Asked, chosen: Sequence[str], limit: int | None = None
) -> list[Question]:
    """The questions the run asks (see the module docstring), grouped by suite in `asked` order."""
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be at least 1, not {limit}")
    needed = set(asked) if ALL_ANSWERS & set(chosen) else set(chosen) & set(asked)
    pools = {suite: _suite_questions(datasets, asked, suite) for suite in asked if suite in needed}
    every = [q for pool in pools.values() for q in pool]
    repeated = sorted(cid for cid, count in Counter(q.case_id for q in every).items() if count > 1)
    if repeated:
        raise ValueError(f"case id {repeated[0]!r} is used by more than one question; ids must be unique")
    wanted: set[tuple[str, str]] = set()
    for suite in set(chosen) & set(pools):
        wanted |= {(q.dataset, q.case_id) for q in stratified(pools[suite], limit)}
    if ALL_ANSWERS & set(chosen):  # each dataset its share of `limit`, then stratified by label within it
        taken = shares({suite: len(pool) for suite, pool in pools.items()}, limit) if limit else {}
        for suite, pool in pools.items():
            if taken.get(suite, 1):
                wanted |= {(q.dataset, q.case_id) for q in stratified(pool, taken.get(suite))}
    return [q for q in every if (q.dataset, q.case_id) in wanted]


def collect_turns(
    datasets: Path,
    chosen_questions: Sequence[Question],
    ask: Callable[[], AskFn],
    framework: Framework,
    retriever: Retriever,
    log: AnswerLog | None = None,
    progress: Progress | None = None,
    kept_only: bool = False,
) -> dict[str, Turn]:
    """Ask each question once, reusing and writing `log` (see the module docstring); turns by case id.

    `ask` makes the ask function; it is called only when some question is not kept yet. `kept_only` asks
    nothing: only the kept answers are graded (the partial counts of an interrupted run)."""
    say = progress or (lambda _line: None)
    asking: AskFn | None = None
    turns: dict[str, Turn] = {}
    by_suite: dict[str, list[Question]] = {}
    for question in chosen_questions:
        by_suite.setdefault(question.dataset, []).append(question)
    for suite, items in by_suite.items():
        digest = dataset_hash(datasets / f"{suite}.yaml")
        kept = log.kept(suite, digest) if log is not None else {}
        reused = sum(1 for q in items if q.case_id in kept)
        if reused:
            say(f"{suite}: {reused} of {len(items)} answers kept by an earlier run; asking the rest")
        for question in items:
            old = kept.get(question.case_id)
            if old is None and kept_only:
                continue
            if old is None:
                asking = asking or ask()
                reply, seconds, error = ask_once(asking, question.text)
                old = Kept(reply.answer, seconds, reply.model_tool_calls, error)
                if log is not None:
                    log.write(suite, digest, question.case_id, old)
            reply = Reply(old.answer, old.model_tool_calls)
            turns[question.case_id] = build_turn(
                question.case_id, question.text, reply, framework, retriever, old.seconds, old.error
            )
    return turns
