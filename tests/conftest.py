"""Shared pytest fixtures. Others may append fixtures here; keep each one small and documented."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test helpers (fakes.py, openai_server.py) are imported as plain modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from openai_server import ScriptedOpenAIServer


@pytest.fixture
def openai_server() -> Iterator[ScriptedOpenAIServer]:
    """A scripted OpenAI-protocol server on 127.0.0.1 (see tests/openai_server.py); stopped after the test."""
    server = ScriptedOpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()
