"""Answer speed and memory: Keysmith against the naive retrieve-then-prompt chain (bench/naive.py).

Measured in the same run, on the eval questions (the 34 scenario stories and 30 abstention questions):
- start: a fresh process until it can answer — Keysmith opens its persistent index, the naive chain re-embeds
  the whole knowledge base;
- offline answer p50/p95: Keysmith's offline composer (tools, story reading, guards, citations) against the
  naive chain building its prompt (it has no offline answer at all: without a model it stops at the prompt);
- agent overhead per turn with a fake model that costs nothing (so all the time is Keysmith's own): the
  LangGraph agent calling read_story and search_framework, then the guards, against the naive chain's one
  model call;
- peak memory (ru_maxrss) of each process.
Start and memory come from one child process per side (`python -m bench.bench_answers <side>`), so neither
side inherits the other's loaded models; the per-answer times are measured interleaved in one process (each
question on every side in turn), so load from other processes hits both sides alike.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import comparison, percentiles_ms  # standard library only: not a heavy import

_STARTED = time.perf_counter()  # before the heavy imports: a child's start time includes them

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"


def questions() -> list[str]:
    """The scenario stories and abstention questions of the eval datasets."""
    import yaml

    datasets = ROOT / "evals" / "datasets"
    stories = yaml.safe_load((datasets / "scenarios.yaml").read_text(encoding="utf-8"))["scenarios"]
    others = yaml.safe_load((datasets / "abstention.yaml").read_text(encoding="utf-8"))["cases"]
    return [str(s["story"]) for s in stories] + [str(c["question"]) for c in others]


def _settings(data_dir: Path) -> Any:
    from keysmith.config import Settings

    return Settings(knowledge_dir=KNOWLEDGE, data_dir=data_dir, model="offline")


def _keysmith_side(data_dir: Path) -> tuple[float, Any]:
    """Seconds to a ready Assistant (offline) and its ask function."""
    from keysmith.assistant import Assistant
    from keysmith.framework import load_framework
    from keysmith.retrieval import open_retriever

    settings = _settings(data_dir)
    framework = load_framework(settings.framework_dir)
    retriever = open_retriever(settings)
    retriever.search("warm up the index")  # the corpus and BM25 load on first search
    assistant = Assistant(settings, framework, retriever)
    return time.perf_counter() - _STARTED, assistant.ask


def _naive_side() -> tuple[float, Any]:
    from bench.naive import NaiveChain
    from keysmith.retrieval.embeddings import embed_texts

    chain = NaiveChain(KNOWLEDGE, embed_texts)
    return time.perf_counter() - _STARTED, chain.answer


def child(side: str, data_dir: Path) -> dict[str, Any]:
    """Start one side, answer every question once, report start, latencies and peak memory."""
    ready, ask = _keysmith_side(data_dir) if side == "keysmith" else _naive_side()
    latencies = []
    for question in questions():
        started = time.perf_counter()
        ask(question)
        latencies.append(time.perf_counter() - started)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "start_s": round(ready, 3),
        "answer_ms": percentiles_ms(latencies),
        "peak_mib": round(peak_kib / 1024, 1),
    }


def _run_child(side: str, data_dir: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_answers", side, str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def latencies(data_dir: Path, passes: int = 2) -> dict[str, dict[str, float]]:
    """Per-answer times, each side measured right after the other on the same question (interleaved, so a
    burst of load from other processes hits both sides alike):
    - `offline` / `offline_naive`: Keysmith's offline answer vs the naive chain's prompt;
    - `agent` / `agent_naive`: with a free fake model, Keysmith's agent (read_story, search_framework, then
      the guards) vs the naive chain's one model call. All of that time is the code's own overhead.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import ScriptedChatModel, call_tool, say

    from bench.naive import NaiveChain
    from keysmith.assistant import Assistant
    from keysmith.framework import load_framework
    from keysmith.retrieval import open_retriever
    from keysmith.retrieval.embeddings import embed_texts

    settings = _settings(data_dir)
    framework, retriever = load_framework(settings.framework_dir), open_retriever(settings)
    chain, offline = NaiveChain(KNOWLEDGE, embed_texts), Assistant(settings, framework, retriever)

    def agent(question: str) -> None:
        model = ScriptedChatModel.of(
            call_tool("read_story", {"text": question}),
            call_tool("search_framework", {"query": question[:300]}),
            say("The likely stall reason is the Governance Vacuum [1]."),
        )
        Assistant(settings, framework, retriever, model=model, model_spec="fake").ask(question)

    sides: dict[str, Any] = {
        "offline": offline.ask,
        "offline_naive": chain.answer,
        "agent": agent,
        "agent_naive": lambda q: chain.answer(q, ScriptedChatModel.of(say("Probably governance."))),
    }
    for ask in sides.values():  # warm-up: first-use loads are start-up cost, measured elsewhere
        ask("Our AI pilot worked but the rollout stalled.")
    times: dict[str, list[float]] = {name: [] for name in sides}
    for question in questions() * passes:
        for name, ask in sides.items():
            started = time.perf_counter()
            ask(question)
            times[name].append(time.perf_counter() - started)
    return {name: percentiles_ms(values) for name, values in times.items()}


def run() -> dict[str, Any]:
    """The bench.run hook: build an index in a temp dir, run both sides, return the comparisons."""
    from keysmith.ingest import index_knowledge

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        index_knowledge(_settings(data_dir))
        ours, naive = _run_child("keysmith", data_dir), _run_child("naive", data_dir)
        times = latencies(data_dir)
    chain = "naive chain (re-embeds at start, no tools/guards)"
    return {
        "comparisons": [
            comparison("start to ready", "s", ours["start_s"], naive["start_s"], chain),
            comparison(
                "offline answer p50",
                "ms",
                times["offline"]["p50"],
                times["offline_naive"]["p50"],
                "naive chain, prompt only (no offline answer)",
            ),
            comparison(
                "offline answer p95",
                "ms",
                times["offline"]["p95"],
                times["offline_naive"]["p95"],
                "naive chain, prompt only (no offline answer)",
            ),
            comparison(
                "agent overhead per turn p50 (fake model)",
                "ms",
                times["agent"]["p50"],
                times["agent_naive"]["p50"],
                "naive chain, one model call",
            ),
            comparison(
                "agent overhead per turn p95 (fake model)",
                "ms",
                times["agent"]["p95"],
                times["agent_naive"]["p95"],
                "naive chain, one model call",
            ),
            comparison("peak memory", "MiB", ours["peak_mib"], naive["peak_mib"], chain),
        ],
        "questions": len(questions()),
        "separate_process_answer_ms": {"keysmith": ours["answer_ms"], "baseline": naive["answer_ms"]},
    }


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], Path(sys.argv[2]))))
