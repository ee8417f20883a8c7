"""*Coach*: a workspace per client — notes, the client's assessments, documents, and advice drafts.

Documents are indexed for their workspace only (retrieval filters by `workspace_id`), so one client's
material can never surface in another's answers. A draft is edited here and approved by the coach; only an
approved draft can be downloaded (`keysmith.report` builds the files).
"""

from __future__ import annotations

import streamlit as st

from keysmith.errors import KeysmithError
from keysmith.ingest import delete_client_document, index_client_document
from keysmith.limits import check_upload
from keysmith.store.records import Workspace
from keysmith.ui import advice_view, sessions, state
from keysmith.ui.extract import SUFFIXES, extract_text
from keysmith.ui.state import Resources


def render_page(res: Resources) -> None:
    """Workspace management on top, then the client's material in tabs."""
    ws = sessions.workspace(res)
    _manage_workspaces(res, ws)
    st.subheader(f"Client: {ws.name}")
    notes, assessments, documents, drafts = st.tabs(["Notes", "Assessments", "Documents", "Draft advice"])
    with notes:
        _notes(res, ws)
    with assessments:
        _assessments(res, ws)
    with documents:
        _documents(res, ws)
    with drafts:
        advice_view.render_drafts(res, ws)


def _manage_workspaces(res: Resources, ws: Workspace) -> None:
    with st.expander("Client workspaces", expanded=ws.is_default):
        with st.form("new-workspace", clear_on_submit=True, border=False):
            name = st.text_input("New client workspace", placeholder="e.g. Northwind Logistics")
            if st.form_submit_button("Create workspace") and name.strip():
                created = res.store.create_workspace(name)
                sessions.set_workspace(created.id)
                st.rerun()
        if ws.is_default:
            st.caption("Your own workspace can be used but not renamed or deleted; create one per client.")
            return
        new_name = st.text_input("Rename this workspace", value=ws.name, key=f"rename-{ws.id}")
        if st.button("Rename", key=f"rename-btn-{ws.id}") and new_name.strip() and new_name != ws.name:
            res.store.rename_workspace(ws.id, new_name)
            st.rerun()
        sure = st.checkbox(f"Yes, delete {ws.name!r} and everything in it", key=f"sure-{ws.id}")
        if st.button("Delete workspace", key=f"delete-ws-{ws.id}", disabled=not sure, type="primary"):
            _delete_workspace(res, ws)


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


def _start_assessment(workspace_id: str) -> None:
    st.session_state[state.MODE] = state.MODES[1]
    sessions.select("assessment", None, workspace_id)


def _documents(res: Resources, ws: Workspace) -> None:
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
    limit_mb = res.settings.max_upload_bytes / 1_048_576
    upload = st.file_uploader(
        f"Add a client document (PDF, DOCX, Markdown or text; up to {limit_mb:.1f} MB)",
        type=list(SUFFIXES),
        key=f"upload-{ws.id}",
    )
    if upload is not None and st.button("Index document", key=f"index-{ws.id}"):
        _index_upload(res, ws, upload.name, upload.getvalue())


def _index_upload(res: Resources, ws: Workspace, name: str, data: bytes) -> None:
    try:
        check_upload(name, len(data), res.settings.max_upload_bytes)
        text = extract_text(name, data)
        with st.spinner(f"Indexing {name}…"):
            chunks = index_client_document(res.settings, ws.id, name, text)
        res.store.add_document(ws.id, name, len(data), chunks)
    except KeysmithError as exc:
        st.error(str(exc))
        return
    st.success(f"{name}: {chunks} passages indexed for {ws.name} only.")
