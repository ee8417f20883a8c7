"""Fast start (issue 13, item 11): an offline process never imports the provider SDKs or LangChain's tracing.

`openai`, `langchain_openai` and LangChain's tool and tracer classes cost about 1.5 s of imports and offline
mode uses none of them, so `keysmith ask` without a model must answer without loading them. The check runs
in a fresh interpreter (this test process has imported them long ago) over the shared indexed data dir.
Timings themselves are measured by `make bench` (bench/bench_coldstart.py), never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_support import child_env, offline_app_env

# Modules an offline answer must not load (the model path imports them inside the functions that need them).
HEAVY = ("openai", "langchain_openai", "langchain_core.tracers", "langchain_core.tools", "langgraph")

_CHILD = """
import json, sys
from keysmith.cli import main
code = main(["ask", sys.argv[1], "--json"])
sys.stdout.flush()
print("\\nLOADED " + json.dumps(sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[2:])))))
sys.exit(code)
"""


def test_offline_ask_answers_without_importing_provider_sdks_or_langchain_tracing(
    app_data_dir: Path, tmp_path: Path
) -> None:
    story = "Our invoice AI pilot was great, but the rollout to 12 regions has stalled for 6 months. Why?"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, story, *HEAVY],
        env=child_env(offline_app_env(app_data_dir)),
        cwd=tmp_path,  # no stray .env
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    body, _, loaded = done.stdout.rpartition("\nLOADED ")
    assert json.loads(body)["mode"] == "offline"
    assert json.loads(loaded) == [], f"offline ask imported {loaded.strip()}"


_HEAVY_LOADED = """
import importlib, json, sys
heavy = sys.argv[1].split(",")
for name in sys.argv[2:]:
    importlib.import_module(name)
print(json.dumps([p for p in heavy if any(m == p or m.startswith(p + ".") for m in sys.modules)]))
"""


def _heavy_loaded(tmp_path: Path, heavy: tuple[str, ...], modules: tuple[str, ...]) -> list[str]:
    """Which of the `heavy` packages a fresh interpreter has loaded after importing `modules`."""
    done = subprocess.run(
        [sys.executable, "-c", _HEAVY_LOADED, ",".join(heavy), *modules],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_and_the_assistant_leaves_chromadb_to_the_connecting_thread(tmp_path: Path) -> None:
    # chromadb costs about a second to import: `keysmith ask` reads the story while a thread connects.
    modules = (
        "keysmith.assistant",
        "keysmith.cli",
        "keysmith.ingest.chunking",
        "keysmith.retrieval",
        "keysmith.reader",
    )
    assert _heavy_loaded(tmp_path, ("chromadb",), modules) == []


def test_the_first_page_draws_without_the_report_index_or_model_libraries(tmp_path: Path) -> None:
    # What app.py imports before the chat box is drawn: the PDF and chart libraries (about a second, seen
    # through the respondent page's import), the index and the model libraries load later or never.
    heavy = ("chromadb", "keysmith.report", "fpdf", "matplotlib", "langchain_core", "onnxruntime", "openai")
    modules = ("keysmith.ui.main", "keysmith.ui.respond_page", "keysmith.ui.chat")
    assert _heavy_loaded(tmp_path, heavy, modules) == []
