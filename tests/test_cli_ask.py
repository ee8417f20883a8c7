"""`keysmith ask` in a real subprocess, offline, over an index built once for the session."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli_support import KNOWLEDGE, run_cli

from keysmith.config import Settings

STORY = (
    "Our AI pilot worked in one team, but the rollout to the other regions has stalled: nobody owns the "
    "model and the other teams refuse to use it."
)


def ask(*args: str, data_dir: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `keysmith ask` offline in `cwd` (a tmp dir, so no stray .env is read)."""
    environment = {
        "KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "KEYSMITH_DATA_DIR": str(data_dir),
        "KEYSMITH_MODEL": "offline",
        **env,
    }
    return run_cli("ask", *args, cwd=cwd, env=environment)


def test_json_shape_for_a_story(indexed_settings: Settings, tmp_path: Path) -> None:
    result = ask(STORY, "--json", data_dir=indexed_settings.data_dir, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"answer", "citations", "tool_calls", "abstained", "mode"} <= set(data)
    assert data["mode"] == "offline" and data["abstained"] is False
    assert "Governance Vacuum" in data["answer"]
    assert data["citations"], "a diagnosis is cited"
    for citation in data["citations"]:
        assert set(citation) == {"id", "source", "heading", "excerpt", "facts_from"}
        assert citation["source"].startswith("knowledge/")
    assert "[1]" in data["answer"]
    assert data["tool_calls"][0]["name"] == "read_story"


def test_off_topic_abstains(indexed_settings: Settings, tmp_path: Path) -> None:
    result = ask("best pizza in Naples?", "--json", data_dir=indexed_settings.data_dir, cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["abstained"] is True and data["citations"] == []


def test_text_output_lists_numbered_sources(indexed_settings: Settings, tmp_path: Path) -> None:
    result = ask("What is HD Vision?", data_dir=indexed_settings.data_dir, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\nSources:\n[1] HD Vision" in result.stdout
    assert "(knowledge/hd-vision.md)" in result.stdout
    assert result.stdout.rstrip().endswith("(offline)")


def test_model_flag_overrides_the_environment(indexed_settings: Settings, tmp_path: Path) -> None:
    result = ask(
        "What is HD Vision?",
        "--json",
        "--model",
        "offline",
        data_dir=indexed_settings.data_dir,
        cwd=tmp_path,
        KEYSMITH_MODEL="openai:gpt-4o-mini",
        OPENAI_API_KEY="",
    )
    assert json.loads(result.stdout)["mode"] == "offline"


def test_empty_question_exits_2(tmp_path: Path) -> None:
    result = ask("   ", data_dir=tmp_path / "data", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("keysmith: question: empty")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists(), "input is checked before anything is loaded or indexed"


def test_oversized_question_exits_2(tmp_path: Path) -> None:
    result = ask("x" * 61, data_dir=tmp_path / "data", cwd=tmp_path, KEYSMITH_MAX_QUESTION_CHARS="60")
    assert result.returncode == 2
    assert "the limit is 60 (KEYSMITH_MAX_QUESTION_CHARS)" in result.stderr
