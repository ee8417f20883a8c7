"""Session-state keys and cached resources for the app.

Heavy objects (framework, store, retriever, assistant) are built once per process with
`st.cache_resource`, keyed by the settings they depend on so that two configurations (tests use one data
dir each) never share an instance. Per-browser-tab state lives in `st.session_state` under the keys below;
anything a user must not lose (messages, assessments, drafts) is written to the `Store` as soon as it
exists, so a refresh or restart only loses the tab.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from keysmith.config import Settings
from keysmith.limits import RateLimiter

if TYPE_CHECKING:  # the heavy modules are imported when first built, so the page shell draws at once
    from keysmith.assistant import Assistant
    from keysmith.framework import Framework
    from keysmith.retrieval import Retriever
    from keysmith.store import Store

# Session-state keys (one place, so modules cannot drift apart on spelling).
MODE = "mode"
SESSION_ID = "session_id"
WORKSPACE_ID = "workspace_id"
ASSESSMENT = "assessment"
ASSESSMENT_ID = "assessment_id"
PENDING_QUESTION = "pending_question"
SWITCH_MODE = "switch_mode"  # a mode to open at the top of the next run (before the mode radio exists)
TAB_ID = "tab_id"

MODES = ("Diagnose my pilot", "Self-assessment", "Coach")


@dataclass(frozen=True)
class Resources:
    """Everything a page needs, built once per configuration."""

    settings: Settings
    framework: Framework
    store: Store
    retriever: Retriever
    assistant: Assistant
    limiter: RateLimiter


def _key(settings: Settings) -> str:
    """What distinguishes one configuration's resources from another's (no secrets in it)."""
    return "|".join(
        (str(settings.knowledge_dir), str(settings.data_dir), settings.model, settings.chroma_host)
    )


@st.cache_resource(show_spinner=False)
def _store(url_key: str, _settings: Settings) -> Store:
    # The URL may hold a password, so the cache key is the settings key, not the URL itself.
    from keysmith.store import Store

    _settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.from_settings(_settings)


@st.cache_resource(show_spinner=False)
def _limiter(key: str, per_minute: int) -> RateLimiter:
    return RateLimiter(per_minute)


@st.cache_resource(show_spinner=False)
def _assistant(key: str, _settings: Settings) -> Assistant:
    # The assistant owns the framework and the retriever; the pages reuse them (one embedding model).
    from keysmith.assistant import Assistant

    return Assistant.from_settings(_settings)


def resources() -> Resources:
    """The cached resources for the current environment (settings are re-read each rerun: cheap)."""
    settings = Settings.from_env()
    key = _key(settings)
    assistant = _assistant(key, settings)
    return Resources(
        settings=settings,
        framework=assistant.framework,
        store=_store(key, settings),
        retriever=assistant.retriever,
        assistant=assistant,
        limiter=_limiter(key, settings.requests_per_minute),
    )


def tab_id() -> str:
    """A random id for this browser tab (the rate limiter's key)."""
    if TAB_ID not in st.session_state:
        st.session_state[TAB_ID] = uuid.uuid4().hex
    return str(st.session_state[TAB_ID])


def get(name: str, default: Any = None) -> Any:
    """`st.session_state.get` with a typed return for callers that check the value themselves."""
    return st.session_state.get(name, default)


def put(name: str, value: Any) -> None:
    """Set one session-state value."""
    st.session_state[name] = value
