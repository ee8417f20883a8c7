"""Imports flow one way (design.md), enforced transitively.

The contracts live in pyproject.toml (`[tool.importlinter]`) and `make test` runs `lint-imports`. These tests
add what a forbidden-list cannot say: the pure core's whole import closure holds nothing but the standard
library, PyYAML and the pure core itself; and the contracts really fail when a violation is planted, two
modules away from the core.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_CORE = (
    "keysmith.text",
    "keysmith.framework",
    "keysmith.scoring",
    "keysmith.assessment",
    "keysmith.diagnosis",
)
ALLOWED_EXTERNAL = {"yaml"}
ALLOWED_KEYSMITH = {*PURE_CORE, "keysmith.errors", "keysmith"}


def _package(module: str) -> str:
    """`keysmith.diagnosis.story` -> `keysmith.diagnosis`; an external module -> its top-level name."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "keysmith" else parts[0]


def _closure_outside(graph: grimp.ImportGraph, sources: tuple[str, ...]) -> set[str]:
    """Everything the sources import, directly or not, that is neither stdlib, PyYAML nor the pure core."""
    reached: set[str] = set()
    for source in sources:
        for module in graph.find_children(source) | {source}:
            reached |= graph.find_upstream_modules(module)
        reached |= {m for m in graph.find_descendants(source)}
    outside = set()
    for module in reached:
        package = _package(module)
        if package in ALLOWED_KEYSMITH or package in ALLOWED_EXTERNAL or package in sys.stdlib_module_names:
            continue
        outside.add(package)
    return outside


def test_the_pure_core_closure_is_stdlib_yaml_and_itself() -> None:
    graph = grimp.build_graph("keysmith", include_external_packages=True)
    assert _closure_outside(graph, PURE_CORE) == set()


def test_the_closure_check_sees_an_indirect_dependency() -> None:
    # scoring -> framework is allowed; ingest (-> chromadb) is not: the same check must flag it.
    graph = grimp.build_graph("keysmith", include_external_packages=True)
    assert "chromadb" in _closure_outside(graph, ("keysmith.ingest",))


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", str(tree / "pyproject.toml")]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_the_real_tree(tree_copy: Path) -> None:
    done = _lint(tree_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_planted_indirect_violation_breaks_the_pure_core_contract(tree_copy: Path) -> None:
    # scoring -> a new helper -> retrieval (-> chromadb): two hops, which a direct-import check would miss.
    helper = tree_copy / "src" / "keysmith" / "text" / "planted.py"
    helper.write_text(
        '"""Planted."""\n\nfrom keysmith.retrieval import bm25  # noqa: F401\n', encoding="utf-8"
    )
    scoring = tree_copy / "src" / "keysmith" / "scoring.py"
    scoring.write_text(scoring.read_text(encoding="utf-8") + "\nfrom keysmith.text import planted  # noqa\n")
    done = _lint(tree_copy)
    assert done.returncode != 0
    assert "pure-core" in done.stdout or "pure core" in done.stdout
    assert "BROKEN" in done.stdout and "keysmith.scoring" in done.stdout


def test_a_planted_models_import_breaks_the_agent_contract(tree_copy: Path) -> None:
    agent = tree_copy / "src" / "keysmith" / "agent.py"
    agent.write_text(
        agent.read_text(encoding="utf-8") + "\nimport keysmith.models  # noqa\n", encoding="utf-8"
    )
    done = _lint(tree_copy)
    assert done.returncode != 0 and "never import keysmith.models" in done.stdout
