"""CI guard: the offline eval suites must not fall below the committed baseline (evals/results/baseline/).

Runs every suite offline on a fresh index in a temporary data dir (about a minute on 2 cores) and fails when
a guarded metric is worse than the baseline by more than TOLERANCE, listing the development cases that
failed. The blind story sets (`blind_d` … `blind_h`) are guarded like the development ones, with
the same tolerance, but a failure shows only their per-reason counts, never their cases: whoever changes the
story reader must not read a blind set's failed stories (docs/evaluation.md). A suite the baseline does not
hold yet is reported as new, not failed. When a change improves a metric, or a deliberate trade-off lowers
one, regenerate the baseline with `keysmith eval --model offline --out evals/results/baseline` and commit it
with the reason.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import run_cli
from openai_server import ScriptedOpenAIServer, Text, ToolCalls

from evals import run as runner
from keysmith.config import Settings

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.02
STORY_METRICS = {"stall_reason_recall", "stall_reason_precision", "archetype_precision"}
REQUIRED = {
    "retrieval": {"recall_at_3", "mrr"},
    "abstention": {"accuracy"},
    **{suite: STORY_METRICS for suite in runner.STORY_SUITES},
    "assessment": {"parse_accuracy"},
    "numbers": {"consistency"},
    "citations": {"validity"},
}
REASONS = {"zoom_level", "input_output_mismatch", "governance_vacuum", "change_management_deficit",
           "economics_shift"}  # fmt: skip
# Each development story set and the letter its case ids start with; each blind set and its prefix.
# scenarios_dev4..6 were blind sets A..C (ids "ba", "bb", "bc") until they moved to development.
DEV_SETS = {"scenarios": "s", "scenarios_dev2": "h", "scenarios_dev3": "b", "scenarios_dev4": "ba",
            "scenarios_dev5": "bb", "scenarios_dev6": "bc"}  # fmt: skip
# Each development set's story count, and each blind set's id prefix and story and control counts.
DEV_SIZES = {"scenarios": 34, "scenarios_dev4": 46, "scenarios_dev5": 46, "scenarios_dev6": 48}
BLIND_SETS = {
    "blind_d": ("bd", 46, 17), "blind_e": ("be", 45, 16), "blind_f": ("bf", 48, 20),
    "blind_g": ("bg", 52, 25), "blind_h": ("bh", 54, 24),
}  # fmt: skip
# What a blind set's records may hold: ids and reason ids, never a story (docs/evaluation.md).
BLIND_STORY_KEYS = {"id", "expected", "named", "missed"}
BLIND_CONTROL_KEYS = {"id", "control", "kind", "ok", "diagnosed", "named", "abstained"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A fresh data dir (the first run indexes it; later runs find it up to date)."""
    data_dir = tmp_path_factory.mktemp("eval-data")
    return Settings(knowledge_dir=ROOT / "knowledge", data_dir=data_dir, model="offline")


@pytest.fixture(scope="module")
def offline_run(settings: Settings) -> runner.EvalRun:
    return runner.run_evals(settings, model_spec="offline")


def _failed_cases(run: runner.EvalRun, problems: list[str]) -> str:
    """The failed cases of the suites that regressed; for a blind set only its counts (never its cases)."""
    suites = {line.split(".")[0] for line in problems}
    failed: dict[str, Any] = {}
    for suite in sorted(suites):
        metrics = run.summary["suites"].get(suite, {})
        if suite in runner.BLIND_SUITES:
            counts = ("per_reason", "controls", "controls_diagnosed", "cases")
            failed[suite] = {key: metrics[key] for key in counts if key in metrics}
        else:
            failed[suite] = [c for c in run.cases.get(suite, []) if not c.get("ok", True)]
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
    new = runner.new_suites(offline_run.summary, baseline)
    if new:  # reported, not failed: regenerating the baseline starts guarding them
        warnings.warn(f"not in the committed baseline yet (new, unguarded): {', '.join(new)}", stacklevel=1)
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


def test_the_story_sets_are_the_runners() -> None:
    assert tuple(DEV_SETS) == runner.DEV_SUITES
    assert tuple(BLIND_SETS) == runner.BLIND_SUITES
    assert (*runner.DEV_SUITES, *runner.BLIND_SUITES) == runner.STORY_SUITES
    assert all(suite in runner.SUITES and suite in REQUIRED for suite in runner.STORY_SUITES)


@pytest.mark.parametrize("suite", runner.STORY_SUITES)
def test_each_story_set_is_guarded_once_the_baseline_holds_it(suite: str) -> None:
    """Every story metric of `suite` is guarded; once the baseline holds the suite, a drop is caught."""
    for metric in STORY_METRICS:
        assert (suite, metric, True) in runner.GUARDED
    baseline = json.loads(runner.BASELINE.read_text(encoding="utf-8"))
    if not baseline["suites"].get(suite):  # a set added since the baseline was last regenerated
        assert runner.regressions({"suites": {suite: {"stall_reason_recall": 0.0}}}, baseline) == []
        pytest.skip(f"{suite} is not in the committed baseline yet; regenerate it to guard {suite}")
    for metric in STORY_METRICS:
        assert isinstance(baseline["suites"][suite][metric], float), metric
    then = baseline["suites"][suite]["stall_reason_recall"]
    dropped = {"suites": {suite: {"stall_reason_recall": then - 0.05}}}
    assert runner.regressions(dropped, baseline, TOLERANCE) == [
        f"{suite}.stall_reason_recall: {then - 0.05:.3f} vs baseline {then:.3f} (tolerance 0.02)"
    ]


@pytest.mark.parametrize(("suite", "prefix"), DEV_SETS.items())
def test_each_development_story_set_is_graded_apart_with_per_reason_counts(
    offline_run: runner.EvalRun, suite: str, prefix: str
) -> None:
    metrics, stories = offline_run.summary["suites"][suite], offline_run.cases[suite]
    stories = [c for c in stories if not c.get("control")]
    assert len(stories) == metrics["cases"] == DEV_SIZES.get(suite, 24)
    assert all(c["id"].startswith(prefix) for c in stories)
    others = {c["id"] for other in runner.STORY_SUITES if other != suite for c in offline_run.cases[other]}
    assert others.isdisjoint(c["id"] for c in stories)
    per_reason = metrics["per_reason"]
    assert set(per_reason) == REASONS
    assert sum(n["expected"] for n in per_reason.values()) == sum(len(c["expected"]) for c in stories)
    assert sum(n["found"] for n in per_reason.values()) == sum(
        len(c["expected"]) - len(c["missed"]) for c in stories
    )
    assert sum(n["wrongly_named"] for n in per_reason.values()) == sum(
        len(c["wrongly_named"]) for c in stories
    )
    assert "controls" not in metrics


@pytest.mark.parametrize(("suite", "shape"), BLIND_SETS.items())
def test_each_blind_set_reports_counts_and_controls_and_records_no_story(
    offline_run: runner.EvalRun, suite: str, shape: tuple[str, int, int]
) -> None:
    """Only counts and ids are shown here, so a failure never prints a blind story."""
    prefix, story_count, control_count = shape
    metrics, records = offline_run.summary["suites"][suite], offline_run.cases[suite]
    stories = [r for r in records if not r.get("control")]
    controls = [r for r in records if r.get("control")]
    assert len(stories) == metrics["cases"] == story_count
    assert len(controls) == metrics["controls"] == control_count
    assert metrics["controls_diagnosed"] == sum(1 for r in controls if r["diagnosed"])
    assert all(set(r) == BLIND_STORY_KEYS for r in stories)
    assert all(set(r) == BLIND_CONTROL_KEYS for r in controls)
    assert all(r["id"].startswith(prefix) for r in records)
    per_reason = metrics["per_reason"]
    assert set(per_reason) == REASONS
    assert sum(n["expected"] for n in per_reason.values()) == sum(len(r["expected"]) for r in stories)
    assert sum(n["found"] for n in per_reason.values()) == sum(
        len(r["expected"]) - len(r["missed"]) for r in stories
    )
    texts = [str(c["story"]) for key in ("scenarios", "controls") for c in runner.s.load_cases(
        runner.DATASETS, suite, key)]  # fmt: skip
    shown = json.dumps(records)
    leaked = sum(1 for text in texts if text in shown or text[:40] in shown)
    assert leaked == 0, f"{leaked} {suite} messages appear in its case records"
    assert (suite, "controls_diagnosed", False) in runner.GUARDED


def test_blind_targets_are_explicit_and_reported_not_failed() -> None:
    targets = {(suite, metric): (value, higher) for suite, metric, value, higher in runner.TARGETS}
    for suite in runner.BLIND_SUITES:
        assert targets[(suite, "stall_reason_recall")] == (0.85, True)
        assert targets[(suite, "stall_reason_precision")] == (0.8, True)
        assert targets[(suite, "controls_diagnosed")] == (0, False)
    for suite in runner.DEV_SUITES:
        assert targets[(suite, "stall_reason_recall")] == (0.8, True)
    per_reason = {"zoom_level": {"expected": 3, "found": 2, "wrongly_named": 1}}
    summary = {
        "suites": {
            "blind_d": {"stall_reason_recall": 0.9, "controls_diagnosed": 1, "per_reason": per_reason}
        },
        "mode": "offline",
        "formula_version": "f",
        "seconds": 1.0,
    }
    table = runner.format_table(summary)
    assert "per_reason.zoom_level" in table and "found 2/3, wrongly named 1" in table
    rows = {line.split()[1]: line.split()[-1] for line in table.splitlines()[1:-1]}
    assert rows["stall_reason_recall"] == "ok"
    assert rows["controls_diagnosed"] == "MISS"
    assert "<= 0" in table


def test_suites_missing_from_the_baseline_are_reported_as_new_not_failed() -> None:
    baseline = {"suites": {"scenarios": {"stall_reason_recall": 0.9}, "scenarios_heldout": {"cases": 24}}}
    summary = {"suites": {"scenarios": {"stall_reason_recall": 0.9},
                          "blind_d": {"stall_reason_recall": 0.1, "controls_diagnosed": 9},
                          "scenarios_dev2": {"stall_reason_recall": 0.1}}}  # fmt: skip
    assert runner.regressions(summary, baseline, TOLERANCE) == []
    assert runner.new_suites(summary, baseline) == ["blind_d", "scenarios_dev2"]
    held = {"suites": {"blind_d": {"controls_diagnosed": 0}}}
    assert runner.regressions({"suites": {"blind_d": {"controls_diagnosed": 1}}}, held, TOLERANCE) == [
        "blind_d.controls_diagnosed: 1.000 vs baseline 0.000 (tolerance 0.02)"
    ]


def test_a_case_id_shared_by_two_datasets_is_refused(settings: Settings, tmp_path: Path) -> None:
    story = {"id": "s1", "story": STORY, "stall_reasons": ["governance_vacuum"], "archetypes": []}
    names = runner.STORY_SUITES
    for name in names:
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({"scenarios": [story]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'s1'"):
        runner.run_evals(settings, names, model_spec="offline", datasets=tmp_path)


def test_keysmith_eval_assessment_json_writes_the_summary(tmp_path: Path) -> None:
    env = {"KEYSMITH_DATA_DIR": str(tmp_path / "data"), "KEYSMITH_MODEL": "offline"}
    out = tmp_path / "out"
    done = run_cli("eval", "assessment", "--json", "--out", str(out), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(printed["suites"]) == {"assessment"}
    cases = json.loads((out / "cases.json").read_text(encoding="utf-8"))["assessment"]
    assert len(cases) == printed["suites"]["assessment"]["cases"] >= 30


def test_an_offline_run_keeps_no_answers_to_reuse(app_data_dir: Path, tmp_path: Path) -> None:
    # Kept answers let a slow model run resume; offline, a run started again after a code change would
    # otherwise grade the old code's answers (seen: a baseline regenerated from the previous run's answers).
    env = {"KEYSMITH_DATA_DIR": str(app_data_dir), "KEYSMITH_MODEL": "offline"}
    out = tmp_path / "out"
    done = run_cli("eval", "abstention", "--json", "--out", str(out), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["suites"]["abstention"]["cases"] > 0
    assert not (out / "answers").exists()
    refused = run_cli("eval", "abstention", "--kept-only", "--out", str(out), cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert "--kept-only grades a model's kept answers" in refused.stderr


def test_an_unknown_suite_is_refused_with_its_name() -> None:
    settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=ROOT / "data", model="offline")
    with pytest.raises(ValueError, match="'speed'"):
        runner.run_evals(settings, suites=("speed",), model_spec="offline")


STORY = "Legal froze our AI rollout: nobody owns the model and there are no rules for incidents."
DEV2_STORY = "Finance paused the AI rollout: at full volume the running costs outweigh what the pilot saved."
BLIND_STORY = "Only the volunteers use the AI tool; the other teams were never trained and fear for jobs."
TV_PILOT = "Our TV pilot was not picked up by the network. Should we pitch it to a streaming service instead?"
GOING_WELL = "Our AI rollout went well: every region uses it and the owners meet monthly. Anything to add?"


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
    dev2 = {"id": "h1", "story": DEV2_STORY, "stall_reasons": ["economics_shift"], "archetypes": []}
    blind = {
        "id": "ba1",
        "story": BLIND_STORY,
        "stall_reasons": ["change_management_deficit"],
        "archetypes": ["education"],
    }
    controls = [
        {"id": "bac1", "kind": "tv_pilot", "story": TV_PILOT, "stall_reasons": []},
        {"id": "bac2", "kind": "successful_rollout", "story": GOING_WELL, "stall_reasons": []},
    ]
    files = {
        "scenarios": {"scenarios": [scenario]},
        "scenarios_dev2": {"scenarios": [dev2]},
        "scenarios_dev3": {"scenarios": []},
        **{f"scenarios_dev{n}": {"scenarios": []} for n in (4, 5, 6)},
        "blind_d": {"scenarios": [blind], "controls": controls},
        "blind_e": {"scenarios": []},  # a blind set without controls is graded too
        "blind_f": {"scenarios": []},
        "blind_g": {"scenarios": []},
        "blind_h": {"scenarios": []},
        "abstention": {"cases": cases},
    }
    for name, data in files.items():
        (datasets / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    openai_server.reply(
        ToolCalls([("read_story", {"text": STORY})]),
        ToolCalls([("search_framework", {"query": "nobody owns the model"})]),
        Text(
            "This is a Governance Vacuum [1]; start with Risk Management. 40% of rollouts fail this way [1]."
        ),
        ToolCalls([("read_story", {"text": DEV2_STORY})]),
        ToolCalls([("search_framework", {"query": "production costs"})]),
        Text("This looks like an Economics Shift: the pilot's costs were not production costs [1]."),
        ToolCalls([("read_story", {"text": BLIND_STORY})]),
        ToolCalls([("search_framework", {"query": "teams that did not volunteer"})]),
        Text("A Change Management Deficit: adoption stopped at the volunteers [1]. Education comes first."),
        Text("A TV pilot is outside what Keysmith covers."),
        ToolCalls([("search_framework", {"query": "owners of the model"})]),
        Text("Keep the owners meeting, or a Governance Vacuum can open later [1]."),
        Text("That is outside what Keysmith covers."),
        ToolCalls([("search_framework", {"query": "Zoom Level Problem"})]),
        Text("The Zoom Level Problem: the pilot never looked past one team [1]."),
    )
    spec = f"openai-compatible:fake-model@{openai_server.base_url}"
    suites = (*runner.STORY_SUITES, "abstention", "numbers", "citations")
    run = runner.run_evals(settings, suites, model_spec=spec, datasets=datasets)
    summary = run.summary
    assert summary["mode"] == spec
    modes = summary["answer_modes"]  # every answer came from the model, none from the offline fallback
    assert sum(modes.values()) == 7 and not any(mode.startswith("offline") for mode in modes), modes
    assert summary["suites"]["scenarios"]["stall_reason_recall"] == 1.0
    assert summary["suites"]["scenarios"]["archetype_precision"] == 1.0
    assert summary["suites"]["scenarios_dev2"]["stall_reason_recall"] == 1.0
    assert summary["suites"]["scenarios_dev2"]["stall_reason_precision"] == 1.0
    blind_a = summary["suites"]["blind_d"]
    assert blind_a["stall_reason_recall"] == 1.0 and blind_a["archetype_precision"] == 1.0
    assert blind_a["per_reason"]["change_management_deficit"] == {
        "expected": 1,
        "found": 1,
        "wrongly_named": 0,
    }
    # Graded on the answer's structured reasons and interview, not on the model's wording: the reply to the
    # rollout that went well names "Governance Vacuum" as a risk, yet the story reader found no stall in it.
    assert (blind_a["controls"], blind_a["controls_diagnosed"]) == (2, 0)
    controls = [r for r in run.cases["blind_d"] if r.get("control")]
    assert [(r["id"], r["diagnosed"], r["named"]) for r in controls] == [
        ("bac1", False, []),
        ("bac2", False, []),
    ]
    assert "story" not in json.dumps(run.cases["blind_d"])
    assert (summary["suites"]["blind_e"]["cases"], summary["suites"]["blind_e"]["controls"]) == (0, 0)
    assert summary["suites"]["abstention"]["accuracy"] == 1.0
    assert summary["suites"]["abstention"]["false_abstention_rate"] == 0.0
    # The invented "40%" sentence was dropped by the answer guards, so every number left is supported.
    assert summary["suites"]["numbers"]["consistency"] == 1.0
    assert summary["suites"]["citations"]["validity"] == 1.0
    assert summary["suites"]["citations"]["items_checked"] >= 4
