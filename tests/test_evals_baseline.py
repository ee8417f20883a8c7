"""CI guard: the offline eval suites must not fall below the committed baseline (evals/results/baseline/).

Runs every suite offline on a fresh index in a temporary data dir (about a minute on 2 cores) and fails when
a guarded metric is worse than the baseline by more than TOLERANCE, listing the cases that failed. When a
change improves a metric, or a deliberate trade-off lowers one, regenerate the baseline with
`keysmith eval --model offline --out evals/results/baseline` and commit it with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evals import run as runner
from keysmith.config import Settings

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.02
REQUIRED = {
    "retrieval": {"recall_at_3", "mrr"},
    "abstention": {"accuracy"},
    "scenarios": {"stall_reason_recall", "stall_reason_precision", "archetype_precision"},
    "assessment": {"parse_accuracy"},
    "numbers": {"consistency"},
    "citations": {"validity"},
}


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory) -> runner.EvalRun:
    data_dir = tmp_path_factory.mktemp("eval-data")
    settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=data_dir, model="offline")
    return runner.run_evals(settings, model_spec="offline")


def _failed_cases(run: runner.EvalRun, problems: list[str]) -> str:
    suites = {line.split(".")[0] for line in problems}
    failed = {s: [c for c in run.cases.get(s, []) if not c.get("ok", True)] for s in suites}
    return json.dumps(failed, indent=1, default=str)[:6000]


def test_summary_has_the_agreed_shape(offline_run: runner.EvalRun) -> None:
    summary = offline_run.summary
    assert summary["mode"] == "offline"
    assert isinstance(summary["formula_version"], str) and summary["formula_version"]
    for suite, keys in REQUIRED.items():
        assert keys <= set(summary["suites"][suite]), suite
        for key in keys:
            assert 0.0 <= summary["suites"][suite][key] <= 1.0, (suite, key)


def test_offline_metrics_hold_the_committed_baseline(offline_run: runner.EvalRun) -> None:
    baseline = json.loads(runner.BASELINE.read_text(encoding="utf-8"))
    assert baseline["mode"] == "offline"
    problems = runner.regressions(offline_run.summary, baseline, TOLERANCE)
    assert problems == [], f"{problems}\nfailed cases:\n{_failed_cases(offline_run, problems)}"


def test_the_guard_sees_a_drop_and_a_rise_in_false_abstentions() -> None:
    def summary(recall: float, false_abstention: float) -> dict[str, Any]:
        return {"suites": {"retrieval": {"recall_at_3": recall},
                           "abstention": {"false_abstention_rate": false_abstention}}}  # fmt: skip

    baseline = summary(0.95, 0.10)
    assert runner.regressions(summary(0.94, 0.11), baseline, TOLERANCE) == []
    assert runner.regressions(summary(0.92, 0.20), baseline, TOLERANCE) == [
        "retrieval.recall_at_3: 0.920 vs baseline 0.950 (tolerance 0.02)",
        "abstention.false_abstention_rate: 0.200 vs baseline 0.100 (tolerance 0.02)",
    ]


def test_keysmith_eval_assessment_json_writes_the_summary(tmp_path: Path) -> None:
    env = {**os.environ, "KEYSMITH_DATA_DIR": str(tmp_path / "data"), "KEYSMITH_MODEL": "offline"}
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "keysmith.cli", "eval", "assessment", "--json", "--out", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(printed["suites"]) == {"assessment"}
    cases = json.loads((out / "cases.json").read_text(encoding="utf-8"))["assessment"]
    assert len(cases) == printed["suites"]["assessment"]["cases"] >= 30


def test_an_unknown_suite_is_refused_with_its_name() -> None:
    settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=ROOT / "data", model="offline")
    with pytest.raises(ValueError, match="'speed'"):
        runner.run_evals(settings, suites=("speed",), model_spec="offline")
