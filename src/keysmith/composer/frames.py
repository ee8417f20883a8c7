"""The offline composer's fixed sentence frames and the small text helpers that fill them.

Frames hold no framework claims of their own beyond what the framework data (YAML) and the cited passages
say, and they state counts in words ("five", "two of the seven") so that no number appears that a tool did
not produce; numbers in answers come from tool outputs, passages or the user's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Re-exported: the sentence frames spell counts and ordinals with the one number-word table.
from keysmith.text.numbers import count_word as count_word

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")

CAN_DO = (
    "Keysmith helps with one problem: an AI pilot that worked and a rollout that stalled. You can:\n"
    "- describe your pilot and rollout in your own words, and get the likely stall reasons with next moves;\n"
    "- ask about an idea from the Instant Competence framework, such as Zoom Levels, HD Vision, Omission "
    "Neglect or the stall reasons;\n"
    "- run the guided self-assessment to compare your pilot-stage and production-stage readiness."
)
OFF_TOPIC = "That is outside what Keysmith can help with: the framework text it holds does not cover it."
NOT_HELD = "The framework text Keysmith holds does not cover this, so Keysmith will not guess."
ASSESS_HOW = (
    "Run it in the app (Self-assessment), or in a terminal with `keysmith assess`. You can answer each "
    'question from 1 to 5, in words such as "weak" or "strong", or with "don\'t know"; a "don\'t know" '
    "never counts against you, and it is listed at the end as something to find out."
)
ASSESS_NEXT = (
    "For a scored view of your pilot-stage versus production-stage readiness, run the guided self-assessment "
    "(Self-assessment in the app, or `keysmith assess`)."
)


@dataclass(frozen=True)
class Draft:
    """An answer before the guards: Markdown with `[n]` markers from the turn's Toolbox.

    A diagnosis also carries its `reasons` ([{id, strength, evidence}], strongest first), the interview's
    `question` (or None) and the interview `state` to resume (plain JSON, or None when there is none).
    """

    text: str
    abstained: bool = False
    follow_ups: list[str] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    question: dict[str, Any] | None = None
    interview: dict[str, Any] | None = None


def join_words(items: Sequence[str], final: str = "and") -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {final} {items[-1]}"


def cite(markers: Iterable[int]) -> str:
    """ " [1, 3]" for the markers given (empty string for none)."""
    unique = list(dict.fromkeys(markers))
    return f" [{', '.join(str(m) for m in unique)}]" if unique else ""


_CLAUSE_SPLIT = re.compile(
    r"(?<=[.!?;:])\s+|,\s+|\s+(?:but|because|so|although|while)\s+|\s[-\u2013\u2014]\s"
    r"|\s+and\s+(?=(?:the|our|we|they|nobody|no one|people|it|its|each|some|most)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9']+")
MAX_QUOTE_WORDS = 14


def original_clause(match_text: str, story: str) -> str:
    """The clause of `story` (the user's own spelling) that a normalised cue match came from.

    The cue matcher reports folded text ("the erp can not"); quoting that back would put words in the
    user's mouth, so the clause sharing most words with it is quoted instead, trimmed to a readable length.
    """
    wanted = {w for w in _WORD.findall(match_text.lower()) if len(w) > 2}
    best, best_hits = "", 0
    for clause in _CLAUSE_SPLIT.split(story):
        words = set(_WORD.findall(clause.lower().replace("n't", " not")))
        hits = len(wanted & words)
        if hits > best_hits:
            best, best_hits = clause, hits
    kept = best.split()
    if len(kept) > MAX_QUOTE_WORDS:
        best = " ".join(kept[:MAX_QUOTE_WORDS]) + " …"
    return best.strip(" .,;:!?") or match_text


def quote_phrases(
    phrases: Iterable[str], limit: int = 3, story: str = "", used: set[str] | None = None
) -> str:
    """The user's own words as a quoted list: '"no owner", "nobody trained"' (clauses of `story` if given).

    Quotes already in `used` (lower-cased) are skipped unless nothing else is left, and the chosen ones are
    added to it, so two stall reasons do not repeat the same words when each has words of its own.
    """
    used = used if used is not None else set()
    candidates: list[str] = []
    for phrase in phrases:
        source = original_clause(phrase, story) if story else phrase
        # Brackets become parentheses: a user's "[2]" must not pass for a citation marker.
        plain = source.replace('"', "'").replace("[", "(").replace("]", ")")
        text = " ".join(plain.split()).strip(" .,;:")
        if text and text.lower() not in (c.lower() for c in candidates):
            candidates.append(text)
    fresh = [c for c in candidates if c.lower() not in used]
    cleaned = fresh or candidates
    used.update(c.lower() for c in cleaned[:limit])
    return ", ".join(f'"{c}"' for c in cleaned[:limit])


def _plain_text(text: str) -> str:
    """Passage text without Markdown structure (headings, list bullets, emphasis), on one line."""
    lines = [re.sub(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)", "", line) for line in text.splitlines()]
    joined = " ".join(line.strip() for line in lines if line.strip())
    return re.sub(r"(\*\*|__|`)", "", joined)


# A sentence reads as one when it has a verb. Without a tagger, "verb-ish" is: an auxiliary or modal, or a
# word with a verb's ending (-s, -ed, -ing) that is not a common noun or adjective ending (-ss, -ness, -ics,
# -ous, -is, -us). Generous on purpose: it is there to catch lists of noun phrases passed off as sentences
# ("Change management (...), organisational readiness (...) and team capability (...)."), not to parse.
def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_AUXILIARIES = _word_set(
    "is are was were be been being am has have had do does did can could will would should may might must "
    "shall isn't aren't wasn't weren't doesn't don't didn't can't won't cannot it's that's there's"
)
# Base forms (imperatives: "Treat each team as...", "They slow down...") and irregular past forms.
_VERBS = _word_set(
    "put treat ask think name replace redesign weigh slow make build train list agree keep run see write fix "
    "decide work map plan apply measure use find tell give take start stop check look move involve explain "
    "rebuild rehearse automate set get go need want know show call say read rate reply pick answer try add "
    "written made done given taken seen known shown built kept held told found left brought began became "
    "went came got paid said thought meant sent spent lost won chosen driven grew fell"
)
_PRONOUNS = _word_set("i we you they it he she who that which nobody everyone someone")
_NOT_VERB_ENDINGS = ("ss", "ness", "ics", "ous", "is", "us", "ys", "'s", "ings")
_PARENTHESES = re.compile(r"\([^()]*\)")
_LABEL = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*[^*]+\*\*\s*)?")
_CITATION = re.compile(r"\[\d+(?:,\s*\d+)*\]")


def _verbish(word: str) -> bool:
    if word in _AUXILIARIES or word in _VERBS:
        return True
    if len(word) > 3 and word.endswith(("s", "ed", "ing")):
        return not word.endswith(_NOT_VERB_ENDINGS)
    return False


def reads_as_sentence(sentence: str) -> bool:
    """Whether `sentence` has a verb-ish word outside its parentheses (see `_verbish`); a list of noun
    phrases does not. List markers, a bold lead-in label and citation markers are ignored."""
    body = _CITATION.sub("", _LABEL.sub("", sentence, count=1))
    outside = body
    while _PARENTHESES.search(outside):
        outside = _PARENTHESES.sub("", outside)
    words = re.findall(r"[a-z][a-z'-]*", (outside if outside.strip(" .,;:!?") else body).lower())
    if len(words) > 1 and words[0] in _PRONOUNS:
        return True  # "They slow down site by site."
    return any(_verbish(w) for w in words)


def lead_sentences(text: str, limit: int = 2, max_chars: int = 420) -> str:
    """The first `limit` sentences of a passage (a summary in the passage's own words, never invented),
    leaving out any that do not read as a sentence (a list of noun phrases, see `reads_as_sentence`)."""
    sentences = [s for s in _SENTENCE.split(_plain_text(text)) if reads_as_sentence(s)]
    chosen: list[str] = []
    for sentence in sentences:
        if chosen and (len(chosen) >= limit or len(" ".join([*chosen, sentence])) > max_chars):
            break
        chosen.append(sentence.strip())
    summary = " ".join(chosen)
    if len(summary) > max_chars:
        summary = summary[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return summary


def last_heading(heading: str) -> str:
    """ "Governance Vacuum > At scale" -> "At scale"; the page title when there is no section."""
    return heading.rsplit(">", 1)[-1].strip() or heading


def off_topic(story: bool = False) -> Draft:
    """The polite decline, saying what Keysmith can do instead. Abstains."""
    lead = OFF_TOPIC
    if story:
        lead = (
            "Keysmith could not match your description to anything the framework text it holds covers, so it "
            "will not guess."
        )
    return Draft(
        f"{lead}\n\n{CAN_DO}",
        abstained=True,
        follow_ups=[
            "Our AI pilot worked but the rollout has stalled. Why?",
            "What is the Zoom Level Problem?",
            "Start the self-assessment",
        ],
    )


def no_question_waiting() -> Draft:
    """The answer to a bare "yes", "no" or "not sure" when no question waits for it: say so, and how to go
    on. Abstains (it states nothing from the framework)."""
    return Draft(
        "There is no question waiting for that reply. Keysmith's quick questions come with their own Yes, "
        "Partly, No and Not sure replies; the checks listed under a diagnosis are answered in the guided "
        "self-assessment, which asks each one and records your answer.\n\n"
        "Or say in your own words what is holding the rollout back, and Keysmith will read it again.",
        abstained=True,
        follow_ups=["Start the self-assessment"],
    )
