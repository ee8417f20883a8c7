"""Load: 50 concurrent sessions through the Assistant (scripted fake model, real retrieval, real store).

Each session is one coach workspace with its own client document carrying the session's canary. Every turn
stores the question, asks the Assistant (the fake model searches for the session's notes, then answers naming
its canary and citing [1]) with the session's workspace and history, and stores the answer — all sessions at
once, in threads, sharing one Retriever and one Store as the app's processes do.

Reported: errors (must be 0), cross-talk (must be 0: a session's answer, tool results, citations or stored
messages mentioning another session's canary, or its own missing), and p50/p95 wall time per turn. Timings are
this machine's; nothing asserts on them.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import percentile

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class SessionResult:
    """What one session saw; `texts` is everything that reached it (answers, tool results, stored rows)."""

    canary: str
    seconds: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    own_document_found: int = 0  # turns whose search returned this session's own client document


class _Harness:
    """The shared pieces (index, retriever, store) and one session's conversation."""

    def __init__(self, data_dir: Path) -> None:
        from keysmith.config import Settings
        from keysmith.framework import load_framework
        from keysmith.ingest import index_knowledge
        from keysmith.retrieval import open_retriever
        from keysmith.store import Store

        self.settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=data_dir, model="offline")
        index_knowledge(self.settings)
        self.framework = load_framework(self.settings.framework_dir)
        self.retriever = open_retriever(self.settings)
        self.store = Store(self.settings.resolved_database_url)
        self.lock = threading.Lock()

    def prepare(self, number: int) -> tuple[str, str]:
        """A workspace and its client document for session `number`; returns (workspace id, canary)."""
        from keysmith.ingest import index_client_document

        canary = f"LOADCANARY{number:03d}X{uuid.uuid4().hex[:6]}"
        workspace = self.store.create_workspace(f"Client {number}").id
        notes = (
            f"# Client notes\n\nGovernance owner for this client: reference {canary}. Incident rota agreed.\n"
        )
        with self.lock:  # index writes are serialised, as uploads are rare; the turns below run concurrently
            index_client_document(self.settings, workspace, f"notes-{number}.md", notes)
        return workspace, canary

    def converse(self, workspace: str, canary: str, turns: int) -> SessionResult:
        sys.path.insert(0, str(ROOT / "tests"))
        from fakes import ScriptedChatModel, call_tool, say
        from langchain_core.messages import ToolMessage

        from keysmith.assistant import Assistant

        result = SessionResult(canary)
        session = self.store.create_session(workspace, "coach", title=canary)
        history: list[tuple[str, str]] = []
        for turn in range(1, turns + 1):
            question = f"Turn {turn} for {canary}: who owns governance in our client notes?"
            model = ScriptedChatModel.of(
                call_tool("search_framework", {"query": f"client notes governance owner reference {canary}"}),
                say(f"Your notes name the governance owner for {canary} [1]."),
            )
            assistant = Assistant(
                self.settings, self.framework, self.retriever, model=model, model_spec="fake"
            )
            started = time.perf_counter()
            try:
                self.store.add_message(workspace, session.id, "user", question)
                answer = assistant.ask(question, history, workspace_id=workspace)
                self.store.add_message(workspace, session.id, "assistant", answer.answer, mode=answer.mode)
            except Exception as exc:  # counted and reported: the benchmark's verdict is "zero errors"
                result.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            result.seconds.append(time.perf_counter() - started)
            result.texts.append(answer.answer + repr([c.to_dict() for c in answer.citations]))
            tool_results = [str(m.content) for m in model.seen[-1] if isinstance(m, ToolMessage)]
            result.own_document_found += any(canary in text for text in tool_results)
            result.texts += tool_results
            history += [("user", question), ("assistant", answer.answer)]
        result.texts += [m.content for m in self.store.list_messages(workspace, session.id)]
        return result


def _cross_talk(results: list[SessionResult]) -> int:
    """Sessions that saw another session's canary, or whose answers lack their own."""
    canaries = [r.canary for r in results]
    bad = 0
    for result in results:
        seen = "\n".join(result.texts)
        foreign = [c for c in canaries if c != result.canary and c in seen]
        own_missing = not result.errors and result.canary not in seen
        bad += bool(foreign) or own_missing
    return bad


def run(sessions: int = 50, turns: int = 3) -> dict[str, Any]:
    """Run `sessions` concurrent conversations of `turns` turns each; see the module docstring."""
    with tempfile.TemporaryDirectory(prefix="keysmith-load-") as tmp:
        harness = _Harness(Path(tmp) / "data")
        prepared = [harness.prepare(n) for n in range(sessions)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=sessions) as pool:
            futures = [pool.submit(harness.converse, ws, canary, turns) for ws, canary in prepared]
            results = [f.result() for f in futures]
        wall = time.perf_counter() - started
        harness.store.close()
    seconds = [s for r in results for s in r.seconds]
    errors = [e for r in results for e in r.errors]
    return {
        "sessions": sessions,
        "turns_per_session": turns,
        "turns_completed": len(seconds),
        "errors": len(errors),
        "error_examples": errors[:3],
        "cross_talk": _cross_talk(results),
        "turns_that_found_their_own_document": sum(r.own_document_found for r in results),
        "turn_p50_ms": round(statistics.median(seconds) * 1000, 1) if seconds else None,
        "turn_p95_ms": round(percentile(seconds, 0.95) * 1000, 1) if seconds else None,
        "wall_seconds": round(wall, 2),
    }


if __name__ == "__main__":  # pragma: no cover - `python -m bench.bench_load`
    import json

    print(json.dumps(run()))
