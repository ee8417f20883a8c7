"""The respondent's page, opened by a link `?respond=<token>`: the eight questions for that respondent only.

Nothing else of the app is drawn: no sidebar, no mode switch, no workspace, no other respondent, no scores.
The token is checked by the store (hash lookup, constant-time comparison, expiry, revocation) on every run
and again when answers are saved, so a link revoked while the form is open cannot write. An unknown,
expired or revoked token shows one message and nothing more, the same message for each, so a guesser
learns nothing. No account is needed: the link is the credential, and it opens one respondent's form.
Only the store and the framework are loaded (not the assistant or the index), so the page opens fast.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import streamlit as st

from keysmith.config import Settings
from keysmith.errors import InvalidLinkError, KeysmithError

if TYPE_CHECKING:
    from keysmith.framework import Framework
    from keysmith.store import Store
    from keysmith.store.respondents import Respondent

PARAM = "respond"
INVALID = (
    "This link does not open a questionnaire: it has expired, was revoked, or is incomplete. "
    "Ask the person who sent it for a new link."
)
SAVE_FAILED = "Could not save your answers, please try again: what you entered is still here."
_DONT_KNOW = "Don't know"
_OPTIONS = ("1", "2", "3", "4", "5", _DONT_KNOW)


@st.cache_resource(show_spinner=False)
def _store(key: str, _settings: Settings) -> Store:
    # Keyed by a digest of the database URL (it may hold a password, which must not be a cache key).
    from keysmith.store import Store

    _settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.from_settings(_settings)


@st.cache_resource(show_spinner=False)
def _framework(directory: str) -> Framework:
    from pathlib import Path

    from keysmith.framework import load_framework

    return load_framework(Path(directory))


def requested() -> bool:
    """True when the URL carries a respondent link (the app then draws only this page)."""
    return PARAM in st.query_params


def render() -> None:
    """The respondent's questions, or one message when the link opens nothing."""
    token = str(st.query_params.get(PARAM) or "")
    try:
        settings = Settings.from_env()
        key = hashlib.sha256(settings.resolved_database_url.encode()).hexdigest()
        store = _store(key, settings)
        respondent = store.open_respondent_link(token)
        framework = _framework(str(settings.framework_dir))
    except KeysmithError:
        st.error("The questionnaire cannot be opened right now. Please try again later.")
        return
    st.title("A few questions about the AI rollout")
    if respondent is None:
        st.error(INVALID)
        return
    _form(store, framework, token, respondent)


def _form(store: Store, framework: Framework, token: str, respondent: Respondent) -> None:
    # Imported here: `keysmith.report` loads the PDF and chart libraries (about a second), and app.py
    # imports this module on every start to check for a respondent link.
    from keysmith.report.doc import escape_md

    who = escape_md(respondent.role) + (f" ({escape_md(respondent.name)})" if respondent.name else "")
    st.markdown(f"You are answering as **{who}**. Your answers are seen by the coach who sent this link.")
    st.caption(
        'Rate each from 1 (weak) to 5 (strong), or choose "Don\'t know": a guess would blur the picture. '
        f"You can change your answers until the link expires on {respondent.expires:%Y-%m-%d}."
    )
    notice = st.container()  # what sending did, shown above the questions where the respondent sees it
    given = respondent.answers or {}
    with st.form("respond"):
        choices: dict[str, str | None] = {}
        for variable in framework.variables:
            previous = given.get(variable.id, "missing")
            index = (
                _OPTIONS.index(_DONT_KNOW if previous is None else str(previous))
                if previous != "missing"
                else None
            )
            choices[variable.id] = st.radio(
                f"**{variable.name}**: {variable.question}",
                _OPTIONS,
                index=index,
                horizontal=True,
                key=f"respond-{variable.id}",
            )
            # Visible, not a tooltip: a touch screen has no hover.
            st.caption(f"1 = {escape_md(variable.anchor_1)}  \n5 = {escape_md(variable.anchor_5)}")
        sent = st.form_submit_button("Send my answers", type="primary")
    if sent:
        with notice:
            _save(store, token, choices)


def _plural(count: int, noun: str) -> str:
    """ "1 answer", "3 answers"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sent_message(recorded: int, blank: int) -> str:
    """The thanks after sending: how many answers were recorded and how many questions were left blank
    (a "Don't know" is an answer, not a blank)."""
    left = f"; {_plural(blank, 'question')} left blank" if blank else "; every question answered"
    return f"Thank you: {_plural(recorded, 'answer')} recorded{left}. You can close this page."


def _save(store: Store, token: str, choices: dict[str, str | None]) -> None:
    """Save the chosen answers (a question with no choice is left out) and say what happened, in the
    container the caller is drawing into (the notice above the questions)."""
    answers = {v: None if c == _DONT_KNOW else int(c) for v, c in choices.items() if c is not None}
    if not answers:
        st.warning('Answer at least one question (or choose "Don\'t know") before sending.')
        return
    try:
        store.save_respondent_answers(token, answers)
    except InvalidLinkError:
        st.error(INVALID)
        return
    except KeysmithError:  # a busy database is not a dead link: the form keeps what was chosen
        st.error(SAVE_FAILED)
        return
    st.success(sent_message(len(answers), len(choices) - len(answers)))


def handled() -> bool:
    """Draw the respondent's page when the URL carries a link and return True (the app then draws nothing
    else); False otherwise. Called by the app script before the app itself."""
    if not requested():
        return False
    st.set_page_config(page_title="Keysmith questionnaire", page_icon=":material/key:", layout="centered")
    render()
    return True
