"""*Diagnose my pilot*: the chat.

The user's question is written to the store before the assistant is called, so a crash, a refresh or a
provider failure never loses it. The answer streams into the page (tool steps in a collapsible status),
then is stored with its citations and mode; an answer cut off mid-stream is stored marked incomplete and
offered a Retry. The one-line notice and the follow-up questions are stored with the answer, so a refresh
or a restart shows the same page.

When the reading of a story is unsure, the answer ends with a quick question (`ui/interview.py`): its
options are buttons under it, and typed words ("no", "partly", "not sure", "skip") answer it too. A reply
is recorded as a user message and answered by `Assistant.reply` from the state saved with the question.
"Start the self-assessment" opens a new self-assessment with the interview's readings already answered.

While the assistant is still loading (a cold start), `render_while_loading` offers the welcome and the chat
box at once; a question typed meanwhile is kept and answered as soon as loading ends.

Sources are labelled by page title and section, never by file path, and open on the whole passage (stored
with the answer); the steps box names each step in plain words (the tool ids stay in `ask --json`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from typing import TYPE_CHECKING, Any

import streamlit as st

from keysmith.answer import Answer, FinalEvent, NoticeEvent, TokenEvent, ToolEndEvent, ToolStartEvent
from keysmith.errors import KeysmithError
from keysmith.guards.sanitize import clean_markdown
from keysmith.limits import check_question
from keysmith.store.records import Message
from keysmith.ui import feedback, interview, render, sessions, state
from keysmith.ui.state import Resources

if TYPE_CHECKING:
    from keysmith.assistant import Assistant

STORE_MODE = "diagnose"
_STREAM_ERROR = "stream_error"  # the plain reason a stream broke, shown with the incomplete answer
EXAMPLES = (
    "Our invoice AI pilot was great, but the rollout to 12 regions has stalled for 6 months. Why?",
    "Which variables matter more in production than in the pilot?",
    "Nobody owns the model since the pilot team moved on. Is that a known stall pattern?",
)


def render_page(res: Resources) -> None:
    """History, then the input; a queued question (example, follow-up, retry) is asked on this run."""
    ws = sessions.workspace(res)
    session_id = sessions.current(res, STORE_MODE)
    messages = res.store.list_messages(ws.id, session_id) if session_id else []
    if not messages:
        _welcome()
    rated = feedback.given(res, ws.id) if messages else {}
    waiting = interview.pending(messages)
    for index, message in enumerate(messages):
        last = index == len(messages) - 1
        _show_message(res, message, messages[:index], rated, last, waiting if last else None)
    typed = st.chat_input(interview.placeholder(waiting), key="chat-box")
    pending = st.session_state.pop(state.PENDING_QUESTION, None)
    if typed:
        _take(res, typed, messages, waiting, retry=False)
    elif isinstance(pending, dict) and pending.get("reply") is not None:
        # A quick-reply button; one for a question already answered (another tab, a double click) is dropped.
        if waiting is not None and pending.get("message") == waiting.message_id:
            _reply(res, waiting, str(pending["reply"]), str(pending["text"]))
    elif isinstance(pending, dict):
        _take(res, str(pending["text"]), messages, waiting, retry=bool(pending.get("retry")))


def render_while_loading(start: Callable[[], futures.Future[Assistant]]) -> None:
    """A cold start: the welcome and the chat box now, then `start()` begins loading the assistant (after
    the box is drawn: a loading thread started earlier competes with drawing the page for the interpreter);
    a question typed or picked meanwhile is queued, and the page reruns (answering it) once loading ends."""
    if not st.query_params.get("session"):
        _welcome()
    typed = st.chat_input(interview.placeholder(None), key="chat-box")
    if typed:
        queue(typed)
    loading = start()
    with st.spinner("Loading the knowledge index. Type your question now: it is answered once this is done."):
        futures.wait([loading])  # a start-up error is shown by the next run, in plain words
    st.rerun()


def _take(
    res: Resources, text: str, messages: list[Message], waiting: interview.Pending | None, retry: bool
) -> None:
    """What the user sent: a request to start the self-assessment, a reply to the waiting question, or a
    new question."""
    if not retry and interview.starts_assessment(text):
        _start_assessment(res, messages)
        return
    option = interview.typed_option(text, waiting) if waiting is not None and not retry else None
    if waiting is not None and option is not None:
        _reply(res, waiting, option, text.strip())
    else:
        _ask(res, text, retry=retry)


def _welcome() -> None:
    st.markdown(
        "Tell Keysmith what worked in your pilot and where the rollout stalled. Every framework claim in the "
        "answer cites a passage you can open, and every number comes from the scoring engine."
    )
    for index, example in enumerate(EXAMPLES):
        st.button(example, key=f"example-{index}", on_click=queue, args=(example,))


def queue(text: str, retry: bool = False) -> None:
    """Ask `text` on the next run (buttons call this as their on_click)."""
    st.session_state[state.PENDING_QUESTION] = {"text": text, "retry": retry}


def queue_reply(message_id: str, option_id: str, label: str) -> None:
    """Answer the question message `message_id` asks with `option_id` on the next run (the quick replies)."""
    st.session_state[state.PENDING_QUESTION] = {"text": label, "reply": option_id, "message": message_id}


def _show_message(
    res: Resources,
    message: Message,
    before: list[Message],
    rated: dict[str, str],
    is_last: bool,
    waiting: interview.Pending | None = None,
) -> None:
    """One stored message; the last assistant message also gets its quick replies (a question waiting for
    a reply) or its follow-up buttons."""
    with st.chat_message(message.role):
        if message.role == "user":
            st.text(message.content)  # the user's own words, verbatim, never rendered as Markdown
            return
        fell_back = "fallback" in message.mode
        notice = message.notice or (f"Answered {message.mode}." if fell_back else "")
        if notice:
            (st.warning if fell_back or message.incomplete else st.info)(notice)
        asks = waiting if waiting is not None and waiting.message_id == message.id else None
        # The quick replies sit right under the question, above the sources: below eight sources they
        # showed before the question they answer once the page scrolled down (browser trial).
        show_answer(
            message.content,
            message.citations,
            message.tool_calls,
            after_text=(lambda: interview.quick_replies(asks, queue_reply)) if asks else None,
        )
        if message.incomplete:
            st.warning("This answer stopped before it finished; what arrived is shown above.")
        if message.incomplete or fell_back:
            question = next((m.content for m in reversed(before) if m.role == "user"), "")
            st.button("Retry", key=f"retry-{message.id}", on_click=queue, args=(question, True))
        feedback.widget(res, message.workspace_id, message.session_id, message.id, rated.get(message.id))
        if is_last:
            _follow_ups(list(message.follow_ups), message.id)


def show_answer(
    text: str, citations: list[Any], tool_calls: list[Any], after_text: Callable[[], None] | None = None
) -> None:
    """Answer text, then `after_text` (the quick replies, when a question waits), the tool steps
    (collapsed) and each cited passage as an expandable source."""
    render.markdown(text)
    if after_text is not None:
        after_text()
    if tool_calls:
        with st.expander(f"How this answer was made ({_steps(len(tool_calls))})"):
            for call in tool_calls:
                ok = "✓" if call.get("ok", True) else "✗"
                st.text(f"{ok} {call.get('label') or render.step_name(str(call.get('name', '?')))}")
    for number, citation in enumerate(citations, start=1):
        with st.expander(render.source_label(number, citation)):
            # The whole passage (stored with the answer); answers stored before it was kept show the excerpt.
            render.quote(str(citation.get("text") or citation.get("excerpt", "")))


def _steps(count: int) -> str:
    return f"{count} tool step{'' if count == 1 else 's'}"


def _follow_ups(questions: list[str], message_id: str) -> None:
    if not questions:
        return
    st.caption("Ask next")
    for index, question in enumerate(questions[:3]):
        st.button(question, key=f"follow-{message_id}-{index}", on_click=queue, args=(question,))


def _ask(res: Resources, raw: str, retry: bool) -> None:
    """Store the question, stream the answer, store it (complete or not), then rerun to redraw."""
    try:
        question = check_question(raw, res.settings.max_question_chars)
        res.limiter.check(state.tab_id())
    except KeysmithError as exc:
        st.error(str(exc))
        # The chat box has already cleared: keep the user's words on screen so nothing typed is lost.
        st.text_area("Your question (copy it, shorten or edit it, and send it again)", value=raw)
        return
    ws_id = sessions.workspace(res).id
    session_id = sessions.ensure(res, STORE_MODE, title=question)
    history = [(m.role, m.content) for m in res.store.list_messages(ws_id, session_id)]
    if not retry:
        res.store.add_message(ws_id, session_id, "user", question)
        history_for_model = history
        with st.chat_message("user"):
            st.text(question)
    else:
        history_for_model = history[:-1] if history and history[-1][0] == "user" else history
    with st.chat_message("assistant"):
        answer, partial = _stream(res, question, history_for_model, ws_id)
    _save(res, ws_id, session_id, answer, partial, story=question)
    st.rerun()


def _reply(res: Resources, waiting: interview.Pending, option_id: str, said: str) -> None:
    """Answer the waiting question with `option_id` (or `skip`): the reply is stored as the user's message
    (the button's label, or their own words) with the next question or the final diagnosis. Both are
    stored only once the answer exists, so a failure leaves the question waiting, its buttons still there."""
    try:
        res.limiter.check(state.tab_id())
    except KeysmithError as exc:
        st.error(str(exc))
        return
    ws_id = sessions.workspace(res).id
    session_id = sessions.current(res, STORE_MODE)
    if session_id is None:  # the conversation was deleted in another tab
        return
    with st.chat_message("user"):
        st.text(said)
    with st.chat_message("assistant"), st.spinner("Reading your reply…"):
        try:
            answer = res.assistant.reply(waiting.story, waiting.state, option_id, workspace_id=ws_id)
        except KeysmithError as exc:  # a state that cannot resume, the index gone: plain words, no traceback
            st.error(f"Keysmith could not take that reply: {exc}")
            return
    res.store.add_message(ws_id, session_id, "user", said)
    _save(res, ws_id, session_id, answer, "", story=waiting.story)
    st.rerun()


def _start_assessment(res: Resources, messages: list[Message]) -> None:
    """A new self-assessment with the readings this conversation's interview recorded already answered,
    then the Self-assessment mode (the mode switch happens at the top of the next run)."""
    from keysmith.ui import assessment_view  # the assessment's libraries load only when it is opened

    found = interview.recorded(messages, res.framework)
    notes = {v: assessment_view.chat_note(r.label, r.question, r.value) for v, r in found.items()}
    assessment_view.start_prefilled(res, {v: (r.value, notes[v]) for v, r in found.items()})
    st.session_state[state.SWITCH_MODE] = state.MODES[1]
    st.rerun()


def _save(
    res: Resources, ws_id: str, session_id: str, answer: Answer | None, partial: str, story: str = ""
) -> None:
    """Store the turn's reply: the answer with its citations (whole passages), steps, notice, follow-ups and
    diagnosis; or, when the stream broke (`answer` None), the `partial` text marked incomplete."""
    if answer is None:
        _save_partial(res, ws_id, session_id, partial)
        return
    data = answer.to_dict()
    calls = _step_records(res, data["tool_calls"])
    diagnosis = _diagnosis_record(answer, data["reasons"], story)
    res.store.add_message(
        ws_id,
        session_id,
        "assistant",
        answer.answer,
        citations=[_whole(res, c) for c in data["citations"]],
        tool_calls=calls,
        mode=answer.mode,
        incomplete=answer.incomplete,
        notice=answer.notice or "",
        follow_ups=list(answer.follow_ups),
        diagnosis=diagnosis,
    )


def _save_partial(res: Resources, ws_id: str, session_id: str, partial: str) -> None:
    """A broken stream's text, marked incomplete, with the plain reason it broke when there is one."""
    reason = st.session_state.pop(_STREAM_ERROR, None)  # e.g. the vector store went away
    res.store.add_message(
        ws_id,
        session_id,
        "assistant",
        partial,
        mode=res.assistant.mode,
        incomplete=True,
        notice=str(reason or ""),
    )


def _step_records(res: Resources, tool_calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer's tool calls as stored: name, whether it worked, and the plain step name shown."""
    names = _names(res)
    return [
        {
            "name": c.get("name", "?"),
            "ok": bool(c.get("ok", True)),
            "label": render.step_name(str(c.get("name", "?")), c.get("args"), names),
        }
        for c in tool_calls
    ]


def _diagnosis_record(answer: Answer, reasons: list[dict[str, Any]], story: str) -> dict[str, Any] | None:
    """What a reply needs to resume the interview (None when the answer holds no diagnosis)."""
    if not (answer.reasons or answer.question or answer.interview):
        return None
    return {"reasons": reasons, "question": answer.question, "interview": answer.interview, "story": story}


def _names(res: Resources) -> dict[str, str]:
    """Stall reason and archetype ids -> their names, for the plain step names."""
    framework = res.framework
    return {r.id: r.name for r in framework.stall_reasons} | {a.id: a.name for a in framework.archetypes}


def _whole(res: Resources, citation: dict[str, Any]) -> dict[str, Any]:
    """The citation with its whole passage (`text`), so an opened source never stops mid-sentence."""
    try:
        passage = res.retriever.get(str(citation.get("id", "")))
    except KeysmithError:  # the index went away: the excerpt is still there
        passage = None
    return {**citation, "text": passage.text} if passage is not None else citation


def _stream(
    res: Resources, question: str, history: list[tuple[str, str]], workspace_id: str
) -> tuple[Answer | None, str]:
    """Show the stream live. Returns (answer, partial text); the answer is None if the stream broke."""
    status = st.status("Looking through the framework…", expanded=False)
    placeholder = st.empty()
    text, steps, names = "", 0, _names(res)
    try:
        # The workspace lets the search cite this client's own documents (and only this client's).
        for event in res.assistant.stream(question, history=history, workspace_id=workspace_id):
            if isinstance(event, TokenEvent):
                text += event.text
                placeholder.markdown(clean_markdown(text) + " ▌")
            elif isinstance(event, ToolStartEvent):
                steps += 1
                status.write(f"{render.step_name(event.name, event.args, names)}…")
            elif isinstance(event, ToolEndEvent):
                status.write(f"{'Done' if event.ok else 'Failed'}: {render.step_name(event.name).lower()}")
            elif isinstance(event, NoticeEvent):
                status.write(event.text)
            elif isinstance(event, FinalEvent) and event.answer is not None:
                status.update(label=f"Done ({_steps(steps)})", state="complete")
                return event.answer, text
    except Exception as exc:  # the stream broke: keep what arrived, say so plainly, offer Retry
        status.update(label=f"Stopped: {type(exc).__name__}", state="error")
        if isinstance(exc, KeysmithError):  # a plain sentence (Chroma down, database locked): show it
            st.session_state[_STREAM_ERROR] = str(exc)
        return None, text
    status.update(label="Stopped before the end", state="error")
    return None, text
