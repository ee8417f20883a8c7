"""How a model's turns held up: grounding, the model's own tool calls, and the failures a user would see.

`grounding(turn)` puts each answer in one class:
- `error`: an exception escaped the turn (the user would have seen a traceback);
- `cited`: it cites a passage the turn's own tools handed out;
- `fallback`: the offline composer answered in the model's place (`offline (fallback: ...)`) with a notice;
- `abstained`: it cites nothing and says the framework or Keysmith does not cover the question;
- `neither`: the rest (a model's uncited answer, or offline, an uncited composer answer).

`suite_shares(turns)` is what every answer suite reports beside its own metrics: `tool_call_rate` (the share
of the model's answers where the model itself called at least one tool; None offline) and `grounded_share`
(cited or fallback, over all answers) and `grounded_or_abstained_share`. `robustness(turns, names, budget)`
is the run's `summary["robustness"]`: counts of errors, empty answers, answers showing an archetype, step or
stall-reason name the framework and the turn's results do not hold (checked with `guards.guard_names` on the
model's text the user saw, see `model_text`), turns over the budget, incomplete answers, fallbacks by kind,
and the slowest turn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from evals import evaluators as ev
from evals.turns import Turn
from keysmith.answer import Answer
from keysmith.guards import KnownNames, guard_names

OFFLINE = "offline"
FALLBACK_PREFIX = "offline (fallback: "
# What follows a kept partial model text (Assistant._composer_instead).
COMPOSER_MARKER = "Keysmith's offline answer:"
CLASSES = ("cited", "fallback", "abstained", "neither", "error")


def grounding(turn: Turn) -> str:
    """The turn's class (see the module docstring)."""
    answer = turn.answer
    if turn.error is not None:
        return "error"
    handed_out = set(turn.passages.values())
    if answer.citations and all(c.id in handed_out for c in answer.citations):
        return "cited"
    if answer.mode.startswith(FALLBACK_PREFIX) and answer.notice:
        return "fallback"
    if ev.is_abstention(answer.abstained, answer.answer):
        return "abstained"
    return "neither"


def _fell(mode: str) -> str:
    """`mode` without the fallback prefix (unchanged when the answer was not a fallback)."""
    return mode.removeprefix(FALLBACK_PREFIX)


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def suite_shares(turns: Sequence[Turn]) -> dict[str, Any]:
    """`tool_call_rate`, `grounded_share` and `grounded_or_abstained_share` of `turns` (module docstring)."""
    classes = Counter(grounding(turn) for turn in turns)
    counted = [t for t in turns if t.model_tool_calls is not None and t.error is None]
    calling = sum(1 for t in counted if t.model_tool_calls)
    return {
        "tool_call_rate": _share(calling, len(counted)),
        "grounded_share": _share(classes["cited"] + classes["fallback"], len(turns)),
        "grounded_or_abstained_share": _share(
            classes["cited"] + classes["fallback"] + classes["abstained"], len(turns)
        ),
    }


def model_text(answer: Answer) -> str:
    """The part of `answer` the model wrote: all of a model's answer; of an offline or fallback answer, only
    the model's partial text kept before the composer's (the composer writes from the framework data)."""
    if not answer.mode.startswith(OFFLINE):
        return answer.answer
    head, marker, _composer = answer.answer.partition(COMPOSER_MARKER)
    return head if marker else ""


def invented_names(turn: Turn, names: KnownNames) -> list[str]:
    """Sentences of the model's shown text naming something neither the framework nor the turn's results
    hold (the names guard run again on what the user saw)."""
    text = model_text(turn.answer)
    if not text.strip():
        return []
    return guard_names(text, names, turn.sources, [turn.question]).dropped


def robustness(turns: Sequence[Turn], names: KnownNames, budget: float) -> dict[str, Any]:
    """The run's robustness counts (see the module docstring); `budget` is KEYSMITH_TURN_BUDGET (s)."""
    classes = Counter(grounding(turn) for turn in turns)
    invented = {t.case_id: found for t in turns if (found := invented_names(t, names))}
    modes = Counter(t.answer.mode for t in turns)
    return {
        "answers": len(turns),
        "errors": classes["error"],
        "error_cases": sorted(t.case_id for t in turns if t.error is not None),
        "empty_answers": sum(1 for t in turns if t.error is None and not t.answer.answer.strip()),
        "invented_names_shown": len(invented),
        "invented_name_cases": sorted(invented),
        "grounding": {name: classes[name] for name in CLASSES},
        **suite_shares(turns),
        "turn_budget_seconds": budget,
        "turns_over_budget": sum(1 for t in turns if t.seconds > budget),
        "max_turn_seconds": round(max((t.seconds for t in turns), default=0.0), 2),
        "incomplete": sum(1 for t in turns if t.answer.incomplete),
        "fallbacks": {m.removeprefix(FALLBACK_PREFIX)[:-1]: n for m, n in modes.items() if m != _fell(m)},
    }
