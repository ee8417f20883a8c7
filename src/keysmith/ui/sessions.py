"""Which workspace and which session the tab is on, kept in the URL so a refresh resumes where it was.

`?ws=<workspace id>&session=<session id>` (coach mode: `&mode=coach`) is written whenever they change; on
a fresh tab (refresh, restart, bookmark) they are read back and checked against the store, falling back to
the default workspace when the ids no longer exist. Sessions are created lazily (on the first question or
answer), so browsing never litters the store with empty conversations.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import streamlit as st

from keysmith.errors import KeysmithError
from keysmith.store.records import Session, Workspace
from keysmith.ui import state
from keysmith.ui.state import Resources

if TYPE_CHECKING:
    from keysmith.store import Store

# Store session modes for the two modes that keep a session list.
STORE_MODE = {state.MODES[0]: "diagnose", state.MODES[1]: "assessment"}
_RESTORED = "url_restored"


def _session_key(store_mode: str) -> str:
    return f"session:{store_mode}"


def restore_from_url(store: Store) -> None:
    """Once per tab: adopt the workspace, mode and session named in the URL, if they still exist (before
    the mode switch is drawn, so it shows the adopted mode)."""
    if st.session_state.get(_RESTORED):
        return
    st.session_state[_RESTORED] = True
    session_id = st.query_params.get("session")
    workspace_id = st.query_params.get("ws")
    if session_id:
        try:
            found = store.find_session(session_id)
        except KeysmithError:
            found = None
        if found is not None:
            _adopt(found)
            return
    if workspace_id:
        with contextlib.suppress(KeysmithError):
            st.session_state[state.WORKSPACE_ID] = store.get_workspace(workspace_id).id
    if st.query_params.get("mode") == "coach":
        st.session_state[state.MODE] = state.MODES[2]


def _adopt(found: Session) -> None:
    st.session_state[state.WORKSPACE_ID] = found.workspace_id
    st.session_state[_session_key(found.mode)] = found.id
    for label, mode in STORE_MODE.items():
        if mode == found.mode:
            st.session_state[state.MODE] = label


def workspace(res: Resources) -> Workspace:
    """The tab's workspace (the default one unless the user picked another); always exists."""
    workspace_id = st.session_state.get(state.WORKSPACE_ID)
    if workspace_id:
        try:
            return res.store.get_workspace(workspace_id)
        except KeysmithError:
            pass  # deleted in another tab: fall back to the default
    default = res.store.default_workspace()
    st.session_state[state.WORKSPACE_ID] = default.id
    return default


def set_workspace(workspace_id: str) -> None:
    """Switch workspace; the open sessions belong to the old one, so forget them."""
    st.session_state[state.WORKSPACE_ID] = workspace_id
    for mode in STORE_MODE.values():
        st.session_state.pop(_session_key(mode), None)


def workspace_picker(res: Resources, label: str, key: str) -> Workspace:
    """A selectbox of every workspace, showing the tab's workspace; returns that workspace.

    The tab's workspace lives under one session-state key (`state.WORKSPACE_ID`): each picker is reset from
    it on every run and a pick writes it (`set_workspace`, before the rerun draws the page), so several
    pickers (the sidebar's, the coach page's) always agree. `key` names this picker's widget; it must be
    unique on the page."""
    current = workspace(res)
    names = {w.id: w.name for w in res.store.list_workspaces()}
    st.session_state[key] = current.id
    st.selectbox(label, list(names), key=key, format_func=names.__getitem__, on_change=_picked, args=(key,))
    return current


def _picked(key: str) -> None:
    """The picker `key` changed: switch the tab to the workspace it shows."""
    set_workspace(str(st.session_state[key]))


def current(res: Resources, store_mode: str) -> str | None:
    """The open session id for this mode in the tab's workspace, or None (not started yet)."""
    session_id = st.session_state.get(_session_key(store_mode))
    if not session_id:
        return None
    try:
        return res.store.get_session(workspace(res).id, session_id).id
    except KeysmithError:
        st.session_state.pop(_session_key(store_mode), None)
        return None


def ensure(res: Resources, store_mode: str, title: str) -> str:
    """The open session for this mode, created now (titled by `title`) if there is none."""
    existing = current(res, store_mode)
    if existing:
        return existing
    created = res.store.create_session(workspace(res).id, store_mode, _title(title))
    select(store_mode, created.id, workspace(res).id)
    return created.id


def select(store_mode: str, session_id: str | None, workspace_id: str) -> None:
    """Open a session (None = start a new one on the next message) and record it in the URL."""
    if session_id is None:
        st.session_state.pop(_session_key(store_mode), None)
    else:
        st.session_state[_session_key(store_mode)] = session_id
    sync_url(workspace_id, session_id)


def sync_url(workspace_id: str, session_id: str | None) -> None:
    """Write `ws`, `session` (and `mode=coach`, the one mode without sessions) into the query string."""
    wanted = {"ws": workspace_id, **({"session": session_id} if session_id else {})}
    if st.session_state.get(state.MODE) == state.MODES[2]:
        wanted["mode"] = "coach"
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 60 else line[:57].rstrip() + "…"


def sidebar_list(res: Resources, store_mode: str, label: str) -> None:
    """The resume/delete list of this mode's sessions in the current workspace."""
    ws = workspace(res)
    open_id = current(res, store_mode)
    st.sidebar.button(
        f"New {label}",
        key=f"new-{store_mode}",
        on_click=select,
        args=(store_mode, None, ws.id),
        icon=":material/add:",
    )
    for item in res.store.list_sessions(ws.id, store_mode)[:30]:
        cols = st.sidebar.columns([5, 1])
        cols[0].button(
            item.title or "Untitled",
            key=f"open-{item.id}",
            on_click=select,
            args=(store_mode, item.id, ws.id),
            type="primary" if item.id == open_id else "secondary",
            width="stretch",
        )
        cols[1].button(
            "",
            key=f"del-{item.id}",
            help="Delete",
            icon=":material/delete:",
            on_click=_delete,
            args=(res, store_mode, item.id),
        )


def _delete(res: Resources, store_mode: str, session_id: str) -> None:
    ws = workspace(res)
    res.store.delete_session(ws.id, session_id)
    if st.session_state.get(_session_key(store_mode)) == session_id:
        select(store_mode, None, ws.id)
