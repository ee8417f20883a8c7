"""AppTests for the coach's client file over time and with several respondents.

- Two assessments: the Assessments tab shows the trend chart, the score changes and what changed since last
  time; the advice draft carries the same "what changed" lines.
- Two respondents' links: each link opens only that respondent's eight questions (canary: nothing of the
  workspace, its notes, documents or other respondents reaches the page); their answers show a perception
  gap as a finding with a framework passage; an unknown, revoked or expired link shows one message only.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from app_support import open_app
from streamlit.testing.v1 import AppTest

from keysmith.framework import Framework
from keysmith.report.doc import escape_md
from keysmith.store import Store
from keysmith.store.history import record_assessment

CANARY = "CANARY-" + uuid.uuid4().hex[:8]


def _store(data_dir: Path) -> Store:
    return Store(f"sqlite:///{data_dir / 'keysmith.db'}")


def _texts(at: AppTest) -> str:
    """Every text the page shows (markdown, captions, alerts, titles, labels)."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "title", "header", "subheader", "text")
        for e in at.get(kind)
    ]
    parts += [str(e.value) for kind in ("error", "warning", "success", "info") for e in at.get(kind)]
    parts += [w.label for w in at.radio] + [b.label for b in at.button] + [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


def _coach(ws_id: str) -> AppTest:
    at = open_app(ws=ws_id, mode="coach")
    assert not at.exception, at.exception
    return at


def test_two_assessments_show_deltas_trend_chart_and_what_changed(
    app_env: Path, framework: Framework
) -> None:
    store = _store(app_env)
    ws = store.create_workspace(f"History client {uuid.uuid4().hex[:6]}")
    base = dict.fromkeys(framework.variable_ids, 2)
    record_assessment(store, ws.id, base | {"governance": 1}, framework)
    record_assessment(store, ws.id, base | {"governance": 4}, framework)
    store.close()
    at = _coach(ws.id)
    assert len(at.get("vega_lite_chart")) == 1  # the trend chart
    text = _texts(at)
    assert "What changed since last time" in text
    assert "Governance rose from 1 to 4 (out of 5). [score]" in text
    assert "Production readiness went from" in text
    scores = at.dataframe[0].value
    assert list(scores["#"]) == ["#1", "#2"] and scores["Δ prod. (prev.)"][1].startswith("+")
    next(b for b in at.button if b.label == "Draft advice").click().run()
    assert not at.exception, at.exception
    body = next(t for t in at.text_area if t.label == "Draft text").value
    assert "## What changed since last time" in body
    assert "Governance rose from 1 to 4 (out of 5). [score]" in body


def test_one_assessment_has_no_chart_and_says_what_a_second_would_show(
    app_env: Path, framework: Framework
) -> None:
    store = _store(app_env)
    ws = store.create_workspace(f"One assessment {uuid.uuid4().hex[:6]}")
    record_assessment(store, ws.id, dict.fromkeys(framework.variable_ids, 3), framework)
    store.close()
    at = _coach(ws.id)
    assert at.get("vega_lite_chart") == []
    assert "Take a second assessment with this client" in _texts(at)


def _create_link(at: AppTest, role: str, name: str = "") -> tuple[AppTest, str]:
    next(t for t in at.text_input if t.label == "Role").set_value(role)
    next(t for t in at.text_input if t.label == "Name (optional)").set_value(name)
    next(b for b in at.button if b.label == "Create respondent link").click().run()
    assert not at.exception, at.exception
    link = at.get("code")[-1].value
    assert f"Link for {escape_md(role)}" in _texts(at)
    return at, link.split("?respond=")[1]


def _answer(token: str, values: dict[str, str]) -> AppTest:
    page = open_app(respond=token)
    for radio in page.radio:
        variable = radio.key.removeprefix("respond-")
        radio.set_value(values.get(variable, "3"))
    next(b for b in page.button if b.label == "Send my answers").click().run()
    assert not page.exception, page.exception
    return page


def test_two_respondent_links_open_only_their_questions_and_show_a_gap(
    app_env: Path, framework: Framework
) -> None:
    store = _store(app_env)
    ws = store.create_workspace(f"{CANARY} workspace")
    store.add_note(ws.id, f"{CANARY} note: the sponsor is leaving")
    store.add_respondent_answers(ws.id, f"{CANARY} role", {"economics": 5}, name=f"{CANARY} person")
    store.close()
    at, sponsor = _create_link(_coach(ws.id), "Sponsor", "Dana")
    at, front = _create_link(at, "Front line")
    assert sponsor != front

    page = open_app(respond=sponsor)
    shown = _texts(page)
    assert "You are answering as **Sponsor (Dana)**" in shown
    assert len(page.radio) == len(framework.variables) == 8
    assert CANARY not in shown and "Front line" not in shown  # nothing else of the workspace
    assert page.sidebar.children == {}  # no sidebar: no workspace picker, no sessions, no model badge
    assert page.get("selectbox") == [] and page.get("chat_input") == [] and page.get("tabs") == []

    done = _answer(sponsor, {"change_management": "4"})
    assert any("answers recorded" in s.value for s in done.success)
    _answer(front, {"change_management": "1"})

    at = _coach(ws.id)
    text = _texts(at)
    assert "Perception gap on Change management" in text and "3 points apart" in text
    assert "Why it matters:" in text
    assert any(e.label.startswith("Framework: ") for e in at.expander)  # the passage that explains it
    assert "Combined score of 3 roles" in text
    labels = [b.label for b in at.main.get("download_button")]
    assert "Download client file (PDF)" in labels and "Download client file (Markdown)" in labels


@pytest.mark.parametrize("kind", ["unknown", "revoked", "expired", "empty"])
def test_a_dead_link_shows_one_message_and_nothing_else(app_env: Path, kind: str) -> None:
    store = _store(app_env)
    ws = store.create_workspace(f"{CANARY} dead links {kind}")
    made, token = store.create_respondent_link(ws.id, f"{CANARY} role", days=1)
    if kind == "revoked":
        store.revoke_respondent(ws.id, made.id)
    elif kind == "expired":
        from sqlalchemy import update

        from keysmith.store.tables import RespondentRow

        with store._tx() as db:
            db.execute(update(RespondentRow).where(RespondentRow.id == made.id).values(expires=made.created))
    elif kind == "unknown":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        token = ""
    store.close()
    page = open_app(respond=token)
    assert [e.value for e in page.error] == [
        "This link does not open a questionnaire: it has expired, was revoked, or is incomplete. "
        "Ask the person who sent it for a new link."
    ]
    assert page.radio == [] and page.button == [] and CANARY not in _texts(page)


def test_revoking_a_link_in_the_coach_page_closes_it(app_env: Path) -> None:
    store = _store(app_env)
    ws = store.create_workspace(f"Revoke {uuid.uuid4().hex[:6]}")
    store.close()
    at, token = _create_link(_coach(ws.id), "IT [see](https://evil.example)")
    assert "Link for IT \\[see\\](https://evil.example)" in _texts(at)  # a typed role is text, not a link
    next(b for b in at.button if b.label == "Revoke").click().run()
    assert not at.exception, at.exception
    assert "**IT \\[see\\](https://evil.example)** · revoked" in _texts(at)
    assert open_app(respond=token).error


def test_a_new_link_is_shown_once_and_not_again_after_a_rerun_or_revoke(app_env: Path) -> None:
    store = _store(app_env)
    ws = store.create_workspace(f"Shown once {uuid.uuid4().hex[:6]}")
    store.close()
    at, token = _create_link(_coach(ws.id), "Sponsor")
    at.run()  # any rerun: the token is no longer on the page
    assert not at.exception, at.exception
    assert all(token not in c.value for c in at.get("code")) and "Link for Sponsor" not in _texts(at)
    at, token = _create_link(at, "Front line")
    next(b for b in at.button if b.label == "Revoke").click().run()
    assert not at.exception, at.exception
    assert all(token not in c.value for c in at.get("code")) and "Link for Front line" not in _texts(at)


def test_a_busy_database_on_save_is_not_called_a_dead_link(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keysmith.errors import StoreError
    from keysmith.ui.respond_page import INVALID, SAVE_FAILED

    store = _store(app_env)
    ws = store.create_workspace(f"Busy {uuid.uuid4().hex[:6]}")
    _, token = store.create_respondent_link(ws.id, "Sponsor")
    store.close()

    def busy(self: Store, token: str, answers: object) -> None:
        raise StoreError("database is locked")

    monkeypatch.setattr(Store, "save_respondent_answers", busy)
    page = open_app(respond=token)
    page.radio[0].set_value("4")
    next(b for b in page.button if b.label == "Send my answers").click().run()
    assert not page.exception, page.exception
    assert [e.value for e in page.error] == [SAVE_FAILED] and INVALID not in _texts(page)
    assert page.radio[0].value == "4" and page.success == []  # what the respondent chose is kept


def test_the_scale_is_written_out_and_the_thanks_on_top_counts_the_blanks(
    app_env: Path, framework: Framework
) -> None:
    store = _store(app_env)
    ws = store.create_workspace(f"Phone {uuid.uuid4().hex[:6]}")
    _, token = store.create_respondent_link(ws.id, "Sponsor")
    store.close()
    page = open_app(respond=token)
    captions = [c.value for c in page.caption]
    for variable in framework.variables:  # on the page, not only in a tooltip (touch screens have no hover)
        scale = f"1 = {escape_md(variable.anchor_1)}  \n5 = {escape_md(variable.anchor_5)}"
        assert scale in captions, variable.id
    page.radio[0].set_value("4")
    page.radio[1].set_value("Don't know")
    page.radio[2].set_value("2")
    next(b for b in page.button if b.label == "Send my answers").click().run()
    assert not page.exception, page.exception
    (thanks,) = page.success
    assert thanks.value.startswith("Thank you: 3 answers recorded; 5 questions left blank."), thanks.value
    nodes = list(page.main)
    position = next(i for i, n in enumerate(nodes) if n is thanks)
    assert position < next(i for i, n in enumerate(nodes) if n is page.radio[0])  # above the questions
