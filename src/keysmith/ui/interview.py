"""The diagnosis interview in the chat: the pending question, its quick replies, typed replies, and the
answers the replies recorded.

The interview's state rides with the assistant message that asked the question (`Message.diagnosis`:
reasons, question, interview state, story), so the question is still waiting after a refresh or a restart.
Only the LAST message of a conversation can have a question waiting: once anything follows it (a reply, a
new story), it is history. A reply is one of the question's option ids or `skip`; typed words ("no",
"partly", "not sure", "skip") are mapped to them, anything else is a new question. The replies' readings
(variable -> 1..5) are what the self-assessment then does not ask again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from keysmith.diagnosis.interview import InterviewState, recorded_answers
from keysmith.errors import KeysmithError
from keysmith.framework import Framework
from keysmith.framework.interview_bank import REPLY_WORDS, normal_reply
from keysmith.store.records import Message

SKIP = "skip"
SKIP_LABEL = "Skip — give me the best reading"
START_ASSESSMENT = "Start the self-assessment"

_START_WORDS = frozenset(
    {
        "start the self-assessment",
        "start the self assessment",
        "start self-assessment",
        "start the assessment",
        "take the self-assessment",
        "take the self assessment",
    }
)


@dataclass(frozen=True)
class Pending:
    """The question waiting for a reply: the message that asked it, the user's story and the saved state."""

    message_id: str
    story: str
    state: dict[str, Any]
    question: dict[str, Any]

    @property
    def options(self) -> list[dict[str, Any]]:
        return [o for o in self.question.get("options") or [] if isinstance(o, dict)]


@dataclass(frozen=True)
class Recorded:
    """One reading a reply recorded: the variable's 1..5 value, the reply's label and the question asked."""

    value: int
    label: str
    question: str


def pending(messages: Sequence[Message]) -> Pending | None:
    """The question the conversation's last message asks, if it asks one and its state can be resumed."""
    if not messages or messages[-1].role != "assistant":
        return None
    last = messages[-1]
    saved = last.diagnosis or {}
    question, state, story = saved.get("question"), saved.get("interview"), saved.get("story")
    if not isinstance(question, dict) or not isinstance(state, dict) or not isinstance(story, str):
        return None
    if not question.get("options") or not state.get("pending"):
        return None
    return Pending(last.id, story, state, question)


_normal = normal_reply


def typed_option(text: str, waiting: Pending) -> str | None:
    """The option id (or `skip`) that typed `text` answers the pending question with; None if it is no
    reply (then it is a new question)."""
    said = _normal(text)
    if not said:
        return None
    offered = {str(o.get("id", "")) for o in waiting.options}
    for option in waiting.options:
        if said in (_normal(str(option.get("id", ""))), _normal(str(option.get("label", "")))):
            return str(option["id"])
    if said == _normal(SKIP_LABEL):
        return SKIP
    for option_id, words in REPLY_WORDS.items():
        if said in words and (option_id == SKIP or option_id in offered):
            return option_id
    return None


def starts_assessment(text: str) -> bool:
    """Whether `text` asks to start the self-assessment (the suggested follow-up, or typed)."""
    return _normal(text) in _START_WORDS


def recorded(messages: Sequence[Message], framework: Framework) -> dict[str, Recorded]:
    """Every reading the conversation's interviews recorded (variable -> value, label, question), the latest
    reply for a variable winning; "not sure" and skipped questions record nothing."""
    found: dict[str, Recorded] = {}
    texts = {q.id: q for q in framework.questions}
    for message in messages:
        data = (message.diagnosis or {}).get("interview")
        if not isinstance(data, dict):
            continue
        try:
            state = InterviewState.from_dict(data)
        except KeysmithError:
            continue  # a state saved by an older version: nothing to carry over from it
        answers = recorded_answers(state)
        for reply in state.replies:
            value = answers.get(reply.variable)
            question = texts.get(reply.question_id)
            if value is None or question is None or reply.value != value:
                continue
            label = next((o.label for o in question.options if o.id == reply.option_id), reply.option_id)
            found[reply.variable] = Recorded(value, label, question.text)
    return found


def quick_replies(waiting: Pending, on_click: Callable[..., None]) -> None:
    """The pending question's options as buttons, then the skip button; a click calls
    `on_click(message_id, option_id, label)`."""
    st.caption("Your reply")
    with st.container(horizontal=True, key=f"quick-replies-{waiting.message_id}"):
        for option in waiting.options:
            label = str(option.get("label") or option.get("id"))
            option_id = str(option["id"])
            st.button(
                label,
                key=f"reply-{waiting.message_id}-{option_id}",
                on_click=on_click,
                args=(waiting.message_id, option_id, label),
            )
        st.button(
            SKIP_LABEL,
            key=f"reply-{waiting.message_id}-{SKIP}",
            on_click=on_click,
            args=(waiting.message_id, SKIP, SKIP_LABEL),
            type="tertiary",
            icon=":material/skip_next:",
        )


def placeholder(waiting: Pending | None) -> str:
    """The chat box's hint: the replies it takes while a question waits. Short enough for a 390 px phone,
    where a longer hint was cut mid-sentence (browser trial)."""
    if waiting is None:
        return "Where is your rollout stuck?"
    labels = [str(o.get("label", "")) for o in waiting.options]
    return f"Reply {', '.join(labels)} or skip…"
