"""`keysmith score` and `keysmith framework` in a real subprocess: output shapes, bytes, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_support import KNOWLEDGE, ROOT, run_cli

from keysmith.cli import main

EXAMPLES = ROOT / "examples"


def keysmith(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in `cwd` (a tmp dir, so no stray .env is read) with the repo's knowledge dir."""
    return run_cli(
        *args, cwd=cwd, env={"KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE), "KEYSMITH_DATA_DIR": str(cwd / "data")}
    )


def keysmith_in_process(
    args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """The same dispatcher (`keysmith.cli.main`) without a process start: for the many bad-input cases."""
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("KEYSMITH_KNOWLEDGE_DIR", str(KNOWLEDGE))
    monkeypatch.setenv("KEYSMITH_DATA_DIR", str(cwd / "data"))
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_score_json_has_the_agreed_shape(tmp_path: Path) -> None:
    result = keysmith("score", str(EXAMPLES / "stalled_rollout.json"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in (
        "formula_version",
        "profiles",
        "weight_shift",
        "levers",
        "omissions",
        "stall_reasons",
        "archetypes",
    ):
        assert key in data
    pilot, production = data["profiles"]["pilot"], data["profiles"]["production"]
    assert (pilot["score"], production["score"]) == (65.79, 35.29)
    assert (pilot["coverage"], production["coverage"]) == (0.95, 0.85)
    assert len(production["contributions"]) == 8
    gains = [lever["gain"] for lever in data["levers"]]
    assert gains == sorted(gains, reverse=True) and gains[0] == 17.65
    assert {"variable", "gain"} <= set(data["levers"][0])
    assert [o["variable"] for o in data["omissions"]] == ["governance"]
    assert data["what_if"] is None
    # diagnosis: the weak data and hand-offs point to the input-output mismatch first
    assert data["stall_reasons"][0]["id"] == "input_output_mismatch"
    assert all(isinstance(f["evidence"], list) and f["evidence"] for f in data["stall_reasons"])
    assert {a["id"] for a in data["archetypes"]} == {"standardization", "process_reengineering", "education"}
    assert all(a["reason"] for a in data["archetypes"])


def test_score_json_is_byte_identical_across_runs(tmp_path: Path) -> None:
    args = ("score", str(EXAMPLES / "early_assessment.json"), "--json", "--what-if", "governance=2")
    first, second = keysmith(*args, cwd=tmp_path), keysmith(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_score_table_shows_the_same_numbers_as_json(tmp_path: Path) -> None:
    result = keysmith("score", str(EXAMPLES / "stalled_rollout.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Readiness from 7 of 8 answers" in out
    assert "65.8" in out and "35.3" in out
    assert "1. Data infrastructure" in out
    assert "Governance: 15% of the production weight" in out
    likely = out.split("Likely stall reasons")[1].split("Solution archetypes")[0]
    assert "- Input-Output Mismatch\n      Data infrastructure is weak (2 of 5)" in likely
    assert "Economics Shift" not in likely and "(strong)" not in likely  # never evidence of a stall
    assert "Could not be judged, because a question behind it was not answered: Governance Vacuum" in likely
    assert "Suggested because process integration is very weak (1 of 5)" in out and "Rule:" not in out
    assert not out.lstrip().startswith("{")


def test_what_if_changes_the_scores_and_says_so(tmp_path: Path) -> None:
    path = str(EXAMPLES / "stalled_rollout.json")
    result = keysmith(
        "score",
        path,
        "--json",
        "--what-if",
        "governance=5",
        "--what-if",
        "process_integration=4",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["what_if"]["changes"] == {"governance": 5, "process_integration": 4}
    assert data["what_if"]["baseline"]["production"] == 35.29
    assert data["profiles"]["production"]["score"] > 35.29
    assert data["omissions"] == []
    assert "governance_vacuum" in {f["id"] for f in data["stall_reasons"]}
    text = keysmith("score", path, "--what-if", "governance=5", cwd=tmp_path).stdout
    assert "What if governance=5" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"answers": {"governance": 7}}', "governance: expected 1..5 or null, got 7"),
        ('{"answers": {"governance": "4"}}', 'governance: expected 1..5 or null, got "4"'),
        ('{"answers": {"governance": 3.0}}', "governance: expected 1..5 or null, got 3.0"),
        ('{"answers": {"governance": true}}', "governance: expected 1..5 or null, got true"),
        ('{"answers": {"budget": 3}}', "budget: unknown variable id 'budget'"),
        ('{"answers": {"governance": 3', "invalid JSON at line 1 column 29"),
        ("[1, 2]", 'document: expected an object with "answers", got list'),
        ('{"answers": [3]}', "answers: expected an object"),
        ('{"answers": {"economics": 2, "economics": 3}}', "economics: duplicate key 'economics'"),
    ],
)
def test_bad_file_exits_2_with_one_line_naming_field_and_value(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(content, encoding="utf-8")
    result = keysmith("score", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"keysmith: {path}: ")
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("missing.json",), "missing.json: file not found"),
        (
            ("ex", "--what-if", "governance"),
            "--what-if: expected VARIABLE=N with N in 1..5 or null, got 'governance'",
        ),
        (("ex", "--what-if", "governance=9"), "--what-if: governance: expected 1..5 or null, got 9"),
        (("ex", "--what-if", "governance=4.5"), "got 'governance=4.5'"),
        (("ex", "--what-if", "gov=3"), "--what-if: gov: unknown variable id 'gov'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    expected: str,
) -> None:
    resolved = [str(EXAMPLES / "ready_to_scale.json") if a == "ex" else a for a in args]
    code, _, err = keysmith_in_process(["score", *resolved], tmp_path, monkeypatch, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0]


def test_bad_input_in_a_real_process_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text('{"answers": {"governance": 6}}', encoding="utf-8")
    for args in ((str(path),), (str(EXAMPLES / "ready_to_scale.json"), "--what-if", "governance=high")):
        result = keysmith("score", *args, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("keysmith: --what-if: ")


def test_framework_json_and_table(tmp_path: Path) -> None:
    result = keysmith("framework", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["variables"]) == 8
    assert set(data["profiles"]) == {"pilot", "production"}
    for profile in data["profiles"].values():
        assert abs(sum(profile["weights"].values()) - 1) < 1e-9
    assert [a["source"] for a in data["archetypes"]] == ["framework"] * 4
    assert (data["archetype_total"], data["process_step_total"]) == (14, 7)
    table = keysmith("framework", cwd=tmp_path)
    assert table.returncode == 0
    assert "Solution archetypes (4 of 14 known)" in table.stdout
    assert "Process steps (2 of 7 known" in table.stdout


def test_broken_framework_data_exits_2_naming_the_file(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge" / "framework"
    knowledge.mkdir(parents=True)
    for source in (ROOT / "knowledge" / "framework").glob("*.yaml"):
        (knowledge / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    profiles = knowledge / "profiles.yaml"
    profiles.write_text(
        profiles.read_text(encoding="utf-8").replace("weight: 0.30", "weight: 0.40"), encoding="utf-8"
    )
    result = run_cli("framework", cwd=tmp_path, env={"KEYSMITH_KNOWLEDGE_DIR": str(tmp_path / "knowledge")})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"keysmith: {profiles}: profiles[0].weights.<sum>: weights must sum to 1, got 1.1"
    )


def test_score_json_equals_diagnosis_full_report(tmp_path: Path) -> None:
    from keysmith.diagnosis import full_report
    from keysmith.framework import load_framework

    path = EXAMPLES / "stalled_rollout.json"
    answers = json.loads(path.read_text(encoding="utf-8"))["answers"]
    expected = full_report(answers, load_framework(ROOT / "knowledge" / "framework"))
    result = keysmith("score", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
