"""The Assistant: one entry point for the CLI and the UI, with a language model or without one.

`Assistant(settings, framework, retriever, model=None, model_spec="offline")`:
- `stream(question, history=())` yields `TokenEvent`, `ToolStartEvent`, `ToolEndEvent`, `NoticeEvent` and one
  last `FinalEvent` whose `answer` is the finished `Answer`; `ask(question, history=())` returns that Answer.
- With a model, each turn gets a fresh `Toolbox` and agent graph; the final text goes through the guards
  (numbers, citations) and the sanitiser (finish.py). Without one, the offline composer answers.
- Provider failures never escape: an outage (rate limit, timeout, connection, server, quota) or a
  configuration problem (auth, not_found, bad_request) makes the composer answer, with a one-line notice
  saying why (for configuration problems: which variable to fix); a stream cut mid-answer keeps the partial
  text, marks the answer `incomplete` and adds the composer's answer. Other errors (a bug, the vector store
  being down) surface.
- Empty or over-long questions raise `InputLimitError` naming the limit, before any work is done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from keysmith.answer import Answer, Event, FinalEvent, NoticeEvent
from keysmith.assessment import AssessmentState
from keysmith.composer import OFFLINE, Composer
from keysmith.composer.story import diagnosis_extras, question_block
from keysmith.config import Settings
from keysmith.errors import ConfigError, ProviderError, StreamCutError
from keysmith.framework import Framework, load_framework
from keysmith.guards.finish import finish
from keysmith.limits import check_question
from keysmith.retrieval import Retriever, open_retriever
from keysmith.tools import Toolbox

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

# The agent and the provider SDKs load only when a model is used: offline answers start seconds sooner.
History = Sequence["tuple[str, str] | BaseMessage"]

MAX_TOOL_ROUNDS = 6
CONFIG_KINDS = frozenset({"auth", "not_found", "bad_request"})


def _user_texts(history: History) -> list[str]:
    """The user's earlier messages (their numbers may be repeated back)."""
    texts = []
    for item in history:
        if isinstance(item, tuple) and item[0] in ("user", "human"):
            texts.append(str(item[1]))
        elif not isinstance(item, tuple) and getattr(item, "type", "") == "human":
            texts.append(str(item.content))
    return texts


def _variable_to_fix(kind: str, spec: str) -> str:
    if kind == "auth":
        return "AZURE_OPENAI_API_KEY" if spec.startswith("azure:") else "OPENAI_API_KEY"
    return "KEYSMITH_MODEL"


def fallback_notice(error: ProviderError, spec: str) -> str:
    """One line saying that the answer came from the offline composer, and why."""
    reason = " ".join(str(error).split())
    if error.kind in CONFIG_KINDS:
        variable = _variable_to_fix(error.kind, spec)
        return f"Answered offline because the model settings need fixing (check {variable}): {reason}"
    return f"Answered offline because the language model ({spec}) failed: {reason}"


class Assistant:
    """Answers questions with the configured model, or offline (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        framework: Framework,
        retriever: Retriever,
        model: BaseChatModel | None = None,
        model_spec: str = OFFLINE,
        mode_reason: str = "",
        startup_notice: str | None = None,
    ) -> None:
        self.settings = settings
        self.framework = framework
        self.retriever = retriever
        self.model = model
        if model is not None and model_spec == OFFLINE:
            model_spec = f"model:{getattr(model, 'model_name', None) or type(model).__name__}"
        self.mode = model_spec if model is not None else OFFLINE
        self.mode_reason = mode_reason or (
            "No language model: answers are assembled offline from the framework."
            if model is None
            else f"Model {model_spec}."
        )
        self.startup_notice = startup_notice
        self.composer = Composer(framework, retriever)

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        """Resolve and load the model, load the framework, open the retriever (indexing first if needed).

        A model that cannot be set up (a bad KEYSMITH_MODEL, a missing key) does not stop Keysmith: it
        answers offline and every answer's notice says what to fix.
        """
        from keysmith.ingest import index_knowledge, marker_path
        from keysmith.models import load_chat_model, resolve_model_spec

        framework = load_framework(settings.framework_dir)
        if not marker_path(settings).exists():
            index_knowledge(settings)
        retriever = open_retriever(settings)
        try:
            choice = resolve_model_spec(settings)
            model = load_chat_model(choice.spec, settings)
        except ConfigError as exc:
            reason = f"The language model could not be set up, so answers are assembled offline: {exc}"
            return cls(settings, framework, retriever, mode_reason=reason, startup_notice=reason)
        return cls(settings, framework, retriever, model, choice.spec, choice.reason)

    def ask(self, question: str, history: History = (), **context: Any) -> Answer:
        """The finished answer to `question` (see `stream` for `context`)."""
        for event in self.stream(question, history, **context):
            if isinstance(event, FinalEvent) and event.answer is not None:
                return event.answer
        raise AssertionError(
            "stream ended without a final answer"
        )  # pragma: no cover - stream always ends so

    def stream(
        self,
        question: str,
        history: History = (),
        *,
        workspace_id: str | None = None,
        assessment_state: AssessmentState | None = None,
        toolbox: Toolbox | None = None,
    ) -> Iterator[Event]:
        """Events for one turn; the last is a `FinalEvent` carrying the `Answer`.

        `workspace_id` lets the search see that coach workspace's client documents; `assessment_state` is
        the conversation's assessment, which the assessment tools read and advance. A caller that wants the
        advanced state (or the turn's calls and passages) passes its own fresh `toolbox` and reads
        `toolbox.assessment_state` afterwards; it then sets the workspace and the state itself.
        """
        text = check_question(question, self.settings.max_question_chars)
        if toolbox is None:
            toolbox = Toolbox(self.framework, self.retriever, assessment_state, workspace_id)
        users = _user_texts(history)
        if self.model is None:
            answer = self.composer.answer(text, toolbox, users)
            answer.notice = _join(self.startup_notice, answer.notice)
            yield FinalEvent(answer.answer, answer=answer)
            return
        yield from self._stream_model(self.model, text, history, toolbox, users)

    def _stream_model(
        self, model: BaseChatModel, question: str, history: History, toolbox: Toolbox, users: list[str]
    ) -> Iterator[Event]:
        from keysmith.agent import build_agent, stream_agent
        from keysmith.models import provider_failure
        from keysmith.prompts import render

        notices: list[str] = []
        try:
            graph = build_agent(model, toolbox.tools(), render("system"), max_tool_rounds=MAX_TOOL_ROUNDS)
            events = stream_agent(graph, question, history, spec=self.mode, classify=provider_failure)
            for event in events:
                if isinstance(event, FinalEvent):
                    answer = finish(
                        event.text, toolbox, [question, *users], mode=self.mode, notice=_join(*notices)
                    )
                    self._attach_diagnosis(answer, toolbox)
                    yield FinalEvent(answer.answer, answer=answer, capped=event.capped)
                    return
                if isinstance(event, NoticeEvent):
                    notices.append(event.text)
                yield event
        except StreamCutError as cut:
            yield from self._fallback(question, toolbox, users, cut, partial=cut.partial_text)
        except ProviderError as error:
            yield from self._fallback(question, toolbox, users, error)

    def _attach_diagnosis(self, answer: Answer, toolbox: Toolbox) -> None:
        """A model's answer to a story gets the deterministic reasons, and the interview's first question
        when the reading is unsure (appended to the text, so the user sees what the buttons answer)."""
        signals = toolbox.story
        if signals is None or not signals.on_topic:
            return
        answer.reasons, state = diagnosis_extras(signals, self.framework)
        if state is not None and state.pending is not None:
            block, answer.question = question_block(state, self.framework)
            answer.interview = state.to_dict()
            answer.answer = f"{answer.answer.rstrip()}\n\n{block}"

    def reply(
        self, story: str, interview: Mapping[str, Any], option_id: str, *, workspace_id: str | None = None
    ) -> Answer:
        """The interview's next turn (see `Composer.reply`): deterministic, so it is answered offline
        whatever the model; `interview` is the state saved with the previous answer."""
        toolbox = Toolbox(self.framework, self.retriever, None, workspace_id)
        return self.composer.reply(story, interview, option_id, toolbox)

    def _fallback(
        self, question: str, toolbox: Toolbox, users: list[str], error: ProviderError, partial: str = ""
    ) -> Iterator[Event]:
        """The composer's answer after a provider failure (after the partial model text, if any)."""
        notice = fallback_notice(error, self.mode)
        if partial:
            notice = (
                f"The model's answer was cut off ({' '.join(str(error).split())}); the part that arrived is "
                "kept, followed by Keysmith's offline answer."
            )
        yield NoticeEvent(notice)
        draft = self.composer.draft(question, toolbox)
        text = draft.text
        if partial:
            text = f"{partial.rstrip()} …\n\n---\n\n**Keysmith's offline answer:**\n\n{draft.text}"
        answer = finish(
            text,
            toolbox,
            [question, *users],
            mode=f"{OFFLINE} (fallback: {error.kind})",
            abstained=draft.abstained and not partial,
            follow_ups=draft.follow_ups,
            notice=notice,
            incomplete=bool(partial),
        )
        yield FinalEvent(answer.answer, answer=answer)


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return " ".join(kept) if kept else None
