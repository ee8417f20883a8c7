"""Answer guards: the model is never trusted to have produced a number, a citation or a name on its own.

`guard_numbers` drops every sentence that states a number found in none of the allowed sources (tool
results, retrieved passages, the user's own words). `check_citations` removes citation markers `[n]` that
point to no passage handed out in this turn. `guard_names` (names.py) drops every sentence naming an
archetype, step or stall reason that neither the framework data nor the turn's tool results hold. Each
returns the cleaned text and what it removed, so the caller can tell the user ("1 sentence was removed
because ...").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

from keysmith.guards.names import KnownNames, guard_names
from keysmith.guards.text import GuardResult, line_prefix, sentences, tidy
from keysmith.text.citations import MARKER_GROUP as _MARKER_GROUP
from keysmith.text.numbers import word_numbers

__all__ = [
    "GuardResult",
    "KnownNames",
    "allowed_numbers",
    "check_citations",
    "guard_names",
    "guard_numbers",
]

# The product's own scales ("3 out of 5", "41.5/100", "1 to 5", "0-100") are not claims; their ends are
# removed before the check, so "3 out of 5" still needs its 3 from a source.
_SCALE = re.compile(
    r"(?:\bout of|/)\s*(?:5|100)\b(?!\.\d)|\b(?:0|1)\s*(?:-|–|to)\s*(?:5|100)\b(?!\.\d)", re.IGNORECASE
)
_URL = re.compile(r"(?:https?|mailto):[^\s)>\]]+|\]\([^)]*\)", re.IGNORECASE)
# A number: digits with optional thousands separators, decimals and a magnitude suffix ("250k", "3x",
# "2bn"; the digits must be sourced), not glued to other letters ("gpt-4o", "S3", "1st").
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[kKmMxX]|bn)?(?![\w])")
_ROUNDINGS = (ROUND_HALF_UP, ROUND_HALF_EVEN)  # 72.25 may be stated as 72.3 or 72.2


def _to_decimal(integer: str, fraction: str | None) -> Decimal | None:
    try:
        return Decimal(integer.replace(",", "") + (fraction or ""))
    except InvalidOperation:  # pragma: no cover - the regex only matches digits
        return None


def _numbers_in(text: str) -> list[tuple[str, Decimal]]:
    """Every number stated in `text`, ignoring citation markers and URLs."""
    text = _SCALE.sub(" ", _URL.sub(" ", _MARKER_GROUP.sub(" ", text)))
    found: list[tuple[str, Decimal]] = []
    for match in _NUMBER.finditer(text):
        value = _to_decimal(match.group(1), match.group(2))
        if value is not None:
            found.append((match.group(0), value))
    # "seventy percent", "twenty-three regions": spelled out is still a number the model must not invent.
    return found + word_numbers(text)


def allowed_numbers(sources: Iterable[str]) -> set[Decimal]:
    """The set of numbers present in `sources` (tool outputs, passages, the user's words)."""
    values: set[Decimal] = set()
    for source in sources:
        # Lenient on purpose: every digit run in a source counts, markers and URLs included.
        for match in _NUMBER.finditer(source):
            value = _to_decimal(match.group(1), match.group(2))
            if value is not None:
                values.add(value)
        # The user's "twelve regions" allows the model's "12 regions" (and the other way round).
        values.update(value for _, value in word_numbers(source, include_small=True))
    return values


def _supported(stated: str, value: Decimal, allowed: set[Decimal]) -> bool:
    """`value` appears in a source, or is a source value rounded to the precision it was stated with.

    Rounding is allowed ("62" for a tool's 62.4) because it states the tool's number less precisely; any
    other arithmetic (sums, differences, percentages of) is the model computing, which is not allowed.
    """
    if value in allowed:
        return True
    places = len(stated.split(".")[1]) if "." in stated else 0
    quantum = Decimal(1).scaleb(-places)
    near = [source for source in allowed if abs(source - value) < 1]
    return any(source.quantize(quantum, rounding) == value for source in near for rounding in _ROUNDINGS)


def guard_numbers(text: str, allowed_sources: Sequence[str]) -> GuardResult:
    """Drop every sentence of `text` that states a number none of `allowed_sources` contains.

    Numbers are digits, decimals, percentages ("40%" is the number 40), both numbers of "3 out of 5" and
    numbers written as words from eleven up, or any followed by "percent" (`keysmith.text.numbers`).
    Citation markers `[n]`, numbered-list prefixes and numbers inside URLs are not claims. A line whose
    sentences are all dropped disappears. `dropped` lists the removed sentences verbatim.
    """
    allowed = allowed_numbers(allowed_sources)
    dropped: list[str] = []
    kept_lines: list[str] = []
    for line in text.split("\n"):
        prefix, body = line_prefix(line)
        kept: list[str] = []
        for sentence in sentences(body):
            if all(_supported(stated, value, allowed) for stated, value in _numbers_in(sentence)):
                kept.append(sentence)
            else:
                dropped.append(sentence.strip())
        if kept:
            kept_lines.append(prefix + " ".join(kept))
        elif not body.strip():
            kept_lines.append(line)
    return GuardResult(tidy("\n".join(kept_lines)), dropped)


def check_citations(text: str, valid: set[int]) -> GuardResult:
    """Remove citation markers that point to no retrieved passage; `dropped` lists them as `[n]`.

    `[1, 7]` with only 1 valid becomes `[1]`; a group with no valid number disappears with the space
    before it.
    """
    dropped: list[str] = []

    def replace(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", match.group(1))]
        good = [n for n in numbers if n in valid]
        dropped.extend(f"[{n}]" for n in numbers if n not in valid)
        return f"[{', '.join(str(n) for n in good)}]" if good else ""

    cleaned = _MARKER_GROUP.sub(replace, text)
    if dropped:
        cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
        cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return GuardResult(cleaned, dropped)
