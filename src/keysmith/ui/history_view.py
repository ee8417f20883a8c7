"""The coach's view of a client's assessments over time: the trend chart, the scores and their changes, the
answers per variable, and what changed since last time.

Everything shown comes from `store.history.workspace_history` (the completed assessments of this workspace
only) through the same tables and chart as the report (`keysmith.report.history`), so the page and the
downloaded client file never disagree.
"""

from __future__ import annotations

import streamlit as st

from keysmith.assessment.history import change_lines, with_changes
from keysmith.report.doc import Table
from keysmith.report.history import (
    history_table,
    trend_chart,
    variable_table,
    workspace_data,
    workspace_markdown,
    workspace_pdf,
)
from keysmith.store.history import workspace_history
from keysmith.store.records import Workspace
from keysmith.ui.state import Resources


def show_table(table: Table, key: str) -> None:
    """A report table as a Streamlit table (columns by header, cells as text)."""
    columns = {header: [row[i] for row in table.rows] for i, header in enumerate(table.header)}
    st.dataframe(columns, hide_index=True, key=key)


def show(res: Resources, ws: Workspace) -> None:
    """The history block of the Assessments tab; a hint when there is nothing to compare yet."""
    history = workspace_history(res.store, ws.id)
    st.markdown("#### Over time")
    if len(history) < 2:
        st.caption(
            "Take a second assessment with this client to see what changed: the change per variable and per "
            "score since the previous one and since the first, and a trend chart."
        )
        if not history:
            return
    items = [entry.to_dict() for entry in history]
    names = {v.id: v.name for v in res.framework.variables}
    if len(history) >= 2:
        st.altair_chart(trend_chart(items), width="stretch")
    show_table(history_table(items), key=f"history-scores-{ws.id}")
    show_table(variable_table(items, names), key=f"history-variables-{ws.id}")
    changed = change_lines(history, names)
    if changed:
        st.markdown("**What changed since last time**")
        for line in changed:
            st.markdown(f"- {line}")


def client_file_downloads(res: Resources, ws: Workspace) -> None:
    """The client file (history, what changed, respondents) as PDF and Markdown, the same as
    `keysmith report WS`; built only when clicked."""
    stem = f"keysmith-client-{ws.id[:8]}"
    cols = st.columns(2)
    cols[0].download_button(
        "Download client file (PDF)",
        lambda: workspace_pdf(workspace_data(res.store, ws, res.framework), res.framework),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        on_click="ignore",
        icon=":material/download:",
        key=f"client-pdf-{ws.id}",
    )
    cols[1].download_button(
        "Download client file (Markdown)",
        lambda: workspace_markdown(workspace_data(res.store, ws, res.framework), res.framework),
        file_name=f"{stem}.md",
        mime="text/markdown",
        on_click="ignore",
        icon=":material/download:",
        key=f"client-md-{ws.id}",
    )


def draft_with_changes(res: Resources, ws: Workspace, body: str) -> str:
    """An advice draft's body with "what changed since last time" (from this workspace's assessments)."""
    names = {v.id: v.name for v in res.framework.variables}
    return with_changes(body, change_lines(workspace_history(res.store, ws.id), names))
