"""Fixtures for the security tests (tests/security/support.py holds the plain helpers)."""

from __future__ import annotations

import pytest

from keysmith.config import Settings
from keysmith.framework import Framework, load_framework
from keysmith.ingest import index_knowledge
from keysmith.retrieval import Retriever, open_retriever
from security.support import copied_knowledge_settings


@pytest.fixture(scope="session")
def private_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A private copy of knowledge/ indexed once (real embeddings, embedded Chroma). Tests may add pages to
    it (re-indexing incrementally) and index client documents under their own workspace ids."""
    settings = copied_knowledge_settings(tmp_path_factory.mktemp("security"))
    index_knowledge(settings)
    return settings


@pytest.fixture(scope="session")
def framework(private_settings: Settings) -> Framework:
    """The framework loaded from the private copy."""
    return load_framework(private_settings.framework_dir)


@pytest.fixture(scope="session")
def retriever(private_settings: Settings) -> Retriever:
    """One long-lived retriever over the private index (it notices re-indexing by itself)."""
    return open_retriever(private_settings)
