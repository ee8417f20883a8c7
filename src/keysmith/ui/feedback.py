"""Thumbs up/down with an optional reason under each assistant answer, stored through `Store.add_feedback`.

The thumbs and the reason sit in one small form so that one submission is one feedback row (the CSV export
then counts each rating once). An answer that already has feedback shows what was recorded instead of the
form.
"""

from __future__ import annotations

import streamlit as st

from keysmith.errors import KeysmithError
from keysmith.ui.state import Resources

_RATINGS = {0: "down", 1: "up"}
_ICONS = {"up": ":material/thumb_up:", "down": ":material/thumb_down:"}


def given(res: Resources, workspace_id: str) -> dict[str, str]:
    """Message id -> rating already recorded in this workspace (the latest wins)."""
    return {feedback.message_id: feedback.rating for feedback, _ in res.store.list_feedback(workspace_id)}


def widget(res: Resources, workspace_id: str, session_id: str, message_id: str, recorded: str | None) -> None:
    """The feedback form for one answer, or a one-line note of what was recorded."""
    if recorded is not None:
        st.caption(f"Feedback recorded {_ICONS.get(recorded, recorded)} — thank you.")
        return
    with st.form(key=f"feedback-{message_id}", border=False):
        cols = st.columns([1, 4, 1], vertical_alignment="bottom")
        with cols[0]:
            choice = st.feedback("thumbs", key=f"thumbs-{message_id}")
        with cols[1]:
            reason = st.text_input(
                "Reason (optional)", key=f"reason-{message_id}", placeholder="What was good or missing?"
            )
        with cols[2]:
            sent = st.form_submit_button("Send feedback")
    if not sent:
        return
    if choice is None:
        st.warning("Pick thumbs up or down first, then send.")
        return
    try:
        res.store.add_feedback(workspace_id, session_id, message_id, _RATINGS[choice], reason)
    except KeysmithError as exc:
        st.error(f"Feedback could not be saved: {exc}")
        return
    st.rerun()
