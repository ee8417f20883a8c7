"""Shared pytest fixtures. Others may append fixtures here; keep each one small and documented."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test helpers (fakes.py, openai_server.py) are imported as plain modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from openai_server import ScriptedOpenAIServer

from keysmith.config import Settings
from keysmith.framework import Framework, load_framework
from keysmith.retrieval import Retriever, open_retriever


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
