"""Deterministic text normalisation and cue-phrase matching (standard library only).

Used by `story_reading` (cue phrases from signals.yaml) and `answer_parsing` (answer words). The contract:
- `normalize(text)` never raises on any `str` (control characters, RTL marks, lone surrogates): it folds case,
  strips accents, expands negative contractions ("can't" -> "can not", "isnt" -> "is not") and turns every
  other non-alphanumeric character into a space, except that clause boundaries become `|`.
- `stem(word)` is a small, consistent suffix stripper: it only has to map "owns"/"owned"/"owning" and
  "policies"/"policy" to the same stem. It is applied to cue phrases and text alike, so it need not be
  linguistically right, only the same on both sides.
- `Cue.compile(phrase)` + `find(cue, clause)`: a cue matches when its content words appear in order in one
  clause, with at most `MAX_GAP` other words between neighbours ("data is really messy" matches "data messy").
  A match is *negated* when a negator that is not part of the cue sits inside the span or just before it
  ("data is not a problem" does not signal a data problem; "nobody owns it" still signals what it says).
- A cue compiled with a context (`near` / `not_near` words) matches only when a `near` word (if any are
  given) and no `not_near` word stands within CONTEXT_WINDOW words of the match in the same clause: "who
  owns" is about the AI in "who owns the model", not in "a client who owns 38 practices".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_GAP = 2
CONTEXT_WINDOW = 4
NEGATION_WINDOW = 3
QUOTE_LEAD = 2
BOUNDARY = "|"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that carry no signal for cue matching; negators, question words and "by" ("by hand") are kept.
STOPWORDS = _words(
    "a an the is are was were be been being am of our my their his her its it this that these those to and "
    "we i you they us them me your do does did has have had having will would shall should can could may "
    "might must really very just quite so also still even too actually basically honestly literally simply "
    "then there here which as at in on into onto for with from about some any"
)
NEGATORS = _words("not no never without neither nor none")
DETERMINERS = _words("no none")
_AS_NOT = _words("no never without")
# Small verbs kept at the start of a quote so a denial stays readable: "can not take the output".
AUXILIARIES = _words("can could do does did is are was were has have had will would should must")
# A verdict just after a cue that says the matter is fine ("data quality is good"): the cue is denied.
SETTLED = _words(
    "fine ok okay solid good great sorted solved excellent strong handled smooth smoothly place works "
    "working mature healthy robust covered established agreed holds"
)
# "... is not an issue": a negated problem word after a cue clears it as well.
PROBLEMS = _words("issue issues problem problems concern concerns bottleneck blocker worry obstacle")
# Words that end a clause for matching and negation ("we did not expect it, but X": X is not negated).
CLAUSE_WORDS = _words("but however although though whereas yet except")

_CONTRACTIONS = (
    (re.compile(r"\bcan'?t\b"), "can not"),
    (re.compile(r"\bcannot\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\bshan'?t\b"), "shall not"),
    (re.compile(r"\bain'?t\b"), "is not"),
    (
        re.compile(r"\b(is|are|was|were|do|does|did|has|have|had|could|should|would|must|need)n'?t\b"),
        r"\1 not",
    ),
    # Paraphrases of "can not" that managers use as often as the word itself.
    (re.compile(r"\b(?:unable|not able|have no way|has no way|no way) to\b"), "can not"),
    (re.compile(r"\bfail(?:s|ed)? to\b"), "do not"),
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_BOUNDARY_CHARS = re.compile(r"[.;:!?()\[\]{}\n\r\u2014\u2013,\"]+|\s-\s")
_NON_WORD = re.compile(r"[^a-z0-9|]+")


def fold(text: str) -> str:
    """Case-folded, accent-free text with control/format characters removed; never raises on a `str`."""
    cleaned = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    decomposed = unicodedata.normalize("NFKD", cleaned)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.casefold().translate(_APOSTROPHES)


def expand_contractions(folded: str) -> str:
    """ "can't" -> "can not", "isnt" -> "is not", ... on already folded text."""
    for pattern, replacement in _CONTRACTIONS:
        folded = pattern.sub(replacement, folded)
    return folded


def normalize(text: str) -> str:
    """Folded text with contractions expanded, clause boundaries as `|`, everything else as single spaces."""
    folded = expand_contractions(fold(text))
    folded = _BOUNDARY_CHARS.sub(f" {BOUNDARY} ", folded)
    folded = folded.replace("'", "")  # "team's" -> "teams"; contractions were expanded above
    return " ".join(_NON_WORD.sub(" ", folded).split())


def stem(word: str) -> str:
    """A tiny suffix stripper, identical for cues and text (see the module docstring).

    The negators "no", "never" and "without" all stem to "not", so the cue "not involved" also reads
    "never involved" and "no training" reads "without training".
    """
    if word in _AS_NOT:
        return "not"
    if len(word) <= 2 or not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("ied", "y")):
        if word.endswith(suffix) and len(word) > 4:
            return _collapse(word[: -len(suffix)] + replacement)
    if word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    elif word.endswith("ing") and len(word) > 4:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 3 and not word.endswith("eed"):
        word = word[:-2]
    elif word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is", "as", "os")):
        word = word[:-1]
    if word.endswith("e") and len(word) >= 3:
        word = word[:-1]
    return _collapse(word)


def _collapse(word: str) -> str:
    """A final doubled consonant becomes single, so "stall"/"stalled" and "plan"/"planning" agree."""
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        return word[:-1]
    return word


@dataclass(frozen=True)
class Token:
    """One content word of a clause: its stem and its position among all words of the clause."""

    stem: str
    position: int


@dataclass(frozen=True)
class Clause:
    """A clause's words (normalised, unstemmed) and its content tokens (stopwords removed, stemmed)."""

    words: tuple[str, ...]
    tokens: tuple[Token, ...]
    stems: frozenset[str]


def clauses(text: str) -> tuple[Clause, ...]:
    """Split normalised `text` into clauses at punctuation and at contrast words such as "but"."""
    result: list[Clause] = []
    current: list[str] = []
    for word in [*normalize(text).split(), BOUNDARY]:
        if word == BOUNDARY or word in CLAUSE_WORDS:
            if current:
                result.append(_clause(current))
            current = []
        else:
            current.append(word)
    return tuple(result)


def _clause(words: Sequence[str]) -> Clause:
    tokens = tuple(Token(stem(w), i) for i, w in enumerate(words) if w not in STOPWORDS)
    return Clause(tuple(words), tokens, frozenset(t.stem for t in tokens))


@dataclass(frozen=True)
class Cue:
    """A compiled cue phrase: the phrase as written, the stems of its content words, and its context.

    `near` / `not_near` hold stems; both empty means the cue matches wherever its words do.
    """

    phrase: str
    stems: tuple[str, ...]
    lead: frozenset[str] = frozenset()
    near: frozenset[str] = frozenset()
    not_near: frozenset[str] = frozenset()

    @classmethod
    def compile(cls, phrase: str, near: Sequence[str] = (), not_near: Sequence[str] = ()) -> Cue:
        """Compile `phrase`; `lead` keeps its leading small words ("by" in "by hand") for quoting."""
        words = [w for w in normalize(phrase).split() if w != BOUNDARY]
        content = [w for w in words if w not in STOPWORDS]
        lead = frozenset(words[: words.index(content[0])]) if content else frozenset()
        near_stems, not_near_stems = (frozenset(stem(normalize(w)) for w in ws) for ws in (near, not_near))
        return cls(phrase, tuple(stem(w) for w in content), lead, near_stems, not_near_stems)

    def fits(self, clause: Clause, first: int, last: int) -> bool:
        """Whether the words around positions `first..last` of `clause` give this cue its meaning."""
        if not self.near and not self.not_near:
            return True
        words = clause.words[max(0, first - CONTEXT_WINDOW) : last + 1 + CONTEXT_WINDOW]
        around = {stem(w) for w in words}
        return bool(self.near & around or not self.near) and not self.not_near & around


@dataclass(frozen=True)
class Match:
    """A cue found in clause number `clause`, spanning words `start..end` (inclusive) of that clause.

    `negated` when the text denies it; `text` quotes the clause's words (with up to QUOTE_LEAD small words
    before the first content word, so "can not take the output" keeps its "can").
    """

    cue: Cue
    negated: bool
    text: str
    clause: int = 0
    start: int = 0
    end: int = 0

    def overlaps(self, other: Match) -> bool:
        return self.clause == other.clause and self.start <= other.end and other.start <= self.end


def find(cue: Cue, clause: Clause, clause_index: int = 0) -> Match | None:
    """The first in-order match of `cue` in `clause` (gaps of at most MAX_GAP content words), or None."""
    if not cue.stems or cue.stems[0] not in clause.stems:  # the cheap test first: most cues miss
        return None
    stems = [t.stem for t in clause.tokens]
    for start in (i for i, s in enumerate(stems) if s == cue.stems[0]):
        indices = _extend(stems, cue.stems, [start])
        if indices is None:
            continue
        first, last = clause.tokens[indices[0]].position, clause.tokens[indices[-1]].position
        if cue.fits(clause, first, last):
            return _match(cue, clause, indices, clause_index)
    return None


def _extend(stems: Sequence[str], wanted: Sequence[str], found: list[int]) -> list[int] | None:
    """Depth-first: place wanted[len(found)] within MAX_GAP content words after the last placed one."""
    if len(found) == len(wanted):
        return found
    last = found[-1]
    # Right after a negator the next word must follow at once: "not trained", never "not signed off on using".
    gap = 0 if wanted[len(found) - 1] in NEGATORS else MAX_GAP
    for index in range(last + 1, min(len(stems), last + 2 + gap)):
        if stems[index] == wanted[len(found)]:
            result = _extend(stems, wanted, [*found, index])
            if result is not None:
                return result
    return None


def _match(cue: Cue, clause: Clause, indices: Sequence[int], clause_index: int) -> Match:
    first, last = clause.tokens[indices[0]].position, clause.tokens[indices[-1]].position
    own = {clause.tokens[i].position for i in indices}
    # A cue that starts with its own negator ("no incident process") is not denied by one before it.
    start = first if cue.stems[0] in NEGATORS else max(0, first - NEGATION_WINDOW)
    window = range(start, last + 1)
    negated = any(_denies(clause, p, first) for p in window if p not in own) or _settled(clause, last)
    lead = first
    while lead > 0 and first - lead < QUOTE_LEAD and clause.words[lead - 1] in AUXILIARIES | cue.lead:
        lead -= 1
    return Match(cue, negated, " ".join(clause.words[lead : last + 1]), clause_index, first, last)


def _denies(clause: Clause, position: int, first: int) -> bool:
    """Whether the word at `position` denies a match starting at `first`.

    "not", "never", "without" reach across the window; the determiners "no"/"none" only reach the content
    word right after them ("no data problems"), so "no rules for who can access it" does not deny
    "who can access".
    """
    word = clause.words[position]
    if word not in NEGATORS:
        return False
    if word not in DETERMINERS or position > first:
        return True
    return all(w in STOPWORDS for w in clause.words[position + 1 : first])


def _settled(clause: Clause, last: int) -> bool:
    """A verdict after the cue that clears it: "the integration is fine", "governance is not an issue"."""
    after = clause.words[last + 1 : last + 2 + NEGATION_WINDOW]
    for index, word in enumerate(after):
        if word in NEGATORS:
            return any(w in PROBLEMS for w in after[index + 1 :])
        if word in SETTLED:
            return True
    return False


def find_all(cues: Sequence[Cue], text_clauses: Sequence[Clause]) -> list[Match]:
    """At most one match per cue, affirmed before denied; no two matches overlap; in story order.

    Longer cues are placed first, so "vendor credits ran out" is counted once, not again as "credits".
    """
    accepted: list[Match] = []
    for cue in sorted(cues, key=lambda c: -len(c.stems)):
        found = (find(cue, clause, i) for i, clause in enumerate(text_clauses))
        free = [m for m in found if m is not None and not any(m.overlaps(a) for a in accepted)]
        if free:
            # An affirmed match anywhere outweighs a denial elsewhere ("not the data... the data is a mess").
            accepted.append(next((m for m in free if not m.negated), free[0]))
    return sorted(accepted, key=lambda m: (m.clause, m.start))
