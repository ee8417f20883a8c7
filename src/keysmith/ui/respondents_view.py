"""The coach's respondents: links for the people around one pilot, and where their answers disagree.

The coach makes a link per respondent (a role, an optional name, how many days it stays open). The link's
token is shown once, right after it is made (only its hash is stored), and can be revoked at any time. Once
respondents have answered, the coach sees the spread per variable, the perception gaps (roles two points or
more apart, strongest first), each named as a finding with the framework passage that explains why the
variable matters, and the combined score with how much of the picture it rests on. The numbers come from
`keysmith.report.history.respondents_data` (the same as `keysmith report WS`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from keysmith.errors import KeysmithError
from keysmith.report.doc import escape_md
from keysmith.report.history import respondents_data
from keysmith.store.records import Workspace
from keysmith.store.respondents import DEFAULT_DAYS, MAX_DAYS, Respondent
from keysmith.ui import render
from keysmith.ui.history_view import client_file_downloads
from keysmith.ui.state import Resources

_NEW_LINK = "new_respondent_link"  # (workspace id, role, link): shown once, then dropped
ROLE_HINT = "e.g. sponsor, pilot team, front line, IT"
RESPOND_PARAM = "respond"


def link_for(token: str) -> str:
    """The respondent's URL: this app's address with `?respond=<token>` (relative when it is unknown)."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{RESPOND_PARAM}={token}"


def show(res: Resources, ws: Workspace) -> None:
    """The Respondents block: new link, the list of links, then what the answers show."""
    st.markdown("#### Respondents")
    st.caption(
        "Ask the people around this pilot the same eight questions. Each gets their own link: it opens only "
        "their questions, needs no account, and expires."
    )
    _new_link(res, ws)
    respondents = res.store.list_respondents(ws.id)
    for respondent in respondents:
        _row(res, ws, respondent)
    answered = any(r.answers is not None for r in respondents)
    if answered:
        _analysis(res, ws)
    if answered or any(a.report for a in res.store.list_assessments(ws.id)):
        client_file_downloads(res, ws)  # history, what changed and respondents, as `keysmith report WS`


def _new_link(res: Resources, ws: Workspace) -> None:
    with st.form(f"respondent-{ws.id}", clear_on_submit=True):
        cols = st.columns([2, 2, 1])
        role = cols[0].text_input("Role", placeholder=ROLE_HINT)
        name = cols[1].text_input("Name (optional)")
        days = cols[2].number_input("Open for (days)", 1, MAX_DAYS, DEFAULT_DAYS, step=1)
        if st.form_submit_button("Create respondent link") and role.strip():
            try:
                made, token = res.store.create_respondent_link(ws.id, role, name, days=int(days))
            except KeysmithError as exc:
                st.error(str(exc))
            else:
                st.session_state[_NEW_LINK] = (ws.id, made.role, link_for(token))
    shown = st.session_state.pop(_NEW_LINK, None)  # shown once: the next rerun no longer has the token
    if shown and shown[0] == ws.id:
        st.success(f"Link for {escape_md(shown[1])}: copy it now, it is shown only once.")
        st.code(shown[2], language=None)


def _row(res: Resources, ws: Workspace, respondent: Respondent) -> None:
    status = respondent.status(datetime.now(UTC))
    who = escape_md(respondent.role) + (f" · {escape_md(respondent.name)}" if respondent.name else "")
    until = f" · open until {respondent.expires:%Y-%m-%d}" if status in ("waiting", "answered") else ""
    cols = st.columns([8, 2])
    cols[0].markdown(f"- **{who}** · {status}{until}")
    if status in ("waiting", "answered") and cols[1].button("Revoke", key=f"revoke-{respondent.id}"):
        res.store.revoke_respondent(ws.id, respondent.id)
        st.session_state.pop(_NEW_LINK, None)  # a revoked link's token is never shown again
        st.rerun()


def _analysis(res: Resources, ws: Workspace) -> None:
    data = respondents_data(res.store, ws.id, res.framework)
    names = {v.id: v.name for v in res.framework.variables}
    roles = data["roles"]
    table: dict[str, list[Any]] = {"variable": [names[s["variable"]] for s in data["spread"]]}
    for role in roles:
        table[f"{role['role']} ({role['respondents']})"] = [
            _cell(role["answers"].get(s["variable"])) for s in data["spread"]
        ]
    table["spread"] = [_spread(s) for s in data["spread"]]
    st.dataframe(table, hide_index=True, key=f"spread-{ws.id}")
    combined = data["combined"]
    if combined:
        scores = " · ".join(
            f"{p} **{_cell(combined['scores'][p])}** (rests on {combined['coverage'][p]:.0%} of the weight)"
            for p in ("pilot", "production")
        )
        st.markdown(f"Combined score of {combined['roles']} roles: {scores}")
    if not data["gaps"]:
        st.caption("No perception gap: no variable where the roles differ by two points or more.")
    for gap in data["gaps"]:
        _gap(res, gap)


def _cell(value: object) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, int | float) else str(value)


def _spread(item: dict[str, Any]) -> str:
    if item["min"] is None:
        return "–"
    return f"{item['min']:g}–{item['max']:g}"


def _gap(res: Resources, gap: dict[str, Any]) -> None:
    """One gap as a finding, with the variable's 'why it matters' and a framework passage on it."""
    why = gap["why"]
    st.warning(escape_md(gap["finding"]), icon=":material/compare_arrows:")  # role names are typed
    st.markdown(f"Why it matters: {escape_md(why['help'])}")
    query = f"{why.get('stall_reason_name', why['name'])}. {why.get('summary', why['help'])}"
    try:
        found = res.retriever.search(query, k=1, kind="stall_reason")
    except KeysmithError:
        found = None
    if found is None or found.abstained or not found.results:
        if why.get("source"):
            st.caption(f"Framework: {why['stall_reason_name']} ({why['source']})")
        return
    passage = found.results[0]
    with st.expander(f"Framework: {passage.heading} — {passage.source}"):
        render.quote(passage.excerpt)
