"""Imports flow one way (design.md): the pure core imports only the standard library and keysmith.

`scoring`, `diagnosis` and `assessment` may import the standard library and keysmith modules only;
`framework` may also import a YAML parser; only `keysmith.ui` imports streamlit; only `models` imports
provider packages.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "keysmith"
PURE_CORE = ("scoring", "diagnosis", "assessment")
PROVIDER_PACKAGES = {"openai", "langchain_openai", "langchain_ollama", "langchain_anthropic"}


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: our own package
                names.add("keysmith")
            elif node.module:
                names.add(node.module.split(".")[0])
    return names


def _outside_stdlib(names: set[str], allowed: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n not in allowed}


@pytest.mark.parametrize("module", PURE_CORE)
def test_pure_core_imports_only_stdlib_and_keysmith(module: str) -> None:
    path = SRC / f"{module}.py"
    if not path.exists():
        pytest.fail(f"{path} is missing: the pure core is part of the agreed layout")
    assert _outside_stdlib(_top_level_imports(path), {"keysmith"}) == set()


def test_framework_imports_only_stdlib_keysmith_and_yaml() -> None:
    assert _outside_stdlib(_top_level_imports(SRC / "framework.py"), {"keysmith", "yaml"}) == set()


def test_only_ui_imports_streamlit() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "streamlit" in _top_level_imports(p) and "ui" not in p.relative_to(SRC).parts
    ]
    assert offenders == []


def test_only_models_imports_provider_packages() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if _top_level_imports(p) & PROVIDER_PACKAGES and p.name != "models.py"
    ]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    # Guard against a checker that can never fail.
    bad = tmp_path / "bad.py"
    bad.write_text("import json\nimport numpy as np\nfrom . import x\n", encoding="utf-8")
    assert _outside_stdlib(_top_level_imports(bad), {"keysmith"}) == {"numpy"}
