"""The names guard: a model may name only the archetypes, steps and stall reasons Keysmith holds.

The framework has 14 solution archetypes and a 7-step process, but Keysmith's sources describe only some of
them; a small model asked for "all 14 archetypes" or "step 1" invents the rest. This guard finds where an
answer *names* one of these things and drops the sentence (or list item) when the name is neither in the
framework data (`KnownNames.from_framework`) nor in the turn's tool results and passages:

- an archetype: "the Referral archetype", "an archetype called Referral", "the archetypes are A, B and C";
- a step: "step 1 is called Discovery", "Step 1: Discovery", "the Discovery step", "Discovery (step 1)" —
  with a number, the name must be that step's (process or bridge step);
- a stall reason: "the Vendor Lock-in stall reason", "the stall reasons are A, B and C";
- the items of a list introduced by a line about archetypes, stall reasons or the framework's steps: each
  item's leading name (bold, or before a colon or dash), when it is written in title case like a name, must
  be a name the framework holds.

Names are matched loosely (case, punctuation, word endings; a shorter form such as "Monitoring" for
"Monitoring and Managing Implications" counts). A name the user used may be repeated in a sentence that
denies it ("Keysmith holds no Referral archetype"). Lower-case descriptions ("a fitting archetype") are not
names: only capitalised, quoted or bold names, and whatever follows "called" or "named", are checked.
Standard library and `keysmith.text` only (the framework is read by the caller's `from_framework`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from keysmith.guards.text import GuardResult, line_prefix, sentences, tidy
from keysmith.text.citations import MARKER_GROUP


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Step(_Named, Protocol):
    @property
    def number(self) -> int: ...


class _FrameworkLike(Protocol):
    """The parts of `keysmith.framework.Framework` the guard reads."""

    @property
    def archetypes(self) -> Sequence[_Named]: ...
    @property
    def process_steps(self) -> Sequence[_Step]: ...
    @property
    def bridge_steps(self) -> Sequence[_Step]: ...
    @property
    def stall_reasons(self) -> Sequence[_Named]: ...
    @property
    def variables(self) -> Sequence[_Named]: ...


@dataclass(frozen=True)
class KnownNames:
    """The names the framework data holds, by kind; `steps` pairs each step's number with its name."""

    archetypes: tuple[str, ...] = ()
    steps: tuple[tuple[int, str], ...] = ()
    stall_reasons: tuple[str, ...] = ()
    others: tuple[str, ...] = field(default=())  # variables and the like: fine as list items

    @classmethod
    def from_framework(cls, framework: _FrameworkLike) -> KnownNames:
        """Archetypes, process and bridge steps, stall reasons and variables of `framework`."""
        steps = [(s.number, s.name) for s in (*framework.process_steps, *framework.bridge_steps)]
        return cls(
            archetypes=tuple(a.name for a in framework.archetypes),
            steps=tuple(steps),
            stall_reasons=tuple(r.name for r in framework.stall_reasons),
            others=tuple(v.name for v in framework.variables),
        )

    def every_name(self) -> tuple[str, ...]:
        return (*self.archetypes, *(n for _, n in self.steps), *self.stall_reasons, *self.others)


# Words that start a capitalised run without being part of a name.
_LEADING_WORDS = (
    "the a an this that these those each every which what another other one any its their our your my "
    "his her all both some such no not and or of in on for to as is are was be by with from at if when "
    "then also known solution solutions framework framework's keysmith keysmith's instant competence "
    "fourteen four ten seven five two three first second third fourth fifth sixth seventh final last "
    "next key main remaining missing unknown new named called"
)
_LEADING = frozenset(_LEADING_WORDS.split())
_NEGATION = re.compile(
    r"\b(?:not|no|none|never|cannot|can't|don't|doesn't|isn't|aren't|unknown|without|lacks?)\b|n't\b",
    re.IGNORECASE,
)
_EMPHASIS = re.compile(r"\*\*|__|[*_`]")
_QUOTES = str.maketrans({c: '"' for c in "“”‘’«»"})
_WORD = r"[A-Za-z][\w'’&-]*"
_CAP = r"[A-Z][\w'’&-]*"
# A run of capitalised words (a name), allowing "and"/"of"/"the" inside ("Monitoring and Managing ...").
_CAP_RUN = rf"{_CAP}(?:\s+(?:(?:and|of|the|for|with|not|just)\s+)?{_CAP})*"
_QUOTED = r'"([^"]{2,60})"'
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
}  # fmt: skip
_NUM = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine)"
_ORD = r"(first|second|third|fourth|fifth|sixth|seventh|eighth|\d{1,2}(?:st|nd|rd|th))"
_INTRO = r"(?:\s+(?:is|was)\s+(?:called|named|known\s+as)|\s+(?:is|was)|\s*[:,(–—-])\s*"

# "step 1 is called X", "Step 1: X", "step one (X)", "the first step, X"
_STEP_NAMED = re.compile(rf"\bstep\s+{_NUM}{_INTRO}", re.IGNORECASE)
_ORDINAL_STEP_NAMED = re.compile(rf"\b{_ORD}\s+step{_INTRO}", re.IGNORECASE)
# "X (step 1)", "X, step 1", "X is step 1"
_NAME_THEN_STEP = re.compile(rf"({_CAP_RUN}|{_QUOTED})\s*(?:\(|,|\bis\b)\s*(?:the\s+)?step\s+{_NUM}\b")
# "the X step", "X archetype(s)", "X stall reason(s)": a capitalised run or a quoted name right before
_BEFORE = {
    "step": re.compile(rf"({_CAP_RUN}|{_QUOTED})\s+steps?\b"),
    "archetype": re.compile(rf"({_CAP_RUN}(?:\s*(?:,|and|or|&)\s*{_CAP_RUN})*|{_QUOTED})\s+archetypes?\b"),
    "stall_reason": re.compile(
        rf"({_CAP_RUN}(?:\s*(?:,|and|or|&)\s*{_CAP_RUN})*|{_QUOTED})\s+stall[- ]reasons?\b"
    ),
}
# "an archetype called X", "the archetypes are A, B and C", "stall reasons include A and B"
_AFTER = {
    "archetype": re.compile(
        r"\barchetypes?\b(?:\s+(?:\w+\s+){0,4}?)?\s*(?:(?:is|are|was|were)\s+)?"
        r"(called|named|known as|include|includes|including|such as|like|are|is|:)\s*",
        re.IGNORECASE,
    ),
    "stall_reason": re.compile(
        r"\bstall[- ]reasons?\b(?:\s+(?:\w+\s+){0,4}?)?\s*(?:(?:is|are|was|were)\s+)?"
        r"(called|named|known as|include|includes|including|such as|like|are|is|:)\s*",
        re.IGNORECASE,
    ),
}
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|(\d{1,2})[.)])\s+(.*)$")
# A line that introduces a list of framework names ("The 14 archetypes:", "The seven steps of the process:");
# "Next steps:" or "Three reasons:" introduce advice, not names.
_CONTEXT = (
    re.compile(r"\barchetypes?\b", re.IGNORECASE),
    re.compile(r"\bstall[- ]reasons?\b", re.IGNORECASE),
    re.compile(
        r"\b(?:process|bridge|framework'?s?|seven|7)\b.*\bsteps?\b|\bsteps?\b.*\b(?:process|framework)\b",
        re.IGNORECASE,
    ),
)


def _stem(word: str) -> str:
    """A light stem: "Monitoring" and "Monitor", "Standardisation" and "Standardization" meet."""
    word = word.replace("iz", "is")
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _key_words(name: str) -> list[str]:
    """Lower-case stemmed content words (no articles, prepositions or generic framework words)."""
    words = re.findall(r"[a-z0-9]+", name.lower().replace("’", "'").replace("'s", ""))
    return [_stem(w) for w in words if w not in _LEADING]


def _matches(candidate: str, known: str) -> bool:
    """`candidate` names `known`: its content words all occur in `known`'s ("Monitoring" names
    "Monitoring and Managing Implications"), or a trailing part of it does ("Use Risk Management")."""
    mine, theirs = _key_words(candidate), set(_key_words(known))
    return any(set(mine[start:]) <= theirs for start in range(len(mine))) if mine and theirs else False


def _in_sources(candidate: str, keyed_sources: str) -> bool:
    """The candidate's words occur in order (at most two words apart) in the keyed source text."""
    words = _key_words(candidate)
    if not words:
        return True
    pattern = r"(?:\s+\S+){0,2}?\s+".join(re.escape(w) for w in words)
    return re.search(rf" {pattern} ", keyed_sources) is not None


def _keyed(texts: Iterable[str]) -> str:
    return " " + " ".join(_key_words(" ".join(texts))) + " "


def _strip_leading(name: str) -> str:
    words = name.replace('"', " ").split()
    while words and words[0].lower().strip(",") in _LEADING:
        words.pop(0)
    while words and words[-1].lower().strip(",") in _LEADING:
        words.pop()
    return " ".join(words).strip(" ,;:")


def _split_names(run: str) -> list[str]:
    """ "A, B and C" -> ["A", "B", "C"] (a name's own "and", as in "Monitoring and Managing", is kept when
    the whole run is one known name: the caller checks the run first)."""
    parts = re.split(r"\s*,\s*|\s+(?:and|or|&)\s+", run)
    return [p for p in (_strip_leading(part) for part in parts) if p]


def _leading_run(text: str, lowercase_ok: bool) -> str:
    """The name at the start of `text`: a quoted name, a capitalised run, or (after "called") any words up
    to punctuation."""
    quoted = re.match(_QUOTED, text.lstrip())
    if quoted:
        return quoted.group(1)
    text = text.lstrip(" '")
    match = re.match(_CAP_RUN, text)
    if match:
        return match.group(0)
    if lowercase_ok:
        words = re.match(rf"{_WORD}(?:\s+{_WORD}){{0,5}}", text)
        if words:
            return re.split(r"\s+(?:is|was|which|that|where|and then|because)\b", words.group(0))[0]
    return ""


def _list_run(text: str) -> list[str]:
    """The names of an inline list ("Standardization, Education and Risk Management. ...")."""
    match = re.match(rf"(?:the\s+)?({_CAP_RUN}(?:\s*(?:,|and|or|&)\s*(?:the\s+)?{_CAP_RUN})*)", text.lstrip())
    return _split_names(match.group(1)) if match else []


@dataclass
class _Checker:
    known: KnownNames
    sources_text: str
    user_text: str

    def _allowed(self, candidate: str, pool: Iterable[str], sentence: str) -> bool:
        name = _strip_leading(candidate)
        if not _key_words(name):
            return True
        if any(_matches(name, known) for known in pool) or _in_sources(name, self.sources_text):
            return True
        # The user's own (unknown) name, repeated to say Keysmith does not hold it.
        return _in_sources(name, self.user_text) and bool(_NEGATION.search(sentence))

    def _names_ok(self, run: str, pool: Sequence[str], sentence: str) -> bool:
        if self._allowed(run, pool, sentence):
            return True
        return all(self._allowed(name, pool, sentence) for name in _split_names(run))

    def _step_ok(self, number: int | None, name: str, sentence: str) -> bool:
        name = _strip_leading(name)
        if not _key_words(name):
            return True
        if number is None:
            pool = [n for _, n in self.known.steps]
            return self._allowed(name, pool, sentence)
        if any(n == number and _matches(name, known) for n, known in self.known.steps):
            return True
        named_elsewhere = any(_matches(name, known) for _, known in self.known.steps)
        if named_elsewhere:
            return False  # a step Keysmith holds, under the wrong number
        return _in_sources(f"step {number} {name}", self.sources_text) or (
            _in_sources(name, self.user_text) and bool(_NEGATION.search(sentence))
        )

    def sentence_ok(self, sentence: str) -> bool:
        """False when `sentence` names an archetype, step or stall reason Keysmith cannot vouch for."""
        text = _clean(sentence)
        for match in _STEP_NAMED.finditer(text):
            lowercase_ok = "called" in match.group(0).lower() or "named" in match.group(0).lower()
            name = _leading_run(text[match.end() :], lowercase_ok)
            if name and not self._step_ok(_number(match.group(1)), name, text):
                return False
        for match in _ORDINAL_STEP_NAMED.finditer(text):
            lowercase_ok = "called" in match.group(0).lower() or "named" in match.group(0).lower()
            name = _leading_run(text[match.end() :], lowercase_ok)
            if name and not self._step_ok(_number(match.group(1)), name, text):
                return False
        for match in _NAME_THEN_STEP.finditer(text):
            name = match.group(2) or match.group(1)
            if not self._step_ok(_number(match.group(3)), name, text):
                return False
        pools = {
            "step": [n for _, n in self.known.steps],
            "archetype": list(self.known.archetypes),
            "stall_reason": list(self.known.stall_reasons),
        }
        for kind, pattern in _BEFORE.items():
            for match in pattern.finditer(text):
                run = match.group(2) or match.group(1)
                if not self._names_ok(run, pools[kind], text):
                    return False
        for kind, pattern in _AFTER.items():
            for match in pattern.finditer(text):
                rest = text[match.end() :]
                if match.group(1).lower() in ("called", "named", "known as"):
                    names = [_leading_run(rest, lowercase_ok=True)]
                else:
                    names = _list_run(rest)
                if any(n and not self._names_ok(n, pools[kind], text) for n in names):
                    return False
        return True

    def item_ok(self, item: str) -> bool:
        """A list item under a line about archetypes, steps or stall reasons: its leading name must be one
        the framework holds (any kind) or one the turn's sources contain."""
        text = _clean(item).strip()
        bold = re.match(r"\s*(?:\*\*|__)([^*_]{2,80})(?:\*\*|__)", item)
        head = bold.group(1) if bold else re.split(r"\s*(?::|\s[–—-]\s|\(|\[)", text, maxsplit=1)[0]
        head = _strip_leading(head.strip(" \"'.,"))
        content = [w for w in re.findall(_WORD, head) if len(w) > 3 and w.lower() not in _LEADING]
        if not content or len(head.split()) > 6 or not all(w[:1].isupper() for w in content):
            return True  # not a name in title case: a description, an instruction
        if re.fullmatch(r"(?i)step\s+\S+", head):
            return True
        pool = self.known.every_name()
        return self._allowed(head, pool, text)


def _clean(text: str) -> str:
    """Without emphasis and citation markers, with straight quotes."""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER_GROUP.sub("", _EMPHASIS.sub("", text))).translate(_QUOTES)


def _number(raw: str) -> int | None:
    raw = raw.lower()
    digits = re.match(r"\d+", raw)
    if digits:
        return int(digits.group(0))
    return _NUMBER_WORDS.get(raw)


def guard_names(
    text: str, known: KnownNames, sources: Sequence[str], user_texts: Sequence[str] = ()
) -> GuardResult:
    """Drop every sentence (or list item) of `text` that names an archetype, step or stall reason neither
    `known` nor `sources` (the turn's tool results and passages) hold; see the module docstring.

    `user_texts` are the user's messages: a name from them may appear in a sentence that denies it.
    `dropped` lists the removed sentences verbatim.
    """
    checker = _Checker(known, _keyed(sources), _keyed(user_texts))
    dropped: list[str] = []
    kept_lines: list[str] = []
    list_context = False
    for line in text.split("\n"):
        item = _LIST_ITEM.match(line)
        if not line.strip():
            kept_lines.append(line)
            continue
        if item and list_context and not checker.item_ok(item.group(2)):
            dropped.append(line.strip())
            continue
        if not item:
            list_context = any(p.search(line) for p in _CONTEXT)
        prefix, body = line_prefix(line)
        kept = []
        for sentence in sentences(body):
            if checker.sentence_ok(sentence):
                kept.append(sentence)
            else:
                dropped.append(sentence.strip())
        if kept:
            kept_lines.append(prefix + " ".join(kept))
    return GuardResult(tidy("\n".join(kept_lines)), dropped)
