"""The command line for a client file: `keysmith assess --workspace WS [--respondent ROLE] --answers FILE`
twice and per role, then `keysmith report WS --format json|md|pdf` with `history` and `respondents.gaps`.
Canary: another workspace's assessments and respondents never appear in this workspace's report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cli_support import KNOWLEDGE, run_cli
from pypdf import PdfReader

from keysmith.cli import main
from keysmith.framework import load_framework
from keysmith.store import Store

FRAMEWORK = load_framework(KNOWLEDGE / "framework")
BASE = dict.fromkeys(FRAMEWORK.variable_ids, 2)


def _answers(path: Path, **changes: int | None) -> str:
    path.write_text(json.dumps({"answers": BASE | changes}), encoding="utf-8")
    return str(path)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with a client workspace and a canary workspace (with its own assessment and respondent)."""
    monkeypatch.setenv("KEYSMITH_KNOWLEDGE_DIR", str(KNOWLEDGE))
    monkeypatch.setenv("KEYSMITH_DATA_DIR", str(tmp_path / "data"))
    store = Store(f"sqlite:///{tmp_path / 'data' / 'keysmith.db'}")
    store.create_workspace("Northwind")
    canary = store.create_workspace("Canary Co")
    store.add_respondent_answers(canary.id, "CANARY-ROLE", BASE | {"governance": 5})
    store.close()
    assert main(["assess", "--workspace", "Canary Co", "--answers", _answers(tmp_path / "c.json")]) == 0
    return tmp_path


def _report(fmt: str, capsys: pytest.CaptureFixture[str], ref: str = "Northwind") -> str:
    capsys.readouterr()
    assert main(["report", ref, "--format", fmt]) == 0
    return capsys.readouterr().out


def test_two_assessments_and_two_roles_make_history_and_a_gap(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _answers(data_dir / "1.json", governance=1, economics=None)
    assert main(["assess", "--workspace", "northwind", "--answers", first]) == 0
    assert "Recorded assessment #1 in Northwind" in capsys.readouterr().out
    second = _answers(data_dir / "2.json", governance=4, economics=3)
    assert main(["assess", "--workspace", "Northwind", "--answers", second]) == 0
    said = capsys.readouterr().out
    assert "Recorded assessment #2 in Northwind" in said and "since the previous: pilot" in said
    sponsor = _answers(data_dir / "s.json", change_management=4)
    front = _answers(data_dir / "f.json", change_management=1)
    for role, path in (("Sponsor", sponsor), ("Front line", front)):
        assert main(["assess", "--workspace", "Northwind", "--respondent", role, "--answers", path]) == 0
        assert f"Recorded {role}'s answers in Northwind" in capsys.readouterr().out
    data = json.loads(_report("json", capsys))
    history = data["history"]
    assert [h["number"] for h in history] == [1, 2]
    assert set(history[0]) >= {"date", "scores", "deltas"}
    moved = history[1]["deltas"]["since_previous"]
    assert moved["variables"]["governance"] == 3 and moved["variables"]["economics"] is None
    production = history[1]["scores"]["production"] - history[0]["scores"]["production"]
    assert moved["scores"]["production"] == pytest.approx(production, abs=0.011)
    assert "Governance rose from 1 to 4 (out of 5). [score]" in data["what_changed"]
    respondents = data["respondents"]
    assert [r["role"] for r in respondents["roles"]] == ["Sponsor", "Front line"]
    gap = respondents["gaps"][0]
    assert {k: gap[k] for k in ("variable", "min", "max", "roles")} == {
        "variable": "change_management",
        "min": 1.0,
        "max": 4.0,
        "roles": {"Sponsor": 4.0, "Front line": 1.0},
    }
    assert gap["why"]["source"].startswith("knowledge/")
    assert respondents["combined"]["roles"] == 2
    assert "CANARY" not in json.dumps(data) and "Canary" not in json.dumps(data)  # scoped to Northwind

    markdown = _report("md", capsys)
    assert "## What changed since last time" in markdown and "Perception gap on Change management" in markdown
    pdf = data_dir / "client.pdf"
    assert main(["report", "Northwind", "--format", "pdf", "--out", str(pdf)]) == 0
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Assessments over time" in text and "Perception gap" in text


def test_an_empty_workspace_reports_plainly(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(_report("json", capsys))
    assert data["history"] == [] and data["what_changed"] == []
    assert data["respondents"] == {
        "roles": [],
        "spread": data["respondents"]["spread"],
        "gaps": [],
        "combined": None,
    }
    assert "No completed assessment yet." in _report("md", capsys)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--respondent", "IT", "--answers", "x.json"], "need --workspace WS"),
        (["--workspace", "Northwind"], "--workspace needs --answers FILE"),
        (["--workspace", "Nowhere", "--answers", "GOOD"], "workspace 'Nowhere' not found"),
        (["--workspace", "Northwind", "--answers", "missing.json"], "missing.json: file not found"),
        (["--workspace", "Northwind", "--respondent", " ", "--answers", "GOOD"], "role: expected 1..80"),
    ],
)
def test_bad_assess_options_are_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    good = _answers(data_dir / "good.json")
    args = [good if a == "GOOD" else str(data_dir / a) if a.endswith(".json") else a for a in args]
    capsys.readouterr()
    assert main(["assess", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_json_is_for_workspaces_only(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(f"sqlite:///{data_dir / 'data' / 'keysmith.db'}")
    canary = next(w for w in store.list_workspaces() if w.name == "Canary Co")
    session = store.list_sessions(canary.id, "assessment")[0]
    store.close()
    assert main(["report", session.id, "--format", "json"]) == 2
    assert "--format json is for a workspace report" in capsys.readouterr().err


def test_the_flow_in_a_real_subprocess(tmp_path: Path) -> None:
    env = {"KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE), "KEYSMITH_DATA_DIR": str(tmp_path / "data")}
    store = Store(f"sqlite:///{tmp_path / 'data' / 'keysmith.db'}")
    ws = store.create_workspace("Subprocess client")
    store.close()
    path = _answers(tmp_path / "a.json", governance=3)
    done = run_cli("assess", "--workspace", ws.id, "--answers", path, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    report = run_cli("report", ws.id, "--format", "json", cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["history"][0]["answers"]["governance"] == 3


def test_report_says_not_found_only_for_a_missing_workspace(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import keysmith.store.lookup as lookup
    from keysmith.errors import StoreError

    capsys.readouterr()
    assert main(["report", "Nowhere"]) == 2
    assert "session or workspace 'Nowhere' not found" in capsys.readouterr().err

    def broken(store: Store, ref: str) -> None:
        raise StoreError("database file not found on the mounted volume")

    monkeypatch.setattr(lookup, "resolve_workspace", broken)
    assert main(["report", "Northwind"]) == 2
    err = capsys.readouterr().err
    assert "database file not found on the mounted volume" in err and "session or workspace" not in err
