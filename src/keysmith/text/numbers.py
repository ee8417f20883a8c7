"""Numbers written as words: the one table of number words (counts and ordinals) and, for the answer guards,
spelled-out numbers found in text ("seventy percent", "twenty-three regions").

`word_numbers(text)` returns each spelled-out number with its value. Small counts (zero to ten) are part of
ordinary speech ("one reason", "two profiles") and are returned only when a percentage follows ("five
percent"), because that is where a model states an invented statistic; from eleven up every spelled-out
number is returned. Fractions ("half", "a third") and vague plurals ("hundreds of teams") are not numbers
here. Standard library only.
"""

from __future__ import annotations

import re
from decimal import Decimal

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_VALUES: dict[str, int] = {word: value for value, word in enumerate(_UNITS)}
_VALUES.update({word: 20 + 10 * index for index, word in enumerate(_TENS)})
# The one table of number words: "zero".."ten" as counts, and "first".."tenth" as ordinals.
SMALL_NUMBERS: dict[str, int] = {word: value for word, value in _VALUES.items() if value <= 10}
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth",
                  "sixth", "seventh", "eighth", "ninth", "tenth")  # fmt: skip
ORDINALS: dict[str, int] = {word: index for index, word in enumerate(_ORDINAL_WORDS, start=1)}

_WORD = "|".join(sorted([*_VALUES, *_SCALES], key=len, reverse=True))
# After a scale word only, "and" continues the number ("a hundred and fifty"); "eleven and twelve" is two.
_AND = r"(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))\s+and\s+"
# A run of number words joined by spaces, hyphens or that "and"; "a hundred" counts as one hundred. Word
# boundaries keep "often" or "someone" from matching "ten" or "one".
_RUN = re.compile(
    rf"\b(?:an?\s+(?=(?:hundred|thousand|million|billion)\b))?(?:{_WORD})(?:(?:{_AND}|[\s-]+)(?:{_WORD}))*\b",
    re.IGNORECASE,
)
_PERCENT_AFTER = re.compile(r"\s*(?:%|percent\b|per\s+cent\b|percentage points?\b)", re.IGNORECASE)
SMALL = 10  # counts up to this are ordinary speech unless a percentage follows


def count_word(n: int) -> str:
    """3 -> "three", 0 -> "no" (digits past ten, which then must come from a tool output)."""
    return "no" if n == 0 else (_UNITS[n] if 0 < n <= 10 else str(n))


def ordinal_word(n: int) -> str:
    """3 -> "third" (up to tenth; "number 12" past it)."""
    return _ORDINAL_WORDS[n - 1] if 0 < n <= len(_ORDINAL_WORDS) else f"number {n}"


def _value(run: str) -> int:
    """The value of a run of number words (already matched by `_RUN`)."""
    total, current = 0, 0
    for word in re.findall(r"[a-z]+", run.lower()):
        if word in _VALUES:
            current += _VALUES[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
    return total + current


def word_numbers(text: str, *, include_small: bool = False) -> list[tuple[str, Decimal]]:
    """Each spelled-out number in `text` as (the words as written, value).

    Values up to ten are skipped unless a percentage follows or `include_small` is set (the guards set it
    when reading sources, so a user's "ten regions" allows a model's "10 regions").
    """
    found: list[tuple[str, Decimal]] = []
    for match in _RUN.finditer(text):
        value = _value(match.group(0))
        percent = _PERCENT_AFTER.match(text, match.end()) is not None
        if value > SMALL or percent or include_small:
            found.append((match.group(0), Decimal(value)))
    return found
