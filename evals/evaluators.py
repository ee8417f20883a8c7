"""Pure, deterministic evaluators: each takes plain values (answer text, ids, numbers) and returns a verdict.

Nothing here calls a model, the index or the clock, so the same inputs always give the same numbers, and the
same functions grade the offline composer and any language model. Definitions (the README repeats them):

- Stall reasons an answer *names*: the stall reasons whose name or id (case-insensitive; hyphens, underscores
  and slashes read as spaces) appears in the answer text. The text is what the user is told, so it is what is
  graded, with a model as well as offline; what a tool found but the answer left out does not count.
- Archetypes an answer names: the known archetypes' names in Title Case (British spellings too) in the text.
  Case matters so that "education" in a sentence about a school is not read as the Education archetype.
- Recall / precision are micro-averaged over cases (total hits / total expected; total hits / total named).
  Names listed as `also_acceptable` neither help recall nor hurt precision. Per reason: the cases expecting
  it, those whose answer found it and those whose answer named it though neither expected nor acceptable.
- An answer *diagnoses* a control (a near-domain message that must get no diagnosis) when its text names a
  stall reason or the `Answer` carries stall reasons of its own (`reasons`, where that attribute exists).
- An answer *abstains* when `abstained` is true or its text contains one of ABSTAIN_STATEMENTS.
- Citation validity: every `[n]` marker in the text must map to a citation of that answer (by the citation's
  `marker`, else its 1-based position) whose passage the turn's tools handed out, and every citation's
  passage id must exist in the index.
- Numbers consistency: every number written with digits in the answer (not citation markers, not the numbering
  of a list, not inside a URL) must equal a number in that turn's sources (tool arguments and outputs, cited
  passages, the user's words) or be one of them rounded to the precision it is stated with. Numbers spelled
  out in words are not checked.
- Retrieval: hit@k is 1 when any of a query's relevant passages is in the top k; the reported recall@3 is
  the mean hit@3 (retrieval.yaml's definition: `relevant` lists every chunk that answers the query, so one is
  enough). recall_at_k (the share of all relevant passages in the top k) is reported beside it as
  chunk recall. MRR: the mean of 1 / rank of the first relevant passage (0 when none is returned).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# --- set matching (stall reasons, archetypes) -------------------------------------------------------------


@dataclass(frozen=True)
class SetMatch:
    """One case's comparison of named ids with expected ids."""

    hits: frozenset[str]
    missed: frozenset[str]
    wrong: frozenset[str]  # named, neither expected nor acceptable

    @property
    def named_count(self) -> int:
        """How many named ids count for precision (hits plus wrong ones)."""
        return len(self.hits) + len(self.wrong)


def match_sets(named: Iterable[str], expected: Iterable[str], acceptable: Iterable[str] = ()) -> SetMatch:
    """Compare `named` with `expected`; ids in `acceptable` are neutral (not a hit, not wrong)."""
    named_set, expected_set = set(named), set(expected)
    neutral = set(acceptable) - expected_set
    return SetMatch(
        hits=frozenset(named_set & expected_set),
        missed=frozenset(expected_set - named_set),
        wrong=frozenset(named_set - expected_set - neutral),
    )


def micro_recall(matches: Sequence[SetMatch]) -> float:
    """Total hits / total expected over all cases (1.0 when nothing was expected)."""
    expected = sum(len(m.hits) + len(m.missed) for m in matches)
    return _ratio(sum(len(m.hits) for m in matches), expected)


def micro_precision(matches: Sequence[SetMatch]) -> float:
    """Total hits / total named over all cases (1.0 when nothing was named)."""
    return _ratio(sum(len(m.hits) for m in matches), sum(m.named_count for m in matches))


def per_reason(matches: Sequence[SetMatch], reason_ids: Iterable[str] = ()) -> dict[str, dict[str, int]]:
    """{reason: {"expected", "found", "wrongly_named"}} counted over cases; `reason_ids` are listed even at 0.

    `expected`: cases whose expected reasons include it; `found`: those of them whose answer named it;
    `wrongly_named`: cases whose answer named it though it was neither expected nor acceptable.
    """
    table: dict[str, dict[str, int]] = {}

    def row(reason: str) -> dict[str, int]:
        return table.setdefault(reason, {"expected": 0, "found": 0, "wrongly_named": 0})

    for reason in reason_ids:
        row(reason)
    for match in matches:
        for reason in match.hits | match.missed:
            row(reason)["expected"] += 1
        for reason in match.hits:
            row(reason)["found"] += 1
        for reason in match.wrong:
            row(reason)["wrongly_named"] += 1
    return dict(sorted(table.items()))


def reasons_diagnosed(
    text: str, phrases: Mapping[str, Sequence[str]], reasons: Iterable[Any] | None, question: Any = None
) -> set[str]:
    """The stall reasons an answer diagnoses.

    An answer that carries structured `reasons` (a list; dicts or objects with an `id`) diagnoses exactly
    those, and one that opens the diagnosis interview (`question`) counts as diagnosing too ("interview"):
    a control must not be questioned about its stall either. Explaining a reason by name, as the answer to a
    question about the framework must, is not a diagnosis. Answers without the field (older versions, or a
    model's text) fall back to the reasons their text names (`phrases_named`)."""
    if reasons is None:
        return phrases_named(text, phrases)
    found = {str(r.get("id") if isinstance(r, Mapping) else getattr(r, "id", r)) for r in reasons}
    return found | ({"interview"} if question else set())


def _ratio(numerator: int, denominator: int) -> float:
    return 1.0 if denominator == 0 else numerator / denominator


def _normalise(text: str) -> str:
    """Lower-case, hyphens/underscores/slashes as spaces, whitespace collapsed, for phrase matching."""
    return " ".join(re.sub(r"[-_/\u2010-\u2015]", " ", text.lower()).split())


def phrases_named(text: str, phrases: Mapping[str, Sequence[str]]) -> set[str]:
    """The ids whose phrases (case-insensitive, see `_normalise`) appear as whole words in `text`."""
    haystack = f" {_normalise(text)} "
    found: set[str] = set()
    for item_id, options in phrases.items():
        for phrase in options:
            if re.search(rf"(?<![a-z0-9]){re.escape(_normalise(phrase))}(?![a-z0-9])", haystack):
                found.add(item_id)
                break
    return found


def stall_reason_phrases(names: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Phrases that name each stall reason: its display name and its id read as words."""
    return {rid: (name, rid.replace("_", " ")) for rid, name in names.items()}


def archetypes_named(text: str, names: Mapping[str, str]) -> set[str]:
    """Archetype ids whose Title Case name is in `text` (hyphen/space and -ise/-ize variants accepted)."""
    flat = re.sub(r"[-\u2010-\u2015]", " ", text)
    found: set[str] = set()
    for item_id, name in names.items():
        words = name.replace("-", " ").split()
        pattern = r"\s+".join(_spelling_variants(w) for w in words)
        if re.search(rf"(?<![A-Za-z]){pattern}(?![a-z])", flat):
            found.add(item_id)
    return found


def _spelling_variants(word: str) -> str:
    """A regex for one word of a name: 'Standardization' also matches 'Standardisation'; 'Reengineering'
    also matches 'Re engineering' (after hyphens became spaces)."""
    escaped = re.escape(word)
    escaped = re.sub(r"i[sz]ation", "i[sz]ation", escaped)
    return escaped.replace("Reengineering", r"Re\s?engineering").replace("reengineering", r"re\s?engineering")


# --- assessment parsing -----------------------------------------------------------------------------------

DONT_KNOW = "dont_know"
NOT_UNDERSTOOD = "not_understood"


def parse_matches(expected: int | str, value: int | None, dont_know: bool, understood: bool) -> bool:
    """Whether a parse result (`assessment.parse_answer`) reads an answer the way `expected` says.

    `expected` is 1..5 (understood, that value, not don't-know), "dont_know" (understood as don't-know) or
    "not_understood" (understood is False: the assistant must ask again).
    """
    if expected == NOT_UNDERSTOOD:
        return not understood
    if expected == DONT_KNOW:
        return understood and dont_know and value is None
    return understood and not dont_know and value == expected


# --- abstention -------------------------------------------------------------------------------------------

_SUBJECT = (
    r"(?:the (?:instant competence )?framework|instant competence|the book|keysmith|my sources|the sources|"
    r"the knowledge base|the material i have|what i have|i)"
)
_NEGATION = r"(?:does not|doesn't|do not|don't|cannot|can't|did not|didn't|has no|have no)"
_VERB = r"(?:cover|say|state|hold|include|name|list|describe|specify|have|know|answer|help|information)"
ABSTAIN_STATEMENTS: tuple[str, ...] = (
    # "the framework does not say", "Keysmith doesn't hold", "I can't help with"; one word may sit between.
    rf"\b{_SUBJECT}\s+(?:\w+\s+)?{_NEGATION}\s+(?:\w+\s+)?{_VERB}",
    # "is not covered by", "are not named in", "not found in"
    r"\b(?:not|isn't|aren't)\s+(?:covered|named|listed|known|found|described|included)\s+(?:in|by)\b",
    # "outside what Keysmith covers", "outside the scope"
    r"\boutside\s+(?:what|the scope|keysmith|the framework|my)",
    r"\bnot\s+(?:in|part of)\s+(?:the framework|keysmith|my sources|the sources|what keysmith)",
)
_ABSTAIN = tuple(re.compile(p) for p in ABSTAIN_STATEMENTS)


def abstain_statement(text: str) -> str | None:
    """The first abstention statement in `text` (lower-cased, curly apostrophes straightened), or None."""
    flat = text.lower().replace("\u2019", "'")
    for pattern in _ABSTAIN:
        match = pattern.search(flat)
        if match:
            return match.group(0)
    return None


def is_abstention(abstained: bool, text: str) -> bool:
    """An answer abstains when its flag says so or its text states the question is not covered."""
    return abstained or abstain_statement(text) is not None


# --- citations --------------------------------------------------------------------------------------------

_MARKER_GROUP = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()")


def citation_markers(text: str) -> list[int]:
    """Every `[n]` marker in `text`, in order (`[1, 3]` gives 1 and 3; Markdown links are not markers)."""
    return [int(n) for group in _MARKER_GROUP.findall(text) for n in re.split(r"\s*,\s*", group)]


def citation_problems(
    text: str,
    citations: Sequence[Mapping[str, Any]],
    id_exists: Mapping[str, bool],
    handed_out: Collection[str] | None = None,
) -> tuple[int, list[str]]:
    """Check an answer's markers and citations; returns (items checked, problems found).

    Items are each marker occurrence and each listed citation. A marker is valid when it maps to a citation
    (by `marker`, else 1-based position) whose id exists and, when `handed_out` (the ids of the passages the
    turn's tools handed out) is given, is one of them: an answer may cite only what it was shown. (The
    markers themselves are renumbered 1..k by order of use after the tools ran, so the number need not be
    the one the tool gave.) A citation is valid when its id exists (`id_exists[id]`, checked on the index).
    """
    by_marker = {int(c.get("marker") or i): str(c["id"]) for i, c in enumerate(citations, start=1)}
    problems: list[str] = []
    markers = citation_markers(text)
    for n in markers:
        cited = by_marker.get(n)
        if cited is None:
            problems.append(f"marker [{n}] points to no citation")
        elif not id_exists.get(cited, False):
            problems.append(f"marker [{n}] cites {cited!r}, which is not in the index")
        elif handed_out is not None and cited not in handed_out:
            problems.append(f"marker [{n}] cites {cited!r}, which this turn's tools never handed out")
    for citation in citations:
        if not id_exists.get(str(citation["id"]), False):
            problems.append(f"citation {citation['id']!r} is not in the index")
    return len(markers) + len(citations), problems


# --- numbers ----------------------------------------------------------------------------------------------

# Digits, thousands separators and decimals; not glued to letters ("gpt-4o", "S3") except a magnitude suffix
# ("30k", "1.2M", "6x"), which still states the number.
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?=[kKmMxX]\b|(?![\w]|,\d{3}))")
_LIST_NUMBER = re.compile(r"^(\s*)\d{1,3}[.)](?=\s)", re.MULTILINE)
_URL = re.compile(r"(?:https?|mailto):[^\s)>\]]+|\]\([^)]*\)", re.IGNORECASE)


def numbers_in(text: str) -> list[tuple[str, Decimal]]:
    """The numbers `text` states with digits, skipping citation markers, list numbering and URLs."""
    text = _URL.sub(" ", _MARKER_GROUP.sub(" ", text))
    text = _LIST_NUMBER.sub(r"\1", text)
    found: list[tuple[str, Decimal]] = []
    for match in _NUMBER.finditer(text):
        try:
            found.append((match.group(0), Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))))
        except InvalidOperation:  # pragma: no cover - the pattern only matches digits
            continue
    return found


def source_numbers(sources: Iterable[str]) -> set[Decimal]:
    """Every number in the sources (leniently: markers and list numbers count too)."""
    values: set[Decimal] = set()
    for source in sources:
        for match in _NUMBER.finditer(source):
            values.add(Decimal(match.group(1).replace(",", "") + (match.group(2) or "")))
    return values


def _is_rounding_of(stated: str, value: Decimal, allowed: set[Decimal]) -> bool:
    places = len(stated.split(".")[1]) if "." in stated else 0
    quantum = Decimal(1).scaleb(-places)
    return any(
        source.quantize(quantum, rounding=mode) == value
        for source in allowed
        if abs(source - value) < 1
        for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN)
    )


def unsupported_numbers(text: str, sources: Iterable[str]) -> tuple[int, list[str]]:
    """Returns (numbers stated, the stated numbers found in no source and not a rounding of one)."""
    allowed = source_numbers(sources)
    stated = numbers_in(text)
    bad = [raw for raw, value in stated if value not in allowed and not _is_rounding_of(raw, value, allowed)]
    return len(stated), bad


# --- retrieval --------------------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of `relevant` ids found in the first `k` of `ranked` (1.0 when nothing is relevant)."""
    wanted = set(relevant)
    return _ratio(len(wanted & set(ranked[:k])), len(wanted))


def hit_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1.0 when any relevant id is in the first `k` of `ranked`, else 0.0."""
    return 1.0 if set(relevant) & set(ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Iterable[str]) -> float:
    """1 / (1-based rank of the first relevant id in `ranked`), 0.0 when none is there."""
    wanted = set(relevant)
    return next((1.0 / rank for rank, pid in enumerate(ranked, start=1) if pid in wanted), 0.0)


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 1.0 for no values, so an empty suite never looks like a regression."""
    return sum(values) / len(values) if values else 1.0
