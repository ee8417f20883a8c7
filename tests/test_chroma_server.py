"""The HttpClient path against a real `chroma run` server that this test starts and stops.

In CI (`KEYSMITH_REQUIRE_CHROMA_SERVER=1`) a server that cannot start fails the test; elsewhere it skips
with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import free_port, stop
from retrieval_support import CountingFunction, settings_for, write_small_knowledge

from keysmith.config import Settings
from keysmith.errors import RetrievalError
from keysmith.ingest import index_client_document, index_knowledge
from keysmith.retrieval import open_retriever

pytestmark = pytest.mark.chroma_server
STARTUP_SECONDS = 60


def _chroma_executable() -> str | None:
    beside_python = Path(sys.executable).parent / "chroma"
    return str(beside_python) if beside_python.exists() else shutil.which("chroma")


def _unavailable(reason: str) -> None:
    if os.environ.get("KEYSMITH_REQUIRE_CHROMA_SERVER") == "1":
        pytest.fail(f"Chroma server required (KEYSMITH_REQUIRE_CHROMA_SERVER=1) but {reason}")
    pytest.skip(f"no Chroma server: {reason} (set KEYSMITH_REQUIRE_CHROMA_SERVER=1 to make this a failure)")


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `chroma run` on a free port with its own data folder; yield the process (its port is in
    `process.args[-1]`); stop it afterwards."""
    executable = _chroma_executable()
    if executable is None:
        _unavailable("the `chroma` executable was not found")
    port = free_port()
    log = (tmp_path / "chroma.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [
            str(executable),
            "run",
            "--path",
            str(tmp_path / "server-data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (tmp_path / "chroma.log").read_text(encoding="utf-8")[-500:]
                _unavailable(f"`chroma run` did not answer on port {port}: {tail}")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)
        log.close()


def _server_settings(tmp_path: Path, port: int) -> Settings:
    knowledge = write_small_knowledge(tmp_path / "k")
    return settings_for(knowledge, tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port)


def _port(server: subprocess.Popen[bytes]) -> int:
    return int(server.args[-1])  # type: ignore[index]


def test_index_and_search_through_a_chroma_server(
    tmp_path: Path, chroma_server: subprocess.Popen[bytes]
) -> None:
    settings = _server_settings(tmp_path, _port(chroma_server))
    counting = CountingFunction()
    first = index_knowledge(settings, function=counting)
    assert (first.added, first.unchanged) == (4, 0)
    second = index_knowledge(settings, function=counting)
    assert (second.added, second.unchanged, len(counting.texts)) == (0, 4, 4)
    retriever = open_retriever(settings, function=counting)
    result = retriever.search("who owns the AI once the pilot team leaves?", k=1)
    assert result.results[0].id == "governance-vacuum#what-it-is"
    assert retriever.search("best pizza in Naples?").abstained
    index_client_document(settings, "ws-1", "memo.txt", "The Lisbon depot scanners reject the AI labels.")
    assert retriever.search("Lisbon depot scanners", workspace_id="ws-1").results[0].source == (
        "client document: memo.txt"
    )
    assert not (tmp_path / "data" / "index" / "chroma.sqlite3").exists()  # nothing stored locally


def test_a_server_that_goes_away_is_a_plain_retrieval_error(
    tmp_path: Path, chroma_server: subprocess.Popen[bytes]
) -> None:
    settings = _server_settings(tmp_path, _port(chroma_server))
    index_knowledge(settings, function=CountingFunction())
    retriever = open_retriever(settings)
    assert not retriever.search("who owns the AI?").abstained
    chroma_server.terminate()
    chroma_server.wait(timeout=15)
    with pytest.raises(
        RetrievalError, match=r"Chroma server at 127\.0\.0\.1:\d+ \(is it running\?"
    ) as caught:
        retriever.search("who owns the AI?")
    assert "\n" not in str(caught.value) and "Traceback" not in str(caught.value)


def test_a_server_that_is_not_running_is_a_plain_retrieval_error(tmp_path: Path) -> None:
    port = free_port()
    settings = _server_settings(tmp_path, port)
    with pytest.raises(
        RetrievalError, match=rf"could not open the vector store: the Chroma server at 127\.0\.0\.1:{port}"
    ):
        index_knowledge(settings, function=CountingFunction())
