"""*Self-assessment*: one question at a time (1–5 buttons, "Don't know", or own words), then the score card.

The state machine is `keysmith.assessment` (immutable states); this page only shows the current question and
hands the user's choice to `assessment.answer`. Every step is saved to the store at once, so a refresh or a
restart resumes at the same question; the finished report is saved with it.

Own words go to the offline parser first. A reading it is sure of is recorded at once. One it is not sure of
(a quality word in a longer answer, or an answer that turns on "but") is read by the language model when one
is live (`keysmith.extraction`), else kept as it is; either way it is shown back ("I read that as 4 (strong)
because you said "mostly".") and recorded only when the user confirms it. Words nothing could read stay in
the box with a warning, and "Change" puts the words of a reading back in the box.

An assessment started from the chat (`start_prefilled`) begins with the readings the diagnosis interview
recorded already answered, each with a note saying so (`chat_note`); the page says in one line which
answers came from the chat, for as long as they are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from keysmith import assessment as machine
from keysmith.assessment import AssessmentState, Question
from keysmith.diagnosis import full_report
from keysmith.extraction import Extraction, extract_answer, offline_reading, reading_text
from keysmith.text.numbers import count_word
from keysmith.ui import report_downloads, scorecard, sessions
from keysmith.ui.state import Resources

STORE_MODE = "assessment"
_FLASH = "assessment_flash"  # (kind, message) shown once after an answer
_DRAFT = "assessment_draft"  # the tab's in-memory state before the first answer creates a session
_PENDING = "assessment_pending"  # (variable_id, Extraction, text): a model reading awaiting confirmation
BUTTONS: tuple[tuple[str, Any], ...] = (
    ("1", 1),
    ("2", 2),
    ("3", 3),
    ("4", 4),
    ("5", 5),
    ("Don't know", None),
)


def render_page(res: Resources) -> None:
    """The current question, or the score card when every question is answered and none is open."""
    current = load(res)
    line = chat_line(current)
    if line:
        st.info(line, icon=":material/forum:")
    _flash()
    question = machine.current_question(current)
    if question is None:
        _finished(res, current)
    else:
        _ask(res, current, question)


def load(res: Resources) -> AssessmentState:
    """The open session's saved state, or a fresh (unsaved) one."""
    session_id = sessions.current(res, STORE_MODE)
    if session_id:
        saved = res.store.session_assessment(sessions.workspace(res).id, session_id)
        if saved is not None:
            return AssessmentState.from_dict(saved.state, res.framework)
    draft = st.session_state.get(_DRAFT)
    return draft if isinstance(draft, AssessmentState) else machine.start(res.framework, now=_now())


def _now() -> datetime:
    return datetime.now(UTC)


def save(res: Resources, new: AssessmentState, title: str = "Assessment") -> None:
    """Persist `new` (creating the session on the first answer); a complete one is saved with its report."""
    ws_id = sessions.workspace(res).id
    session_id = sessions.ensure(res, STORE_MODE, title=f"{title} {_now():%Y-%m-%d %H:%M}")
    report = full_report(machine.answers(new), res.framework) if machine.is_complete(new) else None
    res.store.save_assessment(ws_id, session_id, new.to_dict(), report, model_used=res.assistant.mode)
    st.session_state.pop(_DRAFT, None)


_CHAT_NOTE = "From the diagnosis chat"
_CHAT_VALUE = re.compile(r"\(recorded as ([1-5]) of 5\)$")


def chat_note(label: str, question: str, value: int) -> str:
    """The note kept with an answer the diagnosis interview recorded (the page reads it back)."""
    return f'{_CHAT_NOTE}: you answered "{label}" to "{question}" (recorded as {value} of 5)'


def start_prefilled(res: Resources, prefilled: Mapping[str, tuple[int, str]]) -> None:
    """Open a new assessment with `prefilled` (variable -> (1..5, note)) already answered, at the first
    question not answered yet. Saved at once when anything is prefilled; otherwise a fresh, unsaved one."""
    ws_id = sessions.workspace(res).id
    sessions.select(STORE_MODE, None, ws_id)
    for key in (_DRAFT, _PENDING, _FLASH):
        st.session_state.pop(key, None)
    new = machine.start(res.framework, now=_now())
    for variable_id in new.order:  # in question order, so the current question is the first one left
        if variable_id in prefilled:
            value, note = prefilled[variable_id]
            new = machine.answer(new, variable_id, value, note=note, now=_now()).state
    if new.recorded:
        save(res, new, title="Assessment from the chat")
    else:
        st.session_state[_DRAFT] = new


def chat_line(current: AssessmentState) -> str | None:
    """One line naming the answers that came from the diagnosis chat (and still stand), or None."""
    names = []
    for variable_id in current.order:
        note = current.notes.get(variable_id, "")
        found = _CHAT_VALUE.search(note) if note.startswith(_CHAT_NOTE) else None
        if found and current.recorded.get(variable_id) == int(found.group(1)):
            names.append(f"{current.framework.variable(variable_id).name} ({found.group(1)})")
    if not names:
        return None
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    count = count_word(len(names)).capitalize()
    which = "answer comes" if len(names) == 1 else "answers come"
    again = "it is" if len(names) == 1 else "they are"
    return f"{count} {which} from your replies in the diagnosis chat, so {again} not asked again: {listed}."


def _flash() -> None:
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        kind, message = flash
        (st.success if kind == "ok" else st.warning)(message)


def _ask(res: Resources, current: AssessmentState, question: Question) -> None:
    answered, total = machine.progress(current)
    st.progress(answered / total, text=f"Question {question.position} of {total} · {answered} answered")
    st.subheader(question.name)
    st.markdown(f"**{question.question}**")
    st.caption(f"1 = {question.anchor_1}")
    st.caption(f"5 = {question.anchor_5}")
    with st.expander("Why this matters"):
        st.write(question.help)
    cols = st.columns(len(BUTTONS))
    for col, (label, value) in zip(cols, BUTTONS, strict=True):
        chosen = question.answered and question.current_answer == value
        col.button(
            label,
            key=f"answer-{question.variable_id}-{label}",
            on_click=_record,
            args=(res, current, question.variable_id, value),
            type="primary" if chosen else "secondary",
            width="stretch",
        )
    pending = st.session_state.get(_PENDING)
    if pending and pending[0] == question.variable_id:
        _confirm_reading(res, current, *pending)
    else:
        _words_form(res, current, question)
    _navigation(res, current)


def _words_key(variable_id: str) -> str:
    return f"words-input-{variable_id}"


def _words_form(res: Resources, current: AssessmentState, question: Question) -> None:
    # Not cleared on submit: words that could not be read stay in the box to correct (the callback clears
    # the box itself once the words were recorded or are shown back for confirmation).
    with st.form(f"words-{question.variable_id}", clear_on_submit=False, border=False):
        st.text_input(
            "Or answer in your own words",
            placeholder="e.g. “pretty weak, maybe a 2”",
            key=_words_key(question.variable_id),
        )
        st.form_submit_button("Answer", on_click=_submit_words, args=(res, current, question))


def _submit_words(res: Resources, current: AssessmentState, question: Question) -> None:
    """The form's callback: read the box; empty it only when the words were taken (recorded or held)."""
    key = _words_key(question.variable_id)
    words = str(st.session_state.get(key) or "")
    if words.strip() and _answer_words(res, current, question, words):
        st.session_state[key] = ""


def _answer_words(res: Resources, current: AssessmentState, question: Question, words: str) -> bool:
    """Record `words` when the offline parser is sure of them; hold an unsure reading (the model's when
    one is live, else the parser's) for confirmation; warn when nothing could read them. Returns whether
    the words were taken (recorded or held), False when they must stay in the box."""
    parsed = machine.parse_answer(words, question.levels)
    if parsed.understood and parsed.certain:
        _record(res, current, question.variable_id, words)
        return True
    reading = offline_reading(parsed)
    model = res.assistant.model
    if model is not None:
        with st.spinner("Reading your answer…"):
            reading = extract_answer(model, question, words, res.assistant.mode)
    if reading.understood:
        st.session_state[_PENDING] = (question.variable_id, reading, words)
        return True
    st.session_state[_FLASH] = ("warn", f"{question.name}: {reading.message}")
    return False


def _confirm_reading(
    res: Resources, current: AssessmentState, variable_id: str, reading: Extraction, words: str
) -> None:
    if reading.message:
        st.caption(reading.message)
    st.info(reading_text(reading))
    left, right = st.columns(2)
    left.button(
        "Confirm",
        key=f"confirm-{variable_id}",
        type="primary",
        on_click=_record,
        args=(res, current, variable_id, None if reading.dont_know else reading.value, words),
    )
    right.button("Change", key=f"change-{variable_id}", on_click=_change, args=(variable_id, words))


def _change(variable_id: str, words: str) -> None:
    """Drop the reading and put the user's words back in the box to edit."""
    st.session_state.pop(_PENDING, None)
    st.session_state[_words_key(variable_id)] = words


def _navigation(res: Resources, current: AssessmentState) -> None:
    left, right = st.columns(2)
    left.button("← Back", disabled=not machine.can_go_back(current), on_click=_back, args=(res, current))
    if machine.is_complete(current):
        right.button("See the score card →", on_click=_to_scorecard, args=(res, current))


def _record(
    res: Resources, current: AssessmentState, variable_id: str, raw: object, note: str | None = None
) -> None:
    st.session_state.pop(_PENDING, None)
    result = machine.answer(current, variable_id, raw, note=note, now=_now())
    st.session_state[_FLASH] = ("ok" if result.understood else "warn", result.message)
    if result.understood:
        save(res, result.state)


def _back(res: Resources, current: AssessmentState) -> None:
    save(res, machine.back(current, now=_now()))


def _to_scorecard(res: Resources, current: AssessmentState) -> None:
    """Leave an amended question without changing it: jump past the last question."""
    question = machine.current_question(current)
    if question is not None and question.answered:
        save(res, machine.answer(current, question.variable_id, question.current_answer).state)


def _finished(res: Resources, current: AssessmentState) -> None:
    answers = machine.answers(current)
    st.success("Assessment complete. Here is what your answers say.")
    session_id = sessions.current(res, STORE_MODE) or "new"
    card = scorecard.render_scorecard(res, answers, key=session_id)
    st.subheader("Download the report")
    workspace = sessions.workspace(res).name
    report_downloads.assessment(
        res,
        card.report,
        answers,
        key=session_id,
        title=f"Keysmith assessment — {workspace}",
        sources=card.sources,
        file_stem=f"keysmith-assessment-{report_downloads.slug(workspace)}",
    )
    left, right = st.columns(2)
    left.button("← Change an answer", on_click=_back, args=(res, current))
    right.button(
        "Start a new assessment",
        on_click=sessions.select,
        args=(STORE_MODE, None, sessions.workspace(res).id),
    )
