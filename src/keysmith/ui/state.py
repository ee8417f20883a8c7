"""Session-state keys and cached resources for the app.

Heavy objects (framework, store, retriever, assistant) are built once per process with
`st.cache_resource`, keyed by the settings they depend on so that two configurations (tests use one data
dir each) never share an instance. The assistant is built in a background thread (`assistant_loading`), so
the first page can offer the chat box while it loads; once built, the embedding model and the story reader
are warmed in another thread, so the first question does not pay for them either.

Per-browser-tab state lives in `st.session_state` under the keys below;
anything a user must not lose (messages, assessments, drafts) is written to the `Store` as soon as it
exists, so a refresh or restart only loses the tab.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from concurrent.futures import Future
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


def _build_assistant(settings: Settings) -> Assistant:
    """The assistant (framework, retriever, model), then a warm-up of what its first answer needs."""
    # The assistant owns the framework and the retriever; the pages reuse them (one embedding model).
    from keysmith.assistant import Assistant

    assistant = Assistant.from_settings(settings)
    threading.Thread(target=_warm_up, args=(assistant,), name="keysmith-warm-up", daemon=True).start()
    return assistant


def _warm_up(assistant: Assistant) -> None:
    """Load the embedding model and the story reader now rather than in the first answer. Best effort: a
    failure here shows up, with its message, in the first answer that needs them."""
    with contextlib.suppress(Exception):
        assistant.retriever.search("pilot rollout stalled")
        from keysmith.reader import default_reader

        default_reader().read("The pilot worked and the rollout stalled.")


@st.cache_resource(show_spinner=False)
def _assistant_future(key: str, _settings: Settings) -> Future[Assistant]:
    """The assistant, being built in a background thread (one per configuration and process)."""
    future: Future[Assistant] = Future()

    def build() -> None:
        try:
            future.set_result(_build_assistant(_settings))
        except BaseException as exc:  # handed to whoever waits for it (a KeysmithError: one plain line)
            future.set_exception(exc)

    threading.Thread(target=build, name="keysmith-load", daemon=True).start()
    _STARTED[key] = future
    return future


# The futures `_assistant_future` made, by settings key, so a page can ask whether loading has ended
# without starting it (`loading_ended`); a failed one is dropped with the cache entry (`resources`).
_STARTED: dict[str, Future[Assistant]] = {}


def assistant_loading(settings: Settings) -> Future[Assistant]:
    """The assistant for `settings`, loading in the background (done at once on a warm process)."""
    return _assistant_future(_key(settings), settings)


def loading_ended(settings: Settings) -> bool:
    """True when loading the assistant for `settings` has ended, built or failed (never starts a load)."""
    future = _STARTED.get(_key(settings))
    return future is not None and future.done()


def store(settings: Settings) -> Store:
    """The cached store for `settings` (cheap next to the assistant: the page needs it first)."""
    return _store(_key(settings), settings)


def resources(settings: Settings | None = None) -> Resources:
    """The cached resources for the current environment (settings are re-read each rerun: cheap); waits
    for the assistant if it is still loading, and re-raises its start-up error."""
    settings = settings or Settings.from_env()
    key = _key(settings)
    try:
        assistant = assistant_loading(settings).result()
    except BaseException:
        _assistant_future.clear()  # a failed start is not kept: after the fix (e.g. `keysmith index`), reload
        _STARTED.pop(key, None)
        raise
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
