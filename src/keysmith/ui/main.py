"""Page set-up, the sidebar (mode switch, workspace, sessions, model badge) and the mode dispatch.

The page shell (title, mode switch, the mode's heading) is drawn before the heavy resources load, so a
cold start shows the page at once with a spinner instead of a blank tab; the page modules are imported
only when their mode is shown (the PDF and chart libraries stay out of the chat's start-up). A
configuration or start-up failure (bad .env value, unreachable database or index) is one plain sentence
with what to do, never a traceback.
"""

from __future__ import annotations

import streamlit as st

from keysmith.errors import KeysmithError
from keysmith.ui import sessions, state
from keysmith.ui.state import Resources

_OFFLINE_HINT = (
    "To connect a model, set `KEYSMITH_MODEL` "
    "(e.g. `openai:gpt-4o-mini`) or `OPENAI_API_KEY` in `.env` and restart."
)


def main() -> None:
    """Render the app for one rerun."""
    st.set_page_config(page_title="Keysmith", page_icon=":material/key:", layout="wide")
    switch = st.session_state.pop(state.SWITCH_MODE, None)  # e.g. the chat's "Start the self-assessment"
    if switch in state.MODES:
        st.session_state[state.MODE] = switch
    with st.sidebar:
        st.title("Keysmith")
        st.caption("Your AI pilot worked. The rollout stalled. Why?")
        badge_slot = st.container()
    heading = st.empty()  # the mode's heading, drawn now and corrected once the URL has been read
    heading.header(str(st.session_state.get(state.MODE, state.MODES[0])))
    try:
        with st.spinner("Starting Keysmith: loading the framework and the knowledge index…"):
            res = state.resources()
        sessions.restore_from_url(res)
    except KeysmithError as exc:
        st.title("Keysmith")
        st.error(f"Keysmith could not start: {exc}")
        st.info("If the knowledge index is missing, run `keysmith index` (or `make run`), then reload.")
        return
    mode = _sidebar(res, badge_slot)
    heading.header(mode)
    try:
        _dispatch(res, mode)
    except KeysmithError as exc:  # store or index trouble mid-page: plain words, the page stays usable
        st.error(str(exc))


def _dispatch(res: Resources, mode: str) -> None:
    # Imported here on purpose: each mode pays only for its own libraries (see the module docstring).
    if mode == state.MODES[0]:
        from keysmith.ui import chat

        chat.render_page(res)
    elif mode == state.MODES[1]:
        from keysmith.ui import assessment_view

        assessment_view.render_page(res)
    else:
        from keysmith.ui import coach

        coach.render_page(res)


def _sidebar(res: Resources, slot: st.delta_generator.DeltaGenerator) -> str:
    """Mode switch, model badge, workspace picker and the session list; returns the chosen mode."""
    with slot:
        mode = str(st.radio("Mode", state.MODES, key=state.MODE))
        badge(res)
        ws = _workspace_picker(res)
    store_mode = sessions.STORE_MODE.get(mode)
    if store_mode is not None:
        label = "conversation" if store_mode == "diagnose" else "assessment"
        st.sidebar.subheader("Conversations" if store_mode == "diagnose" else "Assessments")
        sessions.sidebar_list(res, store_mode, label)
    sessions.sync_url(ws, sessions.current(res, store_mode) if store_mode else None)
    _feedback_export(res, ws)
    return mode


def _feedback_export(res: Resources, workspace_id: str) -> None:
    """This workspace's answer ratings as CSV (built only when clicked)."""
    st.sidebar.divider()
    st.sidebar.download_button(
        "Download feedback (CSV)",
        lambda: res.store.export_feedback_csv(workspace_id),
        file_name="keysmith-feedback.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="feedback-csv",
    )


def badge(res: Resources) -> None:
    """Which model is live and why; offline adds one line on how to connect one."""
    live = res.assistant.mode
    icon = ":material/cloud_done:" if live != "offline" else ":material/cloud_off:"
    st.markdown(f"{icon} **Model:** `{live}`")
    st.caption(res.assistant.mode_reason)
    if live == "offline":
        st.caption(_OFFLINE_HINT)


def _workspace_picker(res: Resources) -> str:
    """The workspace every mode works in (a manager's own, or a client's in coach mode)."""
    current = sessions.workspace(res)
    spaces = res.store.list_workspaces()
    ids = [w.id for w in spaces]
    names = {w.id: w.name for w in spaces}
    chosen = st.selectbox("Workspace", ids, index=ids.index(current.id), format_func=lambda i: names[i])
    if chosen and chosen != current.id:
        sessions.set_workspace(chosen)
        st.rerun()
    return current.id
