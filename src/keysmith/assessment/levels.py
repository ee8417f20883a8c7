"""Reading a descriptive answer by the level descriptions it echoes (standard library and keysmith.text only).

`match_level(text, levels)` compares an answer with each level's description (`levels` maps a level 1..5 to
what that level looks like, e.g. a variable's `anchor_1` and `anchor_5`) by content-word overlap: both sides
are normalised, stop words dropped and words stemmed (`keysmith.text.matching`), and negators kept ("no" in
"no owner" echoes "No named owner"). A level wins only when it clearly does:
- it shares at least `MIN_SHARED` stems with the answer, more than every other level shares, and
- at least one of them is in no other level's description (words every level uses, such as "data", decide
  nothing), and
- the answer carries no negator or problem word ("not", "problem") that the winning description lacks: such
  an answer says the opposite of what it echoes, so it is not read.
Otherwise, and for unrelated text ("banana"), the result is None. The caller shows a match back to the user
for confirmation; it is never certain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from keysmith.text.matching import NEGATORS, PROBLEMS, clauses, stem

MIN_SHARED = 2
# Quantifiers and fillers that appear in descriptions of every level and say nothing about which one.
_NEUTRAL = frozenset(
    stem(w) for w in ("each", "every", "all", "own", "one", "other", "same", "someone", "by")
)
_DISSENT = frozenset(stem(w) for w in (*NEGATORS, *PROBLEMS))


@dataclass(frozen=True)
class LevelMatch:
    """The level an answer echoes; `description` is the part of that level's text it echoes most."""

    level: int
    description: str


def _stems(text: str) -> frozenset[str]:
    return frozenset().union(*(c.stems for c in clauses(text))) - _NEUTRAL


def _best_part(description: str, answer: frozenset[str]) -> str:
    """The sentence or `;`-part of `description` sharing the most stems with the answer, as written."""
    parts = [p.strip() for p in description.replace(";", ".").split(".") if p.strip()]
    return max(parts, key=lambda p: len(_stems(p) & answer), default=description.strip())


def match_level(text: str, levels: Mapping[int, str]) -> LevelMatch | None:
    """The level whose description `text` clearly echoes (see the module docstring), or None."""
    answer = _stems(text)
    described = {level: _stems(words) for level, words in levels.items() if words.strip()}
    if not answer or len(described) < 2:
        return None
    shared = sorted(((len(answer & s), level) for level, s in described.items()), reverse=True)
    (top, level), (runner_up, _) = shared[0], shared[1]
    others = frozenset().union(*(s for lv, s in described.items() if lv != level))
    own = answer & described[level] - others
    if top < MIN_SHARED or top <= runner_up or not own or (answer & _DISSENT) - described[level]:
        return None
    return LevelMatch(level, _best_part(levels[level], answer))
