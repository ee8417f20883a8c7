"""The `keysmith` command line in a real subprocess, and the settings tests keep out of the environment.

`run_cli(*args, env=..., cwd=..., input=...)` runs `python -m keysmith.cli ARGS` and returns the finished
process (text output captured, no exception on a non-zero exit). The child gets this process's environment
without any Keysmith, model-provider, Chroma or database setting (`child_env`), plus the `env` given: a
developer's own settings never reach it, not even from a module- or session-scoped fixture, which is set up
before conftest's autouse `_isolated_environment` fixture clears the same names for each test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
CLI = (sys.executable, "-m", "keysmith.cli")

# The settings Keysmith reads (see .env.example): never inherited by a test.
SETTING_PREFIXES = ("KEYSMITH_", "OPENAI_", "AZURE_OPENAI_")
SETTING_NAMES = frozenset({"OLLAMA_URL", "CHROMA_HOST", "CHROMA_PORT", "DATABASE_URL"})
# The test harness's own switches, which .ci/run sets and the fixtures read: kept.
HARNESS_PREFIXES = ("KEYSMITH_REQUIRE_", "KEYSMITH_TEST_")
HARNESS_NAMES = frozenset({"KEYSMITH_PG_BIN"})


def is_setting(name: str) -> bool:
    """True for a Keysmith setting a test must not inherit; False for the harness switches and the rest."""
    if name.startswith(HARNESS_PREFIXES) or name in HARNESS_NAMES:
        return False
    return name.startswith(SETTING_PREFIXES) or name in SETTING_NAMES


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without Keysmith's settings, with `env` on top: for any subprocess."""
    return {**{k: v for k, v in os.environ.items() if not is_setting(k)}, **(env or {})}


def offline_app_env(data_dir: Path) -> dict[str, str]:
    """The settings every app test starts from: its own data dir and the offline model (no API key: the
    environment holds none, see `child_env` and conftest's `_isolated_environment`)."""
    return {"KEYSMITH_DATA_DIR": str(data_dir), "KEYSMITH_MODEL": "offline"}


def run_cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run `keysmith ARGS` in `cwd` (a tmp dir, so no stray .env is read) with `env` over `child_env()`."""
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env=child_env(env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
