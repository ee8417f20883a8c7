"""The Assistant: one entry point for the CLI and the UI, with a language model or without one.

`Assistant(settings, framework, retriever, model=None, model_spec="offline")`:
- `stream(question, history=())` yields `TokenEvent`, `ToolStartEvent`, `ToolEndEvent`, `NoticeEvent` and one
  last `FinalEvent` whose `answer` is the finished `Answer`; `ask(question, history=())` returns that Answer.
- With a model, each turn gets a fresh `Toolbox` and agent graph. Before the model speaks, the turn is
  grounded: the deterministic steps the question needs (the composer's routing decides: the story reading
  and its reasons' passages for a story, a framework search for a framework question, the archetype list or
  description, scoring when the assessment has answers) run through the Toolbox, show as steps, and reach
  the model as the first tool results; the tools stay available for more. The final text goes through the
  guards (numbers, citations, names) and the sanitiser (finish.py). Without a model, the composer answers.
- An answer to a framework or diagnosis question that cites none of the turn's passages, or that the
  guards empty, is not shown as the model's: the composer answers, with a one-line notice saying why.
- Tool calling: an OpenAI-compatible server is checked once per process (`agent.check_tool_calling`,
  KEYSMITH_TOOL_CALLS=auto); one whose model does not call a required tool is used in grounded-text mode
  (the grounding results in the user's message, no tool rounds). `capabilities` says which, and why.
- Each turn with a model has a wall-clock budget (KEYSMITH_TURN_BUDGET); past it the partial answer is
  kept, marked `incomplete`, and the composer's answer follows.
- Provider failures never escape: an outage (rate limit, timeout, connection, server, quota, an empty
  reply) or a configuration problem (auth, not_found, bad_request, a context window too small) makes the
  composer answer, with a one-line notice saying why (for configuration problems: which variable to fix); a
  stream cut mid-answer keeps the partial text, marks the answer `incomplete` and adds the composer's
  answer. Other errors (a bug, the vector store being down) surface.
- Empty or over-long questions raise `InputLimitError` naming the limit, before any work is done.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keysmith import assessment
from keysmith.answer import Answer, Event, FinalEvent, NoticeEvent, ToolEndEvent, ToolStartEvent
from keysmith.assessment import AssessmentState
from keysmith.composer import OFFLINE, Composer
from keysmith.composer.frames import Draft
from keysmith.composer.routing import Route
from keysmith.composer.story import chosen_reasons, diagnosis_extras, question_block
from keysmith.config import Settings
from keysmith.errors import ConfigError, ProviderError, StreamCutError
from keysmith.framework import Framework, load_framework
from keysmith.guards import KnownNames, guard_names
from keysmith.guards.finish import finish
from keysmith.limits import check_question
from keysmith.retrieval import Retriever, open_retriever
from keysmith.tools import Toolbox
from keysmith.tools.impl import ToolResult

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

# The agent and the provider SDKs load only when a model is used: offline answers start seconds sooner.
History = Sequence["tuple[str, str] | BaseMessage"]

MAX_TOOL_ROUNDS = 6
CONFIG_KINDS = frozenset({"auth", "not_found", "bad_request", "context_window"})
# Questions about what the framework holds: their answer must cite a passage when the turn found one.
FRAMEWORK_INTENTS = frozenset(
    {"known_step", "unknown_step", "steps", "archetype", "unknown_archetype", "archetypes", "limits"}
)
# Tools whose results ground an answer without a passage (scores, the assessment's own questions).
ASSESSMENT_TOOLS = frozenset(
    {"score_assessment", "what_if", "record_assessment_answer", "next_assessment_question"}
)
_FRAMEWORK_WORDS = re.compile(
    r"\b(?:framework|archetypes?|stall[- ]reasons?|instant competence)\b", re.IGNORECASE
)
MAX_QUERY = 400  # characters of the question used as the grounding search
MAX_GROUNDED_REASONS = 2
# What the capability check found for each OpenAI-compatible model spec, once per process.
_CHECKED: dict[str, bool] = {}


@dataclass(frozen=True)
class Grounding:
    """The deterministic steps run before the model speaks: (tool name, arguments, result) in order."""

    steps: tuple[tuple[str, dict[str, Any], ToolResult], ...]

    def events(self) -> Iterator[Event]:
        """The steps as tool events (the user sees them like the model's own)."""
        for number, (name, args, result) in enumerate(self.steps, start=1):
            call_id = f"ground_{number}"
            yield ToolStartEvent(name, dict(args), call_id=call_id)
            yield ToolEndEvent(name, result.text, ok=result.ok, call_id=call_id)

    def messages(self) -> list[BaseMessage]:
        """The steps as the first tool round of the conversation: one AIMessage and its ToolMessages."""
        from langchain_core.messages import AIMessage, ToolMessage

        from keysmith.agent import GROUNDING_ID

        if not self.steps:
            return []
        calls = [
            {"name": name, "args": dict(args), "id": f"ground_{n}", "type": "tool_call"}
            for n, (name, args, _) in enumerate(self.steps, start=1)
        ]
        results: list[BaseMessage] = [
            ToolMessage(
                content=result.text,
                name=name,
                tool_call_id=f"ground_{n}",
                status="success" if result.ok else "error",
            )
            for n, (name, _, result) in enumerate(self.steps, start=1)
        ]
        return [AIMessage(content="", tool_calls=calls, id=f"{GROUNDING_ID}-1"), *results]

    def as_text(self, question: str) -> str:
        """The question with the steps' results after it, for a model that cannot call tools."""
        from keysmith.prompts import render

        if not self.steps:
            return question
        results = "\n\n".join(f"Result of {name}:\n{result.text}" for name, _, result in self.steps)
        return render("grounded_turn", question=question, results=results)


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


def _variable_to_fix(kind: str, spec: str) -> str:
    if kind == "auth":
        return "AZURE_OPENAI_API_KEY" if spec.startswith("azure:") else "OPENAI_API_KEY"
    return "KEYSMITH_MODEL"


def fallback_notice(error: ProviderError, spec: str) -> str:
    """One line saying that the answer came from the offline composer, and why."""
    reason = " ".join(str(error).split())
    if error.kind == "budget":
        return f"Answered offline because the language model ({spec}) did not finish in time: {reason}."
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
        # Whether the model is offered tools: given, or decided on first use (see `_decide_tool_calls`).
        self.tool_calls = tool_calls
        self.capability_reason = "given by the caller" if tool_calls is not None else ""
        self._check: Future[bool] | None = None  # the capability check in flight (`_decide_within`)
        self._check_lock = threading.Lock()

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

    def _decide_tool_calls(self, model: BaseChatModel) -> bool:
        """Whether to offer `model` tools: KEYSMITH_TOOL_CALLS on/off, else (auto) OpenAI and Azure can, and
        an OpenAI-compatible server is checked once per process with one small request."""
        from keysmith.agent import check_tool_calling
        from keysmith.models import provider_failure

        if self.tool_calls is not None:
            return self.tool_calls
        setting = self.settings.tool_calls
        decided: bool | None = None
        if setting in ("on", "off"):
            decided, self.capability_reason = setting == "on", f"KEYSMITH_TOOL_CALLS={setting}"
        elif not self.mode.startswith("openai-compatible:"):
            decided, self.capability_reason = True, "assumed: the provider's chat models call tools"
        elif self.mode in _CHECKED:
            decided = _CHECKED[self.mode]
            self.capability_reason = "checked once with a required tool call"
        else:
            try:
                decided = check_tool_calling(model)
            except Exception as exc:
                error = provider_failure(exc, self.mode)
                if error is None:
                    raise
                if error.kind not in ("bad_request", "empty_answer"):
                    return True  # undecided (the server is down?): the turn itself will tell
                decided = False  # the server refused a required tool call
            _CHECKED[self.mode] = decided
            self.capability_reason = "checked once with a required tool call"
        self.tool_calls = decided
        if not decided:
            self.mode_reason = (
                f"{self.mode_reason} The model does not call tools ({self.capability_reason}), so it is used "
                "in grounded-text mode: Keysmith runs the tools itself and the model writes from their "
                "results."
            ).strip()
        return decided

    def _decide_within(self, model: BaseChatModel, deadline: float, budget: float) -> bool:
        """`_decide_tool_calls` bounded by the turn's deadline: a slow server's capability check counts
        against the turn's budget (TurnBudgetExceeded past it). The check runs once, in the background: a
        later turn waits for the same check rather than starting another (a slow server would otherwise be
        sent one more check per turn); a check that failed or could not decide is started again."""
        from keysmith.agent import TurnBudgetExceeded

        if self.tool_calls is not None:
            return self.tool_calls
        with self._check_lock:
            if self._check is None or self._check.done():
                self._check = Future()
                threading.Thread(
                    target=self._run_check, args=(model, self._check), name="keysmith-capability-check",
                    daemon=True,
                ).start()  # fmt: skip
            check = self._check
        try:
            return check.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise TurnBudgetExceeded(budget) from None

    def _run_check(self, model: BaseChatModel, check: Future[bool]) -> None:
        try:
            check.set_result(self._decide_tool_calls(model))
        except BaseException as exc:  # handed to the turn that waits for it
            check.set_exception(exc)

    def ground(self, question: str, route: Route, toolbox: Toolbox) -> Grounding:
        """Run the deterministic steps `question` needs (see the module docstring) through `toolbox`."""
        steps: list[tuple[str, dict[str, Any], ToolResult]] = []

        def run(name: str, **args: Any) -> ToolResult:
            result = toolbox.call(name, **args)
            steps.append((name, args, result))
            return result

        intent, query = route.intent, question[:MAX_QUERY]
        if intent == "diagnose":
            story = run("read_story", text=question[:8000])
            reasons = chosen_reasons(story.data, self.framework) if story.ok else []
            for reason in reasons[:MAX_GROUNDED_REASONS]:
                run("explain_stall_reason", stall_reason_id=reason.id)
            if not reasons:
                run("search_framework", query=query)
        elif intent in ("archetype", "unknown_archetype") and route.detail:
            run("describe_archetype", archetype_id=route.detail)
        elif intent == "archetypes":
            run("list_archetypes")
            run("search_framework", query=query)
        elif intent == "assessment" and toolbox.assessment_state is None:
            run("next_assessment_question")
            run("search_framework", query=query)
        elif len(query.strip()) >= 2:
            run("search_framework", query=query)
        state = toolbox.assessment_state
        if state is not None and any(v is not None for v in assessment.answers(state).values()):
            run("score_assessment")
        return Grounding(tuple(steps))

    def _needs_citation(self, route: Route, toolbox: Toolbox, text: str) -> str:
        """Why an answer `text` must cite one of the turn's passages ("" when it need not): the question is
        about the framework's steps, archetypes or limits; or the answer makes framework claims (it names
        the framework, a stall reason, archetype, step or variable, or the topic of a passage the turn
        found) that no scoring or assessment tool grounds. Nothing is needed when the turn found no passage
        (an off-topic question is rightly answered without one)."""
        if not toolbox.passages:
            return ""
        if route.intent in FRAMEWORK_INTENTS:
            return "framework"
        if any(call.ok and call.name in ASSESSMENT_TOOLS for call in toolbox.calls):
            return ""
        lowered = text.lower()
        topics = [*self.names.every_name(), *(p.title for p in toolbox.passages.values() if p.title)]
        claims = _FRAMEWORK_WORDS.search(text) or any(
            re.search(rf"\b{re.escape(topic.lower())}\b", lowered) for topic in topics if len(topic) > 3
        )
        if not claims:
            return ""
        story = toolbox.story
        return (
            "diagnosis"
            if route.intent == "diagnose" and story is not None and story.on_topic
            else "framework"
        )

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
            tool_calls = self._decide_within(model, deadline, budget)
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
        why = ""
        if not answer.answer.strip():
            checked = f" ({answer.notice})" if answer.notice else ""
            why = f"Keysmith's checks removed every sentence of the model's answer{checked}"
        elif not answer.citations and (kind := self._needs_citation(route, toolbox, answer.answer)):
            question_kind = "your story" if kind == "diagnosis" else "this framework question"
            why = f"the model's answer to {question_kind} cited none of the framework passages Keysmith found"
        if why:
            kind = "guarded_empty" if not answer.answer.strip() else "uncited"
            yield from self._composer_instead(
                question, toolbox, users, kind, f"Answered offline because {why}."
            )
            return
        self._attach_diagnosis(answer, toolbox)
        yield FinalEvent(answer.answer, answer=answer, capped=event.capped)

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
        reason = " ".join(str(error).split())
        if partial and error.kind == "budget":
            notice = (
                f"The model's answer was stopped because {reason}; the part that arrived is kept, followed "
                "by Keysmith's offline answer."
            )
        elif partial:
            notice = (
                f"The model's answer was cut off ({reason}); the part that arrived is kept, followed by "
                "Keysmith's offline answer."
            )
        kind = "stream_cut" if isinstance(error, StreamCutError) else error.kind
        yield from self._composer_instead(question, toolbox, users, kind, notice, partial)

    def _composer_instead(
        self, question: str, toolbox: Toolbox, users: list[str], kind: str, notice: str, partial: str = ""
    ) -> Iterator[Event]:
        """The composer's answer in place of the model's (after its guarded partial text, if any)."""
        yield NoticeEvent(notice)
        draft: Draft = self.composer.draft(question, toolbox)
        text = draft.text
        if partial:
            sources = toolbox.allowed_number_sources()
            kept = guard_names(partial, self.names, sources, [question, *users]).text
            if kept.strip():
                text = f"{kept.rstrip()} …\n\n---\n\n**Keysmith's offline answer:**\n\n{draft.text}"
        answer = finish(
            text,
            toolbox,
            [question, *users],
            mode=f"{OFFLINE} (fallback: {kind})",
            abstained=draft.abstained and not partial,
            follow_ups=draft.follow_ups,
            notice=notice,
            incomplete=bool(partial),
        )
        answer.reasons, answer.question, answer.interview = draft.reasons, draft.question, draft.interview
        answer.capabilities = self.capabilities
        yield FinalEvent(answer.answer, answer=answer)


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return " ".join(kept) if kept else None
