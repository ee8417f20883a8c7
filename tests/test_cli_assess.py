"""`keysmith assess` in a real subprocess with answers piped in: words, don't know, back, quit, resume."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli_support import KNOWLEDGE, run_cli


def assess(lines: list[str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `keysmith assess` in `cwd` (a tmp dir; progress lives in its data dir) with `lines` as input."""
    env = {
        "KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "KEYSMITH_DATA_DIR": str(cwd / "data"),
        "KEYSMITH_MODEL": "offline",
    }
    return run_cli("assess", *args, cwd=cwd, env=env, input="".join(f"{line}\n" for line in lines))


def test_a_full_run_prints_the_report_and_writes_answers(tmp_path: Path) -> None:
    lines = ["5", "strong", "back", "4", "2", "banana", "weak", "don't know", "1", "3", "not sure"]
    result = assess(lines, "--answers-out", "answers.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1/8] Technology fit" in out and "[8/8] Economics at scale" in out
    assert "Recorded Team capability as 4 (strong)" in out  # "strong", then changed after "back"
    assert "Recorded Data infrastructure as 2" in out
    after = out.split("Recorded Data infrastructure")[1]
    assert "Process integration: I could not read that as an answer" in after  # "banana": asked again
    assert "Recorded Process integration as 2 (weak)" in after
    assert "Missing answers" in out and "Likely stall reasons" in out
    saved = json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))
    assert saved == {
        "answers": {
            "technology_fit": 5,
            "team_capability": 4,
            "data_infrastructure": 2,
            "process_integration": 2,
            "governance": None,
            "change_management": 1,
            "organizational_readiness": 3,
            "economics": None,
        }
    }
    assert not (tmp_path / "data" / "assessment-progress.json").exists(), "progress is removed when done"


def test_quit_saves_progress_and_the_next_run_resumes(tmp_path: Path) -> None:
    first = assess(["4", "3", "quit"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Progress saved to" in first.stdout
    progress = json.loads((tmp_path / "data" / "assessment-progress.json").read_text(encoding="utf-8"))
    assert progress["answers"] == {"technology_fit": 4, "team_capability": 3}
    second = assess(["2", "2", "2", "2", "2", "2"], "--answers-out", "a.json", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("Resuming: 2 of 8 answered.")
    assert "[3/8] Data infrastructure" in second.stdout and "[1/8]" not in second.stdout
    answers = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["answers"]
    assert answers["technology_fit"] == 4 and answers["economics"] == 2


def test_end_of_input_saves_progress(tmp_path: Path) -> None:
    result = assess(["5"], cwd=tmp_path)
    assert result.returncode == 0
    assert "Run `keysmith assess` again to resume" in result.stdout


def test_a_damaged_progress_file_is_one_clear_line(tmp_path: Path) -> None:
    progress = tmp_path / "progress.json"
    progress.write_text("{not json", encoding="utf-8")
    result = assess(["quit"], "--progress", str(progress), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"keysmith: {progress}: cannot resume")
    assert "--restart" in result.stderr and "Traceback" not in result.stderr
    restarted = assess(["quit"], "--progress", str(progress), "--restart", cwd=tmp_path)
    assert restarted.returncode == 0


def test_an_unsure_reading_is_shown_back_and_recorded_only_on_yes(tmp_path: Path) -> None:
    unsure = "it mostly works but the outputs need checking on about a third of cases"
    result = assess([unsure, "n", unsure, "y", "quit"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count('I read that as 4 (strong) because you said "mostly". Record 4? [Y/n]') == 2
    assert "Not recorded: answer again." in out
    progress = json.loads((tmp_path / "data" / "assessment-progress.json").read_text(encoding="utf-8"))
    assert progress["answers"] == {"technology_fit": 4}
    assert progress["notes"] == {"technology_fit": unsure}
