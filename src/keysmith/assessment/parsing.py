"""Reading an assessment answer typed as free text, offline and deterministically (standard library only).

`parse_answer(text)` never raises, whatever the input (control characters, RTL marks, lone surrogates,
huge strings, non-strings). It understands, in this order of precedence:
1. numbers: "3", "3/5", "4 out of 5", "about a 4", "three". A number followed by a count word ("2 teams",
   "5 regions") is a count, not an answer, and "no one" is not the number one. Two different numbers, a
   decimal ("3.5") or a number outside 1..5 ("7", "8/10") are rejected with a message saying why.
2. quality words: "very weak"/"non-existent" -> 1, "weak"/"poor" -> 2, "ok"/"partly"/"mixed" -> 3,
   "good"/"strong" -> 4, "excellent"/"fully"/"very strong" -> 5; a negator just before flips them
   ("not great" -> 2, "not bad" -> 3); "very"/"really" push 2 -> 1 and 4 -> 5. Two different readings are
   rejected as ambiguous.
3. a bare "yes" (4) or "no" (1) at the start of the answer, only when nothing above matched.
4. "don't know", "not sure", "no idea", "unsure", "n/a", "?", "skip" -> `dont_know`, when no value was given
   ("not sure, maybe 3" is a 3: the user offered an estimate).
5. given `levels` (level -> what it looks like, e.g. a variable's anchors) and only when nothing above read:
   the level whose description the answer clearly echoes (`keysmith.assessment.levels.match_level`): "no
   owner" echoes "No named owner" -> 1. Such a reading is always `certain=False`, `described` quotes the
   description, and `matched` the user's words; unrelated text ("banana") stays unread.

A reading from words (2. or 3.) is `certain=False` when it rests on a few words of a longer answer (more than
`SURE_MAX_WORDS` words) or the answer turns on a contrast ("but", "though", "except"): "it mostly works but
the outputs need checking on about a third of cases" reads as 4 from "mostly", which the user must confirm
before it is recorded. A number, a button value and "don't know" are always certain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from keysmith.assessment.levels import match_level
from keysmith.text.matching import expand_contractions, fold
from keysmith.text.numbers import SMALL_NUMBERS

MAX_ANSWER_CHARS = 500
SURE_MAX_WORDS = 6  # "pretty weak, honestly" is sure; a sentence read from one of its words is not
_CONTRAST = frozenset({"but", "though", "although", "however", "except", "apart", "whereas", "unless"})
HELP = (
    "Reply with a number from 1 (very weak) to 5 (very strong), a word such as 'weak', 'ok' or 'strong', "
    "or 'don't know'."
)


@dataclass(frozen=True)
class ParsedAnswer:
    """`value` 1..5, or `dont_know`; `understood` is False when neither could be read (see `message`).

    `matched` quotes the words that decided the reading, so the caller can confirm it back to the user;
    `certain` is False when that reading should be confirmed before it is recorded (see the module doc);
    `described` is the level description a reading from the answer's content rests on (rule 5), else "".
    """

    value: int | None
    dont_know: bool
    understood: bool
    matched: str = ""
    message: str = ""
    certain: bool = True
    described: str = ""


def _not_understood(message: str) -> ParsedAnswer:
    return ParsedAnswer(None, False, False, "", f"{message} {HELP}".strip())


_DONT_KNOW = (
    "do not know", "dont know", "dunno", "idk", "not sure", "unsure", "no idea", "no clue", "not known",
    "unknown", "can not say", "cant say", "hard to say", "can not tell", "no opinion", "skip", "pass",
    "not applicable", "n a", "na",
)  # fmt: skip
# (value, phrases separated by "|"); phrases that carry their own negation come first in spirit: they are
# matched whole, so "not bad, not great" is one reading (3), not two.
_QUALITY_TABLE = (
    (3, "not bad not great|not great not terrible|neither good nor bad|so so|not fully|not completely|"
        "not entirely|not totally|not quite"),
    (1, "not at all|not yet|not there yet|nothing in place|not in place"),
    (2, "mostly not|largely not|not really|not much|not very|not well"),
    (1, "very weak|very poor|very bad|terrible|awful|horrible|dreadful|non existent|nonexistent|"
        "does not exist|nothing|none|absent|missing|zero|chaos|chaotic|a mess|disaster|hopeless|worst|nil"),
    (2, "weak|poor|bad|low|lacking|limited|patchy|shaky|barely|hardly|immature|fragile|insufficient|"
        "inadequate|below average|rough|sparse|weakish"),
    (3, "ok|okay|partly|partially|mixed|average|medium|moderate|fair|middling|somewhat|sort of|kind of|half|"
        "in places|reasonable|adequate|meh|mediocre|neutral|fine|in progress|getting there|working on it"),
    (4, "good|strong|solid|mostly|largely|high|mature|robust|decent|works well|pretty well|quite well|"
        "fairly well|well established|in place"),
    (5, "excellent|very strong|very good|great|outstanding|perfect|fully|completely|totally|absolutely|"
        "definitely|best in class|world class|superb|fantastic|amazing|brilliant|exemplary|very well"),
)  # fmt: skip
_QUALITY = {phrase: value for value, phrases in _QUALITY_TABLE for phrase in phrases.split("|")}
# Words that already say "absent": a negator before them does not flip them ("no, nothing" is still 1).
_ABSENCE = frozenset({"nothing", "none", "absent", "missing", "zero", "nil", "non existent", "nonexistent"})
_NUMBER_WORDS = SMALL_NUMBERS
_NEGATORS = frozenset({"not", "never", "no"})
_INTENSIFIERS = frozenset({"very", "really", "extremely", "super", "incredibly", "truly", "seriously"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_COUNT_WORDS = _words(
    "people person team region site month year week day time department percent hour minute country office "
    "plant store branch hospital user system tool source step thing way million thousand hundred k m x "
    "dollar euro eur usd gbp of"
)
_NOT_PLURAL = _words("points stars marks is was as this tops yes perhaps thanks always sometimes us its")
_NOT_ONE = _words("no any every some each the this that which only another someone")
_YES, _NO = frozenset({"yes", "yeah", "yep", "yup", "sure"}), frozenset({"no", "nope", "nah"})
_NO_FOLLOWERS = frozenset({"not", "we", "it", "there", "nothing", "none", "nobody", "never", "no", "they"})

_NUM = "|".join(["[0-9]{1,3}", *SMALL_NUMBERS])
_FRACTION = re.compile(rf"(?<![0-9.])\b({_NUM})\s*(?:/|out of|of)\s*({_NUM})\b(?![0-9.])")
_DECIMAL = re.compile(r"(?<![0-9])([0-9])[.,]([0-9]+)")
_TOKEN = re.compile(r"[a-z]+|[0-9]+|[^\sa-z0-9]")


_UNREAD = "I could not read that as an answer."


def parse_answer(text: object, levels: Mapping[int, str] | None = None) -> ParsedAnswer:
    """Read `text` as a 1..5 answer or "don't know", with `levels` as the last resort (see the module
    docstring); never raises."""
    parsed = _parse(text)
    if parsed.understood or not levels or not isinstance(text, str) or not parsed.message.startswith(_UNREAD):
        return parsed
    match = match_level(text, levels)
    if match is None:
        return parsed
    quote = " ".join(text.split())
    return ParsedAnswer(match.level, False, True, quote, certain=False, described=match.description)


def _parse(text: object) -> ParsedAnswer:
    """Rules 1-4 of the module docstring."""
    if not isinstance(text, str):
        return _not_understood(f"Expected text, got {type(text).__name__}.")
    if len(text) > MAX_ANSWER_CHARS:
        return _not_understood(f"That is longer than an answer ({len(text)} characters).")
    folded = expand_contractions(fold(text)).replace("_", " ").replace("-", " ").strip()
    if not folded:
        return _not_understood("The answer is empty.")
    if set(folded) <= {"?", " "}:
        return ParsedAnswer(None, True, True, folded)
    folded = re.sub(r"\bn\s*/\s*a\b", " n a ", folded)
    decimal = _DECIMAL.search(folded)
    if decimal:
        low = int(decimal.group(1))
        return _not_understood(
            f"I read {decimal.group(0)!r}; please pick one whole number, {low} or {low + 1}."
        )
    numbers, out_of_scale, folded = _fractions(folded)
    tokens = _TOKEN.findall(folded)
    words = [t for t in tokens if t.isalnum()]
    words, dont_know = _remove_dont_know(words)
    more, more_out = _numbers(words)
    numbers += more
    out_of_scale += more_out
    return _decide(numbers, out_of_scale, words, tokens, dont_know)


def _fractions(folded: str) -> tuple[list[tuple[int, str]], list[str], str]:
    """ "4/5", "4 out of 5" -> candidates; "8/10" -> out of scale; other fractions ("3 of 12") are counts."""
    numbers: list[tuple[int, str]] = []
    out: list[str] = []
    for match in _FRACTION.finditer(folded):
        top, bottom = _number_value(match.group(1)) or 0, _number_value(match.group(2))
        if bottom == 5 and 1 <= top <= 5:
            numbers.append((top, match.group(0)))
        elif bottom in (5, 10) or "out of" in match.group(0):
            out.append(match.group(0))
    return numbers, out, _FRACTION.sub(" ", folded)


def _remove_dont_know(words: list[str]) -> tuple[list[str], str]:
    """Drop the first "don't know" phrase from `words` (so "no idea" never reads as "no"); return it."""
    joined = f" {' '.join(words)} "
    for phrase in _DONT_KNOW:
        if f" {phrase} " in joined:
            rest = joined.replace(f" {phrase} ", " | ", 1).split()
            return rest, phrase
    return words, ""


def _numbers(words: list[str]) -> tuple[list[tuple[int, str]], list[str]]:
    """Digits and number words that are answers, not counts; values outside 1..5 go to the second list."""
    found: list[tuple[int, str]] = []
    out: list[str] = []
    for i, word in enumerate(words):
        value = _number_value(word)
        if value is None or _is_count(words, i):
            continue
        if 1 <= value <= 5:
            found.append((value, word))
        elif value <= 10:
            out.append(word)
    return found, out


def _number_value(word: str) -> int | None:
    if word.isdigit() and len(word) <= 3 and word.isascii():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _is_count(words: list[str], i: int) -> bool:
    """'2 teams', '5 regions', 'no one', 'only one site': a quantity in a sentence, not a rating."""
    after = words[i + 1] if i + 1 < len(words) else ""
    before = words[i - 1] if i > 0 else ""
    if words[i] == "one" and before in _NOT_ONE:
        return True
    plural = len(after) >= 4 and after.endswith("s") and after not in _NOT_PLURAL and not after.endswith("ss")
    return after in _COUNT_WORDS or plural


def _qualities(words: list[str]) -> list[tuple[int, str]]:
    """Quality phrases, longest first at each position, with negation and intensifiers applied."""
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if size <= len(words) - i and phrase in _QUALITY:
                found.append(_adjust(_QUALITY[phrase], words[max(0, i - 2) : i], phrase))
                i += size
                break
        else:
            i += 1
    return found


def _adjust(value: int, before: list[str], phrase: str) -> tuple[int, str]:
    """Apply a negator or an intensifier among the two words before `phrase`; quote what was used."""
    if phrase.split()[0] in _NEGATORS or phrase in _ABSENCE:
        return value, phrase  # the phrase carries its own negation ("not really", "nothing")
    negator = next((i for i, w in enumerate(before) if w in _NEGATORS), None)
    if negator is not None:
        return (2 if value >= 3 else 3), " ".join([*before[negator:], phrase])
    if before and before[-1] in _INTENSIFIERS:
        return {2: 1, 4: 5}.get(value, value), f"{before[-1]} {phrase}"
    return value, phrase


def _yes_no(words: list[str], tokens: list[str]) -> list[tuple[int, str]]:
    """A bare yes (4) or no (1): the whole answer, or its first word followed by punctuation or a clause."""
    if not words:
        return []
    first = words[0]
    if first in _YES:
        return [(4, first)]
    if first in _NO:
        after = tokens[1] if len(tokens) > 1 else ""
        if len(words) == 1 or not after.isalnum() or after in _NO_FOLLOWERS:
            return [(1, first)]
    return []


def _decide(
    numbers: list[tuple[int, str]],
    out_of_scale: list[str],
    words: list[str],
    tokens: list[str],
    dont_know: str,
) -> ParsedAnswer:
    """Numbers beat words, words beat yes/no, any value beats "don't know"; disagreement is not understood."""
    if numbers or out_of_scale:
        return _single(numbers, out_of_scale)
    for candidates in (_qualities(words), _yes_no(words, tokens)):
        if candidates:
            parsed = _single(candidates, [])
            unsure = len(words) > SURE_MAX_WORDS or not _CONTRAST.isdisjoint(words)
            return replace(parsed, certain=False) if parsed.understood and unsure else parsed
    if dont_know:
        return ParsedAnswer(None, True, True, dont_know)
    return _not_understood(_UNREAD)


def _single(candidates: list[tuple[int, str]], out_of_scale: list[str]) -> ParsedAnswer:
    values = sorted({value for value, _ in candidates})
    if out_of_scale:
        return _not_understood(f"I read {out_of_scale[0]!r}, but answers go from 1 to 5.")
    if len(values) > 1:
        read = " and ".join(f"{value} ({next(t for v, t in candidates if v == value)!r})" for value in values)
        return _not_understood(f"I read more than one answer: {read}. Which one is it?")
    value = values[0]
    matched = max((t for v, t in candidates if v == value), key=len)  # the fullest quote of the reading
    return ParsedAnswer(value, False, True, matched)
