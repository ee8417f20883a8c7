"""Page set-up, the mode switch at the top of the page, the sidebar (model badge, workspace, sessions) and
the mode dispatch.

Fast start: the page, the mode switch and (in Diagnose) the chat box are drawn before the assistant has
loaded — it loads in a background thread (`state.assistant_loading`), started once the chat box is drawn —
so a first visitor can type at once; a question typed meanwhile is kept and answered as soon as loading
ends. The mode switch sits at the
top of the page rather than in the sidebar, so on a phone (where the sidebar starts closed) it is in reach
and picking a mode never leaves a sidebar open over the page. The page modules are imported only when
their mode is shown (the PDF and chart libraries stay out of the chat's start-up). A configuration or
start-up failure (bad .env value, unreachable database or index) is one plain sentence with what to do,
never a traceback.
"""

from __future__ import annotations

import streamlit as st

from keysmith.config import Settings
from keysmith.errors import KeysmithError
from keysmith.ui import sessions, state
from keysmith.ui.state import Resources

_OFFLINE_HINT = (
    "To connect a model, set `KEYSMITH_MODEL` "
    "(e.g. `openai:gpt-4o-mini`) or `OPENAI_API_KEY` in `.env` and restart."
)
# The switch's labels: short enough that the three fit side by side on a 390 px phone.
_SWITCH_LABELS = {
    state.MODES[0]: ":material/forum: Diagnose",
    state.MODES[1]: ":material/checklist: Self-assessment",
    state.MODES[2]: ":material/school: Coach",
}


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
    try:
        settings = Settings.from_env()
        sessions.restore_from_url(state.store(settings))
    except KeysmithError as exc:
        _start_failed(exc)
        return
    mode = mode_switch()
    st.header(mode)
    if not state.loading_ended(settings) and mode == state.MODES[0]:
        from keysmith.ui import chat

        # The chat box now, then loading starts; the page reruns once it has ended.
        chat.render_while_loading(lambda: state.assistant_loading(settings))
    try:
        with st.spinner("Starting Keysmith: loading the framework and the knowledge index…"):
            res = state.resources(settings)
    except KeysmithError as exc:
        _start_failed(exc)
        return
    _sidebar(res, badge_slot, mode)
    try:
        _dispatch(res, mode)
    except KeysmithError as exc:  # store or index trouble mid-page: plain words, the page stays usable
        st.error(str(exc))


def _start_failed(exc: KeysmithError) -> None:
    st.title("Keysmith")
    st.error(f"Keysmith could not start: {exc}")
    st.info("If the knowledge index is missing, run `keysmith index` (or `make run`), then reload.")


def mode_switch() -> str:
    """The three modes as one segmented control at the top of the page; returns the chosen mode."""
    if st.session_state.get(state.MODE) not in state.MODES:
        st.session_state[state.MODE] = state.MODES[0]
    chosen = st.segmented_control(
        "Mode",
        state.MODES,
        key=state.MODE,
        required=True,
        format_func=_SWITCH_LABELS.__getitem__,
        label_visibility="collapsed",
    )
    return str(chosen or state.MODES[0])


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


def _sidebar(res: Resources, slot: st.delta_generator.DeltaGenerator, mode: str) -> None:
    """Model badge, workspace picker and the session list of `mode`."""
    with slot:
        badge(res)
        ws = _workspace_picker(res)
    store_mode = sessions.STORE_MODE.get(mode)
    if store_mode is not None:
        label = "conversation" if store_mode == "diagnose" else "assessment"
        st.sidebar.subheader("Conversations" if store_mode == "diagnose" else "Assessments")
        sessions.sidebar_list(res, store_mode, label)
    sessions.sync_url(ws, sessions.current(res, store_mode) if store_mode else None)
    _feedback_export(res, ws)


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
    """Which model is live, and why when that is news: a model the user named in KEYSMITH_MODEL needs no
    explanation, one Keysmith chose (or could not set up) does. Offline adds how to connect one."""
    live = res.assistant.mode
    icon = ":material/cloud_done:" if live != "offline" else ":material/cloud_off:"
    st.markdown(f"{icon} **Model:** `{live}`")
    if not res.settings.model or res.assistant.startup_notice:
        st.caption(res.assistant.mode_reason)
    if live == "offline":
        st.caption(_OFFLINE_HINT)


def _workspace_picker(res: Resources) -> str:
    """The workspace every mode works in (a manager's own, or a client's in coach mode); the coach page has
    its own picker on the page (phones hide the sidebar), kept in sync through the same session-state key."""
    return sessions.workspace_picker(res, "Workspace", key="workspace-picker-sidebar").id
