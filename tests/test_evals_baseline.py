"""CI guard: the offline eval suites must not fall below the committed baseline (evals/results/baseline/).

Runs every suite offline on a fresh index in a temporary data dir (about a minute on 2 cores) and fails when
a guarded metric is worse than the baseline by more than TOLERANCE, listing the cases that failed. The
story sets written blind (`scenarios_heldout`, `scenarios_blind`) are guarded like the development ones, with
the same tolerance. When a
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
import yaml
from openai_server import ScriptedOpenAIServer, Text, ToolCalls

from evals import run as runner
from keysmith.config import Settings

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.02
REQUIRED = {
    "retrieval": {"recall_at_3", "mrr"},
    "abstention": {"accuracy"},
    "scenarios": {"stall_reason_recall", "stall_reason_precision", "archetype_precision"},
    "scenarios_heldout": {"stall_reason_recall", "stall_reason_precision", "archetype_precision"},
    "scenarios_blind": {"stall_reason_recall", "stall_reason_precision", "archetype_precision"},
    "assessment": {"parse_accuracy"},
    "numbers": {"consistency"},
    "citations": {"validity"},
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A fresh data dir (the first run indexes it; later runs find it up to date)."""
    data_dir = tmp_path_factory.mktemp("eval-data")
    return Settings(knowledge_dir=ROOT / "knowledge", data_dir=data_dir, model="offline")


@pytest.fixture(scope="module")
def offline_run(settings: Settings) -> runner.EvalRun:
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


# Each story set written blind (runner.BLIND_SUITES) and the letter its case ids start with.
BLIND_SETS = {"scenarios_heldout": "h", "scenarios_blind": "b"}


def test_the_blind_story_sets_are_the_runners() -> None:
    assert tuple(BLIND_SETS) == runner.BLIND_SUITES
    assert all(suite in runner.SUITES and suite in REQUIRED for suite in BLIND_SETS)


@pytest.mark.parametrize(("suite", "prefix"), BLIND_SETS.items())
def test_each_blind_story_set_is_graded_apart_and_guarded(
    offline_run: runner.EvalRun, suite: str, prefix: str
) -> None:
    dev, stories = offline_run.cases["scenarios"], offline_run.cases[suite]
    assert len(stories) == offline_run.summary["suites"][suite]["cases"] == 24
    assert {c["id"] for c in dev}.isdisjoint(c["id"] for c in stories)
    assert all(c["id"].startswith(prefix) for c in stories)
    for metric in REQUIRED[suite]:
        assert (suite, metric, True) in runner.GUARDED
    baseline = json.loads(runner.BASELINE.read_text(encoding="utf-8"))
    if suite not in baseline["suites"]:  # a set added since the baseline was last regenerated
        pytest.skip(f"{suite} is not in the committed baseline yet; regenerate it to guard {suite}")
    for metric in REQUIRED[suite]:
        assert isinstance(baseline["suites"][suite][metric], float), metric
    then = baseline["suites"][suite]["stall_reason_recall"]
    dropped = {"suites": {suite: {"stall_reason_recall": then - 0.05}}}
    assert runner.regressions(dropped, baseline, TOLERANCE) == [
        f"{suite}.stall_reason_recall: {then - 0.05:.3f} vs baseline {then:.3f} (tolerance 0.02)"
    ]


def test_a_case_id_shared_by_two_datasets_is_refused(settings: Settings, tmp_path: Path) -> None:
    story = {"id": "s1", "story": STORY, "stall_reasons": ["governance_vacuum"], "archetypes": []}
    names = ("scenarios", *runner.BLIND_SUITES)
    for name in names:
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({"scenarios": [story]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'s1'"):
        runner.run_evals(settings, names, model_spec="offline", datasets=tmp_path)


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


STORY = "Legal froze our AI rollout: nobody owns the model and there are no rules for incidents."
HELDOUT_STORY = (
    "Finance paused the AI rollout: at full volume the running costs outweigh what the pilot saved."
)
BLIND_STORY = "Only the volunteers use the AI tool; the other teams were never trained and fear for jobs."


def test_the_same_suites_grade_a_model_answering_over_http(
    settings: Settings, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    scenario = {
        "id": "s1",
        "story": STORY,
        "stall_reasons": ["governance_vacuum"],
        "archetypes": ["risk_management"],
    }
    cases = [
        {"id": "x1", "kind": "off_topic", "expect": "abstain", "question": "Best pizza in Rome?"},
        {"id": "c1", "kind": "control", "expect": "answer", "question": "What is the Zoom Level Problem?"},
    ]
    heldout = {
        "id": "h1",
        "story": HELDOUT_STORY,
        "stall_reasons": ["economics_shift"],
        "archetypes": [],
    }
    (datasets / "scenarios.yaml").write_text(yaml.safe_dump({"scenarios": [scenario]}), encoding="utf-8")
    blind = {
        "id": "b1",
        "story": BLIND_STORY,
        "stall_reasons": ["change_management_deficit"],
        "archetypes": ["education"],
    }
    (datasets / "scenarios_heldout.yaml").write_text(
        yaml.safe_dump({"scenarios": [heldout]}), encoding="utf-8"
    )
    (datasets / "scenarios_blind.yaml").write_text(yaml.safe_dump({"scenarios": [blind]}), encoding="utf-8")
    (datasets / "abstention.yaml").write_text(yaml.safe_dump({"cases": cases}), encoding="utf-8")
    openai_server.reply(
        ToolCalls([("read_story", {"text": STORY})]),
        ToolCalls([("search_framework", {"query": "nobody owns the model"})]),
        Text(
            "This is a Governance Vacuum [1]; start with Risk Management. 40% of rollouts fail this way [1]."
        ),
        ToolCalls([("read_story", {"text": HELDOUT_STORY})]),
        ToolCalls([("search_framework", {"query": "production costs"})]),
        Text("This looks like an Economics Shift: the pilot's costs were not production costs [1]."),
        ToolCalls([("read_story", {"text": BLIND_STORY})]),
        ToolCalls([("search_framework", {"query": "teams that did not volunteer"})]),
        Text("A Change Management Deficit: adoption stopped at the volunteers [1]. Education comes first."),
        Text("That is outside what Keysmith covers."),
        ToolCalls([("search_framework", {"query": "Zoom Level Problem"})]),
        Text("The Zoom Level Problem: the pilot never looked past one team [1]."),
    )
    spec = f"openai-compatible:fake-model@{openai_server.base_url}"
    suites = ("scenarios", "scenarios_heldout", "scenarios_blind", "abstention", "numbers", "citations")
    summary = runner.run_evals(settings, suites, model_spec=spec, datasets=datasets).summary
    assert summary["mode"] == spec
    modes = summary["answer_modes"]  # every answer came from the model, none from the offline fallback
    assert sum(modes.values()) == 5 and not any(mode.startswith("offline") for mode in modes), modes
    assert summary["suites"]["scenarios"]["stall_reason_recall"] == 1.0
    assert summary["suites"]["scenarios"]["archetype_precision"] == 1.0
    assert summary["suites"]["scenarios_heldout"]["stall_reason_recall"] == 1.0
    assert summary["suites"]["scenarios_heldout"]["stall_reason_precision"] == 1.0
    assert summary["suites"]["scenarios_blind"]["stall_reason_recall"] == 1.0
    assert summary["suites"]["scenarios_blind"]["archetype_precision"] == 1.0
    assert summary["suites"]["abstention"]["accuracy"] == 1.0
    assert summary["suites"]["abstention"]["false_abstention_rate"] == 0.0
    # The invented "40%" sentence was dropped by the answer guards, so every number left is supported.
    assert summary["suites"]["numbers"]["consistency"] == 1.0
    assert summary["suites"]["citations"]["validity"] == 1.0
    assert summary["suites"]["citations"]["items_checked"] >= 4
