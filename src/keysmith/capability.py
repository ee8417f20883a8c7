"""Whether a model is offered tools: the capability check an `Assistant` owns.

`ToolCallCheck(owner)` decides for an owner (the Assistant: see `CheckOwner`) and records the decision on it,
so that the owner's `tool_calls`, `capability_reason` and `mode_reason` stay plain attributes:
- `decide(model)`: the owner's `tool_calls` when already set (given by the caller, or decided); else
  KEYSMITH_TOOL_CALLS on/off; else (auto) OpenAI and Azure are assumed able, and an OpenAI-compatible server
  is checked once per process (`agent.check_tool_calling`, one small request in which calling a tool is
  required). A server that refuses the required call cannot call tools; one that fails otherwise (down?)
  is left undecided and offered tools, so that the turn itself tells. A model that cannot call tools is
  used in grounded-text mode, and the owner's `mode_reason` says so.
- `decide_within(model, deadline, budget)`: `decide` bounded by a turn's deadline (TurnBudgetExceeded past
  it). The check runs once per owner, in the background: a later turn waits for the same check.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Protocol

from keysmith.config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

CHECKED_REASON = "checked once with a required tool call"
# What the capability check found for each OpenAI-compatible model spec, once per process.
_CHECKED: dict[str, bool] = {}


class CheckOwner(Protocol):
    """What the check reads (`settings`, `mode`) and records (the other three) on its owner."""

    settings: Settings
    mode: str
    mode_reason: str
    tool_calls: bool | None
    capability_reason: str


class ToolCallCheck:
    """Decides, once, whether the owner's model is offered tools (see the module docstring)."""

    def __init__(self, owner: CheckOwner) -> None:
        self.owner = owner
        self._check: Future[bool] | None = None  # the check in flight (`decide_within`)
        self._lock = threading.Lock()

    def decide(self, model: BaseChatModel) -> bool:
        """Whether to offer `model` tools: KEYSMITH_TOOL_CALLS on/off, else (auto) OpenAI and Azure can, and
        an OpenAI-compatible server is checked once per process with one small request."""
        owner = self.owner
        if owner.tool_calls is not None:
            return owner.tool_calls
        setting = owner.settings.tool_calls
        if setting in ("on", "off"):
            decided, owner.capability_reason = setting == "on", f"KEYSMITH_TOOL_CALLS={setting}"
        elif not owner.mode.startswith("openai-compatible:"):
            decided, owner.capability_reason = True, "assumed: the provider's chat models call tools"
        elif owner.mode in _CHECKED:
            decided, owner.capability_reason = _CHECKED[owner.mode], CHECKED_REASON
        else:
            probed = self._probe(model)
            if probed is None:
                return True  # undecided (the server is down?): the turn itself will tell
            _CHECKED[owner.mode] = decided = probed
            owner.capability_reason = CHECKED_REASON
        owner.tool_calls = decided
        if not decided:
            owner.mode_reason = (
                f"{owner.mode_reason} The model does not call tools ({owner.capability_reason}), so it is "
                "used in grounded-text mode: Keysmith runs the tools itself and the model writes from their "
                "results."
            ).strip()
        return decided

    def _probe(self, model: BaseChatModel) -> bool | None:
        """The check's own request: its answer, False when the server refuses a required tool call, None
        when it failed otherwise (undecided). Errors that are not provider failures surface."""
        # The agent and the provider SDKs load only when a model is used: offline answers start sooner.
        from keysmith.agent import check_tool_calling
        from keysmith.models import provider_failure

        try:
            return check_tool_calling(model)
        except Exception as exc:
            error = provider_failure(exc, self.owner.mode)
            if error is None:
                raise
            if error.kind not in ("bad_request", "empty_answer"):
                return None
            return False  # the server refused a required tool call

    def decide_within(self, model: BaseChatModel, deadline: float, budget: float) -> bool:
        """`decide` bounded by the turn's deadline: a slow server's capability check counts against the
        turn's budget (TurnBudgetExceeded past it). The check runs once, in the background: a later turn
        waits for the same check rather than starting another (a slow server would otherwise be sent one
        more check per turn); a check that failed or could not decide is started again."""
        from keysmith.agent import TurnBudgetExceeded

        if self.owner.tool_calls is not None:
            return self.owner.tool_calls
        with self._lock:
            if self._check is None or self._check.done():
                self._check = Future()
                threading.Thread(
                    target=self._run, args=(model, self._check), name="keysmith-capability-check",
                    daemon=True,
                ).start()  # fmt: skip
            check = self._check
        try:
            return check.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise TurnBudgetExceeded(budget) from None

    def _run(self, model: BaseChatModel, check: Future[bool]) -> None:
        try:
            check.set_result(self.decide(model))
        except BaseException as exc:  # handed to the turn that waits for it
            check.set_exception(exc)
