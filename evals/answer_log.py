"""The resumable writer: each answer is kept as it is given, so an interrupted eval run loses nothing.

`AnswerLog(directory, model)` appends one JSON line per answered case to `<directory>/<suite>.jsonl` (the
suite whose dataset the question comes from: `abstention`, `scenarios`, `blind_a`, ...) and flushes it at
once. A line holds the model spec, the suite, the dataset's hash (the first 16 hex digits of the SHA-256 of
its YAML file), the case id, the answer as `Answer.to_dict()` gives it, the seconds the turn took, the model's
own tool calls and the traceback, if one escaped. The question is not stored (a blind set's stories stay in
their dataset file); it is read again from the dataset.

`kept(suite, dataset_hash)` returns the lines of earlier runs for the same model, suite and dataset hash, by
case id: the runner asks only the rest. A line cut off by the interruption (not valid JSON) is skipped, so
that case is asked again (the next record starts on a new line). Lines are never rewritten; when a case
appears twice the later line wins.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keysmith.answer import Answer, Citation


def dataset_hash(path: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the dataset file at `path`."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Kept:
    """An answer kept by an earlier (or this) run."""

    answer: Answer
    seconds: float
    model_tool_calls: int | None
    error: str | None


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """The `Answer` back from its `to_dict()` form; a citation's marker is its position (1-based)."""
    citations = [
        Citation(str(c["id"]), str(c["source"]), str(c["heading"]), str(c["excerpt"]), marker=n)
        for n, c in enumerate(data.get("citations") or [], start=1)
    ]
    return Answer(
        answer=str(data.get("answer") or ""),
        citations=citations,
        tool_calls=[dict(call) for call in data.get("tool_calls") or []],
        abstained=bool(data.get("abstained")),
        mode=str(data.get("mode") or ""),
        incomplete=bool(data.get("incomplete")),
        notice=data.get("notice"),
        follow_ups=list(data.get("follow_ups") or []),
        reasons=[dict(r) for r in data.get("reasons") or []],
        question=data.get("question"),
        capabilities=data.get("capabilities"),
    )


class AnswerLog:
    """Append-only JSON lines of answers, one file per suite (see the module docstring)."""

    def __init__(self, directory: Path, model: str) -> None:
        self.directory = directory
        self.model = model

    def path(self, suite: str) -> Path:
        """The file holding `suite`'s answers."""
        return self.directory / f"{suite}.jsonl"

    def kept(self, suite: str, digest: str) -> dict[str, Kept]:
        """Earlier answers for this model, `suite` and dataset hash `digest`, by case id."""
        path = self.path(suite)
        if not path.is_file():
            return {}
        found: dict[str, Kept] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # the line an interruption cut off: that case is asked again
                continue
            if (record.get("model"), record.get("suite"), record.get("dataset_hash")) != (
                self.model,
                suite,
                digest,
            ):
                continue
            found[str(record["case_id"])] = Kept(
                answer_from_dict(record["answer"]),
                float(record.get("seconds") or 0.0),
                record.get("model_tool_calls"),
                record.get("error"),
            )
        return found

    def write(self, suite: str, digest: str, case_id: str, kept: Kept) -> None:
        """Append one answered case and flush it to disk before the next question is asked."""
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {
            "model": self.model,
            "suite": suite,
            "dataset_hash": digest,
            "case_id": case_id,
            "answer": kept.answer.to_dict(),
            "seconds": round(kept.seconds, 3),
            "model_tool_calls": kept.model_tool_calls,
            "error": kept.error,
        }
        path = self.path(suite)
        # A line an interruption cut off has no newline: end it, so this record starts a line of its own.
        cut = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        with path.open("a", encoding="utf-8") as handle:
            handle.write(("\n" if cut else "") + json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
