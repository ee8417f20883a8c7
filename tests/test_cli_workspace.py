"""`keysmith workspace create|list|add-doc` and `keysmith ask --workspace`, in real subprocesses, offline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from cli_support import KNOWLEDGE, ROOT, run_cli

from evals.client_docs import render_document
from keysmith.config import Settings

OWNER_QUESTION = "Who owns the model now that the pilot lead has left?"


def _northwind() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "evals" / "datasets" / "client_docs.yaml").read_text(encoding="utf-8"))
    return next(d for d in data["documents"] if d["format"] == "docx")


def cli(*args: str, data_dir: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "KEYSMITH_DATA_DIR": str(data_dir),
        "KEYSMITH_MODEL": "offline",
        **env,
    }
    return run_cli(*args, cwd=cwd, env=environment)


def test_create_add_doc_and_ask_cites_the_client_document(indexed_settings: Settings, tmp_path: Path) -> None:
    data_dir = indexed_settings.data_dir
    made = cli("workspace", "create", "Northwind CLI", "--json", data_dir=data_dir, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    workspace_id = json.loads(made.stdout)["id"]
    document = tmp_path / "northwind-status-report.docx"
    document.write_bytes(render_document(_northwind()))

    added = cli(
        "workspace", "add-doc", "Northwind CLI", str(document), "--json", data_dir=data_dir, cwd=tmp_path
    )
    assert added.returncode == 0, added.stderr
    first = json.loads(added.stdout)
    assert first["unchanged"] is False and first["passages"] >= 3 and first["workspace_id"] == workspace_id

    again = cli("workspace", "add-doc", workspace_id, str(document), data_dir=data_dir, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already indexed" in again.stdout and "nothing changed" in again.stdout

    listed = json.loads(cli("workspace", "list", "--json", data_dir=data_dir, cwd=tmp_path).stdout)
    mine = next(w for w in listed if w["id"] == workspace_id)
    assert mine["documents"] == 1 and mine["document_names"] == [document.name]

    asked = cli(
        "ask", "--workspace", "Northwind CLI", OWNER_QUESTION, "--json", data_dir=data_dir, cwd=tmp_path
    )
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    sources = [c["source"] for c in answer["citations"]]
    assert sources[0] == f"client document: {document.name}"
    assert "Nobody has owned the model" in answer["answer"]
    assert "Governance Vacuum" in answer["answer"]
    assert [r["id"] for r in answer["reasons"]][:1] == ["governance_vacuum"]

    # Without --workspace the same question never sees the client's document.
    plain = json.loads(cli("ask", OWNER_QUESTION, "--json", data_dir=data_dir, cwd=tmp_path).stdout)
    assert all(c["source"].startswith("knowledge/") for c in plain["citations"])


def test_workspace_errors_name_the_value(indexed_settings: Settings, tmp_path: Path) -> None:
    data_dir = indexed_settings.data_dir
    unknown = cli("ask", "--workspace", "No Such Client", "Who owns it?", data_dir=data_dir, cwd=tmp_path)
    assert unknown.returncode == 2
    assert "workspace 'No Such Client' not found" in unknown.stderr and "Traceback" not in unknown.stderr

    cli("workspace", "create", "Tiny Limit Co", data_dir=data_dir, cwd=tmp_path)
    big = tmp_path / "notes.md"
    big.write_text("# Notes\n\n" + "The rollout stalled. " * 20, encoding="utf-8")
    refused = cli(
        "workspace", "add-doc", "Tiny Limit Co", str(big),
        data_dir=data_dir, cwd=tmp_path, KEYSMITH_MAX_UPLOAD_BYTES="100",
    )  # fmt: skip
    assert refused.returncode == 2
    assert "KEYSMITH_MAX_UPLOAD_BYTES" in refused.stderr and "notes.md" in refused.stderr


def test_creating_a_workspace_twice_is_refused_naming_it(indexed_settings: Settings, tmp_path: Path) -> None:
    data_dir = indexed_settings.data_dir
    made = cli("workspace", "create", "Northway Freight CLI", data_dir=data_dir, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    again = cli("workspace", "create", " northway freight cli ", data_dir=data_dir, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip() == 'keysmith: a workspace named "Northway Freight CLI" already exists'
    listed = json.loads(cli("workspace", "list", "--json", data_dir=data_dir, cwd=tmp_path).stdout)
    assert [w["name"].casefold() for w in listed].count("northway freight cli") == 1
