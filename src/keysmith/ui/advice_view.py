"""The coach's "Draft advice" tab: draft, edit, approve, then download (Markdown or PDF).

Editing an approved draft un-approves it (the store enforces that), so what is exported is always exactly
the text the coach signed off.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import streamlit as st

from keysmith.store.records import Draft, Workspace
from keysmith.ui import history_view, render, report_downloads
from keysmith.ui.advice_draft import AdviceDraft, compose
from keysmith.ui.state import Resources

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

_KINDS = {"memo": "Memo", "email": "Email"}
_OPEN = "open_draft"
_NOTICE = "draft_notice_"  # + draft id: why the model's draft was changed, or why it is the offline one


def render_drafts(res: Resources, ws: Workspace) -> None:
    """Create a draft from the client's material, or open one to edit and approve."""
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    kind = left.radio(
        "Kind", list(_KINDS), format_func=_KINDS.__getitem__, horizontal=True, key=f"kind-{ws.id}"
    )
    if right.button("Draft advice", key=f"draft-{ws.id}", type="primary"):
        _create(res, ws, str(kind))
    drafts = res.store.list_drafts(ws.id)
    if not drafts:
        st.caption(
            "No drafts yet. A draft uses this client's latest assessment, your notes and their documents."
        )
        return
    ids = [d.id for d in drafts]
    wanted = st.session_state.get(_OPEN)
    labels = {d.id: _label(d) for d in drafts}
    chosen = st.selectbox(
        "Drafts",
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        # The labels are part of the key: a browser keeps a keyed selectbox's old option labels, so after
        # Approve the list said "draft" until a reload (issue 13, item 9). A new key draws it afresh, and
        # `_OPEN` keeps the coach's choice across that.
        key=f"drafts-{ws.id}-{_digest(labels)}",
        format_func=labels.__getitem__,
    )
    st.session_state[_OPEN] = chosen
    _editor(res, ws, next(d for d in drafts if d.id == chosen))


def _digest(labels: dict[str, str]) -> str:
    """A short fingerprint of the listed drafts and their labels (status and time)."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode("utf-8")).hexdigest()[:12]


def _label(draft: Draft) -> str:
    status = "approved" if draft.approved else "draft"
    return f"{draft.title or _KINDS[draft.kind]} · {draft.updated:%Y-%m-%d %H:%M} · {status}"


def _create(res: Resources, ws: Workspace, kind: str) -> None:
    complete = [a for a in res.store.list_assessments(ws.id) if a.report]
    notes = [n.body for n in res.store.list_notes(ws.id)]
    report = complete[0].report if complete else None
    with st.spinner("Drafting…"):
        made = compose(kind, ws.name, report, notes, res.framework, res.retriever, ws.id)
        body, sources, notice = made.body, made.sources, None
        model = res.assistant.model
        if model is not None:
            body, sources, notice = _model_draft(res, model, ws, (kind, report, notes), made)
    body = history_view.draft_with_changes(res, ws, body)  # "what changed since last time" [score] lines
    saved = res.store.save_draft(ws.id, kind, body, title=made.title, sources=sources)
    st.session_state[_OPEN] = saved.id
    if notice:
        st.session_state[_NOTICE + saved.id] = notice
    st.rerun()


def _model_draft(
    res: Resources,
    model: BaseChatModel,
    ws: Workspace,
    material: tuple[str, dict[str, Any] | None, list[str]],
    offline: AdviceDraft,
) -> tuple[str, list[dict[str, Any]], str | None]:
    """The model's checked draft (or the offline one, with the reason, when the provider fails).

    `material` is (kind, latest report or None, notes); the notice always says where the draft came from.
    """
    from keysmith.advice import draft_advice_with_model, gather_passages

    kind, report, notes = material
    topics = [f["name"] for f in (report or {}).get("stall_reasons", [])[:3]]
    queries = [*topics, *notes[:2]] or ["why AI rollouts stall after a successful pilot"]
    passages = gather_passages(res.retriever, [s["id"] for s in offline.sources], ws.id, queries)
    made = draft_advice_with_model(
        model,
        kind=kind,
        client=ws.name,
        report=report,
        notes=notes,
        passages=passages,
        offline_draft=offline.body,
        offline_sources=offline.sources,
        spec=res.assistant.mode,
        # Only the reasons the client file supports may be named (the offline draft found them).
        unsupported_reasons=[r.name for r in res.framework.stall_reasons if r.id not in offline.reasons],
    )
    if made.offline:
        return made.body, made.sources, made.notice
    lead = f"Drafted by the language model ({res.assistant.mode}); check every claim before you approve."
    return made.body, made.sources, " ".join(n for n in (lead, made.notice) if n)


def _editor(res: Resources, ws: Workspace, draft: Draft) -> None:
    st.caption(
        "Labels: [framework] cited passage · [client document] their files · [score] the scoring engine · "
        "[coach judgment] your view. Edit freely, then approve."
    )
    notice = st.session_state.get(_NOTICE + draft.id)
    if notice:
        st.warning(notice)
    body = st.text_area(
        "Draft text", value=draft.body, height=420, key=f"body-{draft.id}-{draft.updated:%s%f}"
    )
    cols = st.columns(3)
    if cols[0].button("Save edits", key=f"save-{draft.id}") and body != draft.body:
        res.store.save_draft(ws.id, draft.kind, body, draft_id=draft.id, title=draft.title)
        st.rerun()
    if cols[1].button("Approve", key=f"approve-{draft.id}", type="primary"):
        if body != draft.body:
            res.store.save_draft(ws.id, draft.kind, body, draft_id=draft.id, title=draft.title)
        res.store.approve_draft(ws.id, draft.id)
        st.rerun()
    if cols[2].button("Delete draft", key=f"delete-draft-{draft.id}"):
        res.store.delete_draft(ws.id, draft.id)
        st.session_state.pop(_OPEN, None)
        st.rerun()
    with st.expander("Preview"):
        render.markdown(draft.body)
    _sources(draft)
    if draft.approved:
        st.success(f"Approved {draft.approved_at:%Y-%m-%d %H:%M} UTC — ready to export.")
        report_downloads.advice(draft, ws.name, key=draft.id)
    else:
        st.info("Approve the draft to download it as Markdown or PDF.")


def _sources(draft: Draft) -> None:
    for number, source in enumerate(draft.sources, start=1):
        with st.expander(f"[{number}] {source.get('heading', '')} — {source.get('source', '')}"):
            render.quote(str(source.get("excerpt", "")))
