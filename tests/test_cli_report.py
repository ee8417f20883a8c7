"""`keysmith report SESSION_ID` in a real subprocess against a real SQLite store the test fills first."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import KNOWLEDGE, run_cli
from pypdf import PdfReader

from keysmith.cli import main
from keysmith.cli import report as report_command
from keysmith.diagnosis import full_report
from keysmith.framework import load_framework
from keysmith.report.assessment import whole
from keysmith.report.session import FORMATS, session_report
from keysmith.store import Store

ROOT = Path(__file__).resolve().parents[1]
CITATION = {
    "id": "governance-vacuum#why",
    "source": "knowledge/governance-vacuum.md",
    "heading": "Why it stalls",
}


def keysmith(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in `cwd` with the store under `cwd/data` (DATABASE_URL unset: SQLite)."""
    env = {"KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE), "KEYSMITH_DATA_DIR": str(cwd / "data")}
    return run_cli(*args, cwd=cwd, env=env)


@pytest.fixture
def stored(tmp_path: Path) -> dict[str, str]:
    """A workspace with a finished assessment session and a diagnose session without one."""
    framework = load_framework(ROOT / "knowledge" / "framework")
    answers = json.loads((ROOT / "examples" / "stalled_rollout.json").read_text())["answers"]
    store = Store(f"sqlite:///{tmp_path / 'data' / 'keysmith.db'}")
    try:
        ws = store.create_workspace("Client A").id
        session = store.create_session(ws, "assessment", "Invoice AI — 12 regions")
        store.add_message(ws, session.id, "assistant", "Governance [1]", citations=[CITATION], mode="offline")
        report = full_report(answers, framework)
        store.save_assessment(ws, session.id, {"answers": answers}, report, model_used="offline")
        pending = store.create_session(ws, "assessment", "half done")
        store.save_assessment(ws, pending.id, {"answers": {"governance": 2}})
        chat = store.create_session(ws, "diagnose", "just a chat")
        return {
            "workspace": ws,
            "session": session.id,
            "pending": pending.id,
            "chat": chat.id,
            "pilot": whole(report["profiles"]["pilot"]["score"]),
            "production": whole(report["profiles"]["production"]["score"]),
        }
    finally:
        store.close()


def test_markdown_report_to_stdout(tmp_path: Path, stored: dict[str, str]) -> None:
    result = keysmith("report", stored["session"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Invoice AI — 12 regions\n")
    assert f"Pilot stage: {stored['pilot']} / 100" in result.stdout
    assert f"Production rollout: {stored['production']} / 100" in result.stdout
    assert "(governance-vacuum#why)" in result.stdout and "- Model used: offline" in result.stdout


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """`keysmith.cli.main` in this process (faster than a subprocess) with the same environment."""
    monkeypatch.setenv("KEYSMITH_KNOWLEDGE_DIR", str(KNOWLEDGE))
    monkeypatch.setenv("KEYSMITH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return lambda *args: main(list(args))


def test_pdf_report_to_a_file(
    tmp_path: Path, stored: dict[str, str], in_process: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.pdf"
    assert in_process("report", stored["session"], "--format", "pdf", "--out", str(out)) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (")
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert stored["pilot"] in text and stored["production"] in text and "Appendix: raw answers" in text
    assert sum(len(page.images) for page in reader.pages) == 1


def test_pdf_without_out_goes_to_a_named_file(
    tmp_path: Path, stored: dict[str, str], in_process: Callable[..., int]
) -> None:
    assert in_process("report", stored["session"], "--format", "pdf") == 0
    target = tmp_path / f"keysmith-report-{stored['session'][:8]}.pdf"
    assert target.read_bytes().startswith(b"%PDF-")


def test_answers_without_a_saved_report_are_scored(
    stored: dict[str, str], in_process: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert in_process("report", stored["pending"]) == 0
    assert "| governance | Governance | 2 / 5 |" in capsys.readouterr().out


def test_unknown_session_is_one_line_exit_2(tmp_path: Path, stored: dict[str, str]) -> None:
    result = keysmith("report", "no-such-session", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "keysmith: session or workspace 'no-such-session' not found\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("chat",), "keysmith: session '{chat}' has no assessment: only assessment sessions have a report\n"),
        (
            ("session", "--out", "{tmp}/missing/r.md"),
            "keysmith: cannot write '{tmp}/missing/r.md': No such file or directory\n",
        ),
    ],
)
def test_bad_requests_are_one_line_exit_2(
    tmp_path: Path,
    stored: dict[str, str],
    in_process: Callable[..., int],
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    values = {**stored, "tmp": str(tmp_path)}
    argv = [stored[args[0]], *(a.format(**values) for a in args[1:])]
    assert in_process("report", *argv) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message.format(**values))


def test_cli_formats_match_the_renderer() -> None:
    # json is the workspace report's extra format (tests/test_cli_respondents.py)
    assert (*FORMATS, "json") == report_command.FORMATS


def test_session_report_is_scoped_by_workspace(tmp_path: Path, stored: dict[str, str]) -> None:
    store = Store(f"sqlite:///{tmp_path / 'data' / 'keysmith.db'}")
    try:
        other = store.create_workspace("Client B").id
        with pytest.raises(Exception, match="not found in workspace"):
            session_report(store, other, stored["session"], "md")
        mine = session_report(store, stored["workspace"], stored["session"], "md")
        assert mine.filename.endswith(".md") and mine.mime == "text/markdown"
        with pytest.raises(Exception, match="format: expected md or pdf, got 'docx'"):
            session_report(store, stored["workspace"], stored["session"], "docx")
    finally:
        store.close()
