"""*Coach*: a workspace per client — its chat, notes, the client's assessments, documents, and advice drafts.

The chat is the workspace's own conversation (the same chat as *Diagnose my pilot*, in this workspace), so a
question the client's documents answer cites them without leaving the coach page.

Documents are indexed for their workspace only (retrieval filters by `workspace_id`), so one client's
material can never surface in another's answers. A draft is edited here and approved by the coach; only an
approved draft can be downloaded (`keysmith.report` builds the files).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st

from keysmith.errors import KeysmithError
from keysmith.ingest import delete_client_document
from keysmith.ingest.extract import SUFFIXES
from keysmith.ingest.upload import add_document
from keysmith.store.records import Workspace
from keysmith.ui import advice_view, history_view, respondents_view, sessions, state
from keysmith.ui.state import Resources

_UPLOAD_NOTE = "upload_note_"  # + workspace id: what the last upload did, shown once after the rerun


def render_page(res: Resources) -> None:
    """The client picker and workspace management on top (on the page itself: a phone hides the sidebar
    and its picker), then the client's material in tabs (`_TABS`: one function per tab)."""
    ws = sessions.workspace_picker(res, "Client workspace", key="workspace-picker-coach")
    _manage_workspaces(res, ws)
    st.subheader(f"Client: {ws.name}")
    for tab, (_label, show) in zip(st.tabs([label for label, _ in _TABS]), _TABS, strict=True):
        with tab:
            show(res, ws)


def _chat(res: Resources, ws: Workspace) -> None:
    from keysmith.ui import chat  # the chat's libraries load only on the coach page that shows it

    st.caption(f"Ask about {ws.name}: answers cite this client's documents beside the framework.")
    chat.render_page(res)


def _manage_workspaces(res: Resources, ws: Workspace) -> None:
    with st.expander("Client workspaces", expanded=ws.is_default):
        with st.form("new-workspace", clear_on_submit=True, border=False):
            name = st.text_input("New client workspace", placeholder="e.g. Northwind Logistics")
            if st.form_submit_button("Create workspace") and name.strip():
                _create_workspace(res, name)
        if ws.is_default:
            st.caption("Your own workspace can be used but not renamed or deleted; create one per client.")
            return
        new_name = st.text_input("Rename this workspace", value=ws.name, key=f"rename-{ws.id}")
        if st.button("Rename", key=f"rename-btn-{ws.id}") and new_name.strip() and new_name != ws.name:
            try:
                res.store.rename_workspace(ws.id, new_name)
            except KeysmithError as exc:  # a name another workspace has: said, nothing renamed
                st.error(f"Not renamed: {exc}.")
            else:
                st.rerun()
        sure = st.checkbox(f"Yes, delete {ws.name!r} and everything in it", key=f"sure-{ws.id}")
        if st.button("Delete workspace", key=f"delete-ws-{ws.id}", disabled=not sure, type="primary"):
            _delete_workspace(res, ws)


def _create_workspace(res: Resources, name: str) -> None:
    """Create the workspace `name` and switch to it; a name already taken (any case) is refused with an
    error naming it, and the tab stays where it was."""
    try:
        created = res.store.create_workspace(name)
    except KeysmithError as exc:
        st.error(f"Not created: {exc}. Pick it in the workspace list, or choose another name.")
        return
    sessions.set_workspace(created.id)
    st.rerun()


def _delete_workspace(res: Resources, ws: Workspace) -> None:
    for document in res.store.list_documents(ws.id):
        delete_client_document(res.settings, ws.id, document.name)
    res.store.delete_workspace(ws.id)
    sessions.set_workspace(res.store.default_workspace().id)
    st.rerun()


def _notes(res: Resources, ws: Workspace) -> None:
    for note in res.store.list_notes(ws.id):
        cols = st.columns([10, 1])
        cols[0].text(note.body)  # the coach's own words, verbatim
        if cols[1].button("", key=f"del-note-{note.id}", help="Delete note", icon=":material/delete:"):
            res.store.delete_note(ws.id, note.id)
            st.rerun()
    with st.form(f"note-{ws.id}", clear_on_submit=True):
        body = st.text_area("Add a note", placeholder="What you heard in the last session, in your words.")
        if st.form_submit_button("Add note") and body.strip():
            res.store.add_note(ws.id, body)
            st.rerun()


def _assessments(res: Resources, ws: Workspace) -> None:
    found = res.store.list_assessments(ws.id)
    if not found:
        st.write("No assessment for this client yet.")
    for item in found:
        report = item.report or {}
        scores = {
            pid: (report.get("profiles", {}).get(pid) or {}).get("score") for pid in ("pilot", "production")
        }
        done = "complete" if item.report else "in progress"
        st.markdown(
            f"- {item.updated:%Y-%m-%d %H:%M} UTC · {done} · pilot **{scores['pilot']}** · "
            f"production **{scores['production']}**"
        )
    st.button("Take an assessment for this client", on_click=_start_assessment, args=(ws.id,))
    history_view.show(res, ws)  # over time: trend chart, changes, what changed since last time
    respondents_view.show(res, ws)  # respondent links, spread, perception gaps, combined score


def _start_assessment(workspace_id: str) -> None:
    st.session_state[state.MODE] = state.MODES[1]
    sessions.select("assessment", None, workspace_id)


def _documents(res: Resources, ws: Workspace) -> None:
    note = st.session_state.pop(_UPLOAD_NOTE + ws.id, None)
    if note is not None:
        unchanged, message = note
        (st.info if unchanged else st.success)(message)
    for document in res.store.list_documents(ws.id):
        cols = st.columns([10, 1])
        cols[0].markdown(
            f":material/description: `{document.name}` · {document.size / 1024:.0f} KB · "
            f"{document.chunks} passages"
        )
        if cols[1].button("", key=f"del-doc-{document.id}", help="Remove document", icon=":material/delete:"):
            delete_client_document(res.settings, ws.id, document.name)
            res.store.delete_document(ws.id, document.id)
            st.rerun()
    limit = res.settings.max_upload_bytes
    upload = st.file_uploader(
        f"Add a client document (PDF, DOCX, Markdown or text; up to {limit / 1_048_576:.1f} MB)",
        type=list(SUFFIXES),
        key=f"upload-{ws.id}",
        # The widget's own limit is the enforced one (KEYSMITH_MAX_UPLOAD_BYTES, whole MB, rounded up);
        # `add_document` checks the exact byte count again.
        max_upload_size=max(1, math.ceil(limit / 1_048_576)),
    )
    if upload is not None and st.button("Index document", key=f"index-{ws.id}"):
        _index_upload(res, ws, upload.name, upload.getvalue())


def _index_upload(res: Resources, ws: Workspace, name: str, data: bytes) -> None:
    try:
        with st.spinner(f"Indexing {name}…"):
            done = add_document(res.settings, res.store, ws.id, name, data)
    except KeysmithError as exc:
        st.error(str(exc))
        return
    # Shown after the rerun, so the document list above already includes (or still lists once) the file.
    st.session_state[_UPLOAD_NOTE + ws.id] = (done.unchanged, done.message)
    st.rerun()


Tab = Callable[[Resources, Workspace], None]
_TABS: tuple[tuple[str, Tab], ...] = (
    ("Chat", _chat),
    ("Notes", _notes),
    ("Assessments", _assessments),
    ("Documents", _documents),
    ("Draft advice", advice_view.render_drafts),
)
