"""The Assistant: one entry point for the CLI and the UI, with a language model or without one.

`Assistant(settings, framework, retriever, model=None, model_spec="offline")`:
- `stream(question, history=())` yields `TokenEvent`, `ToolStartEvent`, `ToolEndEvent`, `NoticeEvent` and one
  last `FinalEvent` whose `answer` is the finished `Answer`; `ask(question, history=())` returns that Answer.
- Without a model, the composer answers. With a model, each turn gets a fresh `Toolbox` and agent graph,
  and is grounded first (`keysmith.grounding`): the deterministic steps the question needs run through the
  Toolbox, show as steps, and reach the model as its first tool results; the tools stay available for more.
  The final text goes through the guards (numbers, citations, names) and the sanitiser (finish.py).
- An answer to a framework or diagnosis question that cites none of the turn's passages, or that the
  guards empty, is not shown as the model's: the composer answers, with a one-line notice saying why.
- Tool calling is decided once (`keysmith.capability`, KEYSMITH_TOOL_CALLS); a model that does not call a
  required tool is used in grounded-text mode (the grounding results in the user's message, no tool
  rounds). `capabilities` says which, and why.
- Each turn with a model has a wall-clock budget (KEYSMITH_TURN_BUDGET); past it the partial answer is
  kept, marked `incomplete`, and the composer's answer follows (`keysmith.fallback`).
- Provider failures never escape: an outage (rate limit, timeout, connection, server, quota, an empty
  reply) or a configuration problem (auth, not_found, bad_request, a context window too small) makes the
  composer answer, with a one-line notice saying why (for configuration problems: which variable to fix); a
  stream cut mid-answer keeps the partial text, marks the answer `incomplete` and adds the composer's
  answer. Other errors (a bug, the vector store being down) surface.
- Empty or over-long questions raise `InputLimitError` naming the limit, before any work is done.

`Grounding`, `fallback_notice` and `CONFIG_KINDS` are re-exported from the modules that now hold them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from keysmith.answer import Answer, Event, FinalEvent, NoticeEvent
from keysmith.assessment import AssessmentState
from keysmith.capability import ToolCallCheck
from keysmith.composer import OFFLINE, Composer
from keysmith.composer.routing import Route
from keysmith.config import Settings
from keysmith.errors import ConfigError, ProviderError, StreamCutError
from keysmith.fallback import CONFIG_KINDS, failure_kind, failure_notice, fallback_notice, offline_answer
from keysmith.framework import Framework, load_framework
from keysmith.grounding import Grounding, attach_diagnosis, ground, why_not_shown
from keysmith.guards import KnownNames
from keysmith.guards.finish import finish
from keysmith.limits import check_question
from keysmith.retrieval import Retriever, open_retriever
from keysmith.tools import Toolbox

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

__all__ = ["CONFIG_KINDS", "Assistant", "Grounding", "History", "fallback_notice"]

# The agent and the provider SDKs load only when a model is used: offline answers start seconds sooner.
History = Sequence["tuple[str, str] | BaseMessage"]

MAX_TOOL_ROUNDS = 6
# Seconds kept back from a model turn's budget for the offline answer that follows a stop.
FALLBACK_RESERVE = 3.0


def _user_texts(history: History) -> list[str]:
    """The user's earlier messages (their numbers may be repeated back)."""
    texts = []
    for item in history:
        if isinstance(item, tuple) and item[0] in ("user", "human"):
            texts.append(str(item[1]))
        elif not isinstance(item, tuple) and getattr(item, "type", "") == "human":
            texts.append(str(item.content))
    return texts


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
        tool_calls: bool | None = None,
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
        self.names = KnownNames.from_framework(framework)
        # Whether the model is offered tools: given, or decided on first use by the check it owns.
        self.tool_calls = tool_calls
        self.capability_reason = "given by the caller" if tool_calls is not None else ""
        self.capability_check = ToolCallCheck(self)  # records its decision in the three attributes above

    @property
    def capabilities(self) -> dict[str, Any] | None:
        """What the model is used for (None offline): `tool_calls` (True, False, or None until decided),
        `grounded_text` (the model only writes from results Keysmith hands it) and `checked` (how it was
        decided)."""
        if self.model is None:
            return None
        return {
            "tool_calls": self.tool_calls,
            "grounded_text": self.tool_calls is False,
            "checked": self.capability_reason or None,
        }

    @classmethod
    def from_settings(cls, settings: Settings, *, connect_in_background: bool = False) -> Assistant:
        """Resolve and load the model, load the framework, open the retriever (indexing first if needed).

        With `connect_in_background`, the index is connected while the first question is read (a one-shot
        `keysmith ask` saves about a second), and a store that cannot be reached fails at the first search
        instead of here. A model that cannot be set up (a bad KEYSMITH_MODEL, a missing key) does not stop
        Keysmith: it answers offline and every answer's notice says what to fix.
        """
        from keysmith.ingest import index_knowledge, marker_path
        from keysmith.models import load_chat_model, resolve_model_spec

        framework = load_framework(settings.framework_dir)
        if not marker_path(settings).exists():
            index_knowledge(settings)
        retriever = open_retriever(settings, wait=not connect_in_background)
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

    def ground(self, question: str, route: Route, toolbox: Toolbox) -> Grounding:
        """Run the deterministic steps `question` needs (see `keysmith.grounding`) through `toolbox`."""
        return ground(question, route, toolbox, self.framework)

    def _stream_model(
        self, model: BaseChatModel, question: str, history: History, toolbox: Toolbox, users: list[str]
    ) -> Iterator[Event]:
        from keysmith.agent import TruncatedNotice, TurnBudgetExceeded, build_agent, stream_agent
        from keysmith.models import provider_failure
        from keysmith.prompts import render

        budget = self.settings.turn_budget
        # The model stops a little before the budget so that the offline fallback, which follows a stop,
        # still ends the turn within it (measured against a real server: fallbacks ran 0.1-0.9 s over).
        deadline = time.monotonic() + budget - min(FALLBACK_RESERVE, budget * 0.1)
        notices: list[str] = []
        route = self.composer.route(question)
        truncated = False
        try:
            tool_calls = self.capability_check.decide_within(model, deadline, budget)
            grounding = self.ground(question, route, toolbox)
            yield from grounding.events()
            graph = build_agent(
                model,
                toolbox.tools(),
                render("system"),
                max_tool_rounds=MAX_TOOL_ROUNDS,
                tool_calls=tool_calls,
            )
            events = stream_agent(
                graph,
                question if tool_calls else grounding.as_text(question),
                history,
                spec=self.mode,
                classify=provider_failure,
                grounding=grounding.messages() if tool_calls else (),
                deadline=deadline,
                budget=budget,
            )
            for event in events:
                if isinstance(event, FinalEvent):
                    yield from self._model_answer(event, question, route, toolbox, users, notices, truncated)
                    return
                if isinstance(event, NoticeEvent):
                    notices.append(event.text)
                    truncated = truncated or isinstance(event, TruncatedNotice)
                yield event
        except TurnBudgetExceeded as over:
            yield from self._fallback(question, toolbox, users, over, partial=over.partial_text)
        except StreamCutError as cut:
            yield from self._fallback(question, toolbox, users, cut, partial=cut.partial_text)
        except ProviderError as error:
            yield from self._fallback(question, toolbox, users, error)

    def _model_answer(
        self,
        event: FinalEvent,
        question: str,
        route: Route,
        toolbox: Toolbox,
        users: list[str],
        notices: list[str],
        truncated: bool,
    ) -> Iterator[Event]:
        """The model's final text, guarded; or the composer's answer when it is not grounded enough."""
        answer = finish(
            event.text,
            toolbox,
            [question, *users],
            mode=self.mode,
            notice=_join(*notices),
            incomplete=truncated,
            names=self.names,
        )
        answer.capabilities = self.capabilities
        if why := why_not_shown(answer, route, toolbox, self.names):
            kind = "guarded_empty" if not answer.answer.strip() else "uncited"
            yield from self._composer_instead(
                question, toolbox, users, kind, f"Answered offline because {why}."
            )
            return
        attach_diagnosis(answer, toolbox, self.framework)
        yield FinalEvent(answer.answer, answer=answer, capped=event.capped)

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
        notice = failure_notice(error, self.mode, partial)
        yield from self._composer_instead(question, toolbox, users, failure_kind(error), notice, partial)

    def _composer_instead(
        self, question: str, toolbox: Toolbox, users: list[str], kind: str, notice: str, partial: str = ""
    ) -> Iterator[Event]:
        """The composer's answer in place of the model's (after its guarded partial text, if any)."""
        yield NoticeEvent(notice)
        answer = offline_answer(
            self.composer, self.names, question, toolbox, users, kind=kind, notice=notice, partial=partial
        )
        answer.capabilities = self.capabilities
        yield FinalEvent(answer.answer, answer=answer)


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return " ".join(kept) if kept else None
