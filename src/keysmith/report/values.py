"""How a report shows one value: a number, a whole score, a percentage, an answer, a name for an id.

Scores, points and gains show as whole numbers, halves rounded away from zero (`whole`: 65.79 -> 66, a change
of 21.43 -> +21); other numbers exactly as the report dict holds them (`num`); a weight or coverage share of
0.15 as 15% (`pct`); an answer as `4 / 5` or `don't know`. `Names` gives display names from the framework
when there is one, else readable ids. A missing number shows as "n/a", never guessed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from keysmith.errors import FrameworkError
from keysmith.framework import Framework


def num(value: object) -> str:
    """A number exactly as the report dict holds it (scoring rounded it already); `65.0` shows as `65`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a"
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def whole(value: object, *, signed: bool = False) -> str:
    """A score, points or gain as a reader sees it: the nearest whole number, halves rounded away from zero
    (46.88 -> `47`, 21.5 -> `22`); `signed` adds `+` to a positive one; "n/a" for a non-number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return "n/a"
    rounded = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + 0
    return f"{rounded:+d}" if signed and rounded else str(rounded)


def pct(value: object) -> str:
    """A weight or coverage share (0..1) as a percentage."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a"
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def answer_text(value: object) -> str:
    """An answer as the person gave it: `4 / 5`, or `don't know`."""
    return f"{value} / 5" if isinstance(value, int) and not isinstance(value, bool) else "don't know"


class Names:
    """Display names for ids, from the framework when there is one."""

    def __init__(self, framework: Framework | None) -> None:
        self._framework = framework

    def _lookup(self, kind: str, item_id: str) -> str:
        if self._framework is None:
            return item_id.replace("_", " ").capitalize()
        try:
            return str(getattr(self._framework, kind)(item_id).name)
        except FrameworkError:
            return item_id

    def variable(self, item_id: str) -> str:
        return self._lookup("variable", item_id)

    def profile(self, item_id: str) -> str:
        return self._lookup("profile", item_id)

    def stall_reason(self, item_id: str) -> str:
        return self._lookup("stall_reason", item_id)

    def archetype(self, item_id: str) -> str:
        return self._lookup("archetype", item_id)
