"""Shared pytest fixtures. Others may append fixtures here; keep each one small and documented."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import is_setting, offline_app_env
from openai_server import ScriptedOpenAIServer

from keysmith.config import Settings
from keysmith.framework import Framework, load_framework
from keysmith.retrieval import Retriever, open_retriever


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs without the developer's own settings: each `KEYSMITH_*`, `OPENAI_*` and
    `AZURE_OPENAI_*` variable and `OLLAMA_URL`, `CHROMA_HOST`, `CHROMA_PORT`, `DATABASE_URL` is removed
    from the environment for the test (and put back after it); a test sets what it needs with monkeypatch.

    Kept, because CI sets them (.ci/run) and fixtures read them while tests run: the harness switches
    `KEYSMITH_REQUIRE_*` (BROWSER, POSTGRES, CHROMA_SERVER, REAL_SERVER: a missing tool fails instead of
    skipping), `KEYSMITH_TEST_*` (KEYSMITH_TEST_DATABASE_URL: an existing PostgreSQL) and `KEYSMITH_PG_BIN`;
    the list is `cli_support.is_setting`. Module- and session-scoped fixtures are set up before this one:
    they pass settings explicitly (`Settings(...)`, `Settings.from_env({...})`) and start subprocesses with
    `cli_support.child_env`, which drops the same names."""
    for name in [n for n in os.environ if is_setting(n)]:
        monkeypatch.delenv(name)


@pytest.fixture
def openai_server() -> Iterator[ScriptedOpenAIServer]:
    """A scripted OpenAI-protocol server on 127.0.0.1 (see tests/openai_server.py); stopped after the test."""
    server = ScriptedOpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over the real knowledge/ with its own data dir, indexed once per test session (real local
    embeddings, embedded Chroma). Offline model, no .env, nothing read from the environment."""
    from keysmith.ingest import index_knowledge

    settings = Settings(
        knowledge_dir=Path(__file__).resolve().parents[1] / "knowledge",
        data_dir=tmp_path_factory.mktemp("indexed-data"),
        model="offline",
    )
    index_knowledge(settings)
    return settings


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One indexed data dir for every AppTest module (tests/app_support.py): indexing is the slow part, and
    each app test works in its own, uniquely named workspace there."""
    from keysmith.ingest import index_knowledge

    path = tmp_path_factory.mktemp("app-data")
    index_knowledge(Settings.from_env({"KEYSMITH_DATA_DIR": str(path), "KEYSMITH_MODEL": "offline"}))
    return path


@pytest.fixture(scope="session")
def framework(indexed_settings: Settings) -> Framework:
    """The real framework data (modules that need another one define their own `framework`)."""
    return load_framework(indexed_settings.framework_dir)


@pytest.fixture(scope="session")
def retriever(indexed_settings: Settings) -> Retriever:
    """A retriever over the session's indexed knowledge (real local embeddings, embedded Chroma)."""
    return open_retriever(indexed_settings)


@pytest.fixture
def app_env(app_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of an AppTest test: the shared indexed data dir and the offline model
    (`cli_support.offline_app_env`, the same settings the browser test gives its server). Returns the
    data dir (its store is `keysmith.db` there)."""
    for name, value in offline_app_env(app_data_dir).items():
        monkeypatch.setenv(name, value)
    return app_data_dir


@pytest.fixture
def model_app_env(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, openai_server: ScriptedOpenAIServer
) -> Path:
    """`app_env` with the model pointed at the scripted OpenAI-protocol server (`app_support.connect_model`:
    no retries, a short timeout)."""
    from app_support import connect_model  # streamlit's test harness: imported only by the tests using it

    connect_model(monkeypatch, openai_server)
    return app_env
