"""The label guard for a coach's advice draft: every claim says where it comes from.

- `check_sentences(text, passages, allowed_sources)`: a sentence stating a number found in none of
  `allowed_sources` is removed (`guard_numbers`, run sentence by sentence: this splitter keeps the labels and
  markers written after a full stop with their sentence, where the guard's own would hand them to the next
  one); then each claim sentence without one of `LABELS`, or whose `[framework]` / `[client document]` label
  cites no passage of that kind, is removed. A failing sentence is removed, never relabelled: relabelling it
  `[coach judgment]` would put the model's words in the coach's mouth.
- `drop_unsupported(text, names)`: each sentence (or short heading) naming one of `names` is removed.

Headings of up to nine words, blank lines, greetings/sign-offs (a short line ending in "," or ":") and very
short lines without a full stop are structure, not claims. Both return what they removed, so the caller can
tell the coach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from keysmith.guards import guard_numbers
from keysmith.retrieval import Passage

LABELS = ("[framework]", "[client document]", "[score]", "[coach judgment]")
_CLIENT = "client document"
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?![(:])")
_PREFIX = re.compile(r"^\s*(?:(?:[-*+]|\d{1,3}[.)]|>)\s+)*")
# One sentence: up to a . ! ? that ends it (followed by space and a capital, digit, quote or emphasis, or by
# the end of the line; "e.g." and "i.e." do not end one), plus any labels and markers written after it.
_TAG = r"\s*\[(?:framework|client document|score|coach judgment|\d{1,3}(?:\s*,\s*\d{1,3})*)\]"
_SENTENCE = re.compile(
    rf"\S.*?(?:(?<!\be\.g)(?<!\bi\.e)[.!?]+[\"'”’)*_]*(?=(?:{_TAG})*(?:\s+[A-Z0-9\"'“‘(*_]|\s*$))|$)"
    rf"(?:{_TAG})*"
)
# Labels and markers alone: what is left of a line when a guard removed the sentence they followed.
_RESIDUE = re.compile(
    rf"^(?:{_TAG}[.,;:]?)*\s*$",
    re.IGNORECASE,
)


def _is_structure(body: str) -> bool:
    """Short headings, greetings/sign-offs and bare names are not claims (see the module docstring); a
    heading longer than eight words is read as a claim, so a sentence cannot hide in one."""
    text = body.strip()
    words = len(text.split())
    if not text or set(text) <= set("-*_= ") or (text.startswith("#") and words <= 9):
        return True
    if text.endswith((",", ":")) and words <= 6 and not re.search(r"\d", text):
        return True
    return words <= 3 and not re.search(r"[.!?]$|\d", text)


def _sentence_ok(sentence: str, kinds: Mapping[int, bool]) -> bool:
    """Labelled, and a [framework]/[client document] claim cites a passage of its own kind."""
    lowered = sentence.lower()
    if not any(label in lowered for label in LABELS):
        return False
    cited = [int(n) for group in _MARKER.findall(sentence) for n in re.split(r"\s*,\s*", group)]
    if "[framework]" in lowered and not any(not kinds.get(n, True) for n in cited):
        return "[score]" in lowered or "[coach judgment]" in lowered
    if "[client document]" in lowered and not any(kinds.get(n, False) for n in cited):
        return "[score]" in lowered or "[coach judgment]" in lowered
    return True


def _split_line(line: str) -> tuple[str, str]:
    """A line's list or quote markers (kept as they are), and the text after them."""
    prefix = _PREFIX.match(line)
    start = prefix.end() if prefix else 0
    return line[:start], line[start:]


def _units(body: str, structure: bool) -> list[str]:
    """What the checks judge one at a time: a line of structure whole, else each sentence with the labels
    and markers written after it."""
    return [body] if structure else [m.group(0).strip() for m in _SENTENCE.finditer(body)]


def check_sentences(
    text: str, passages: Sequence[Passage], allowed_sources: Sequence[str]
) -> tuple[str, list[str], list[str]]:
    """Remove each sentence that states an unsourced number (`guard_numbers`, run per sentence so a label
    written after the full stop stays with its own sentence), then each claim sentence without a label or
    whose source label has no matching citation. Returns the text, the number drops, the label drops."""
    kinds = {n: p.source.startswith(_CLIENT) for n, p in enumerate(passages, start=1)}
    lines: list[str] = []
    numbers: list[str] = []
    labels: list[str] = []
    for line in text.split("\n"):
        lead, body = _split_line(line)
        if body.strip() and _RESIDUE.match(body):
            continue
        structure = _is_structure(body)
        units = _units(body, structure)
        kept: list[str] = []
        for unit in units:
            if guard_numbers(unit, allowed_sources).changed:
                numbers.append(unit.strip())
            elif structure or _sentence_ok(unit, kinds):
                kept.append(unit)
            else:
                labels.append(unit)
        if kept or not body.strip():
            lines.append(lead + " ".join(kept))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n"), numbers, labels


def drop_unsupported(text: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """Remove each sentence (or short heading) that names one of `names` (case-insensitive); returns the
    text and the removed sentences. A line left empty by the removals goes too."""
    wanted = [n.lower() for n in names if n.strip()]
    if not wanted:
        return text, []
    lines: list[str] = []
    dropped: list[str] = []
    for line in text.split("\n"):
        lead, body = _split_line(line)
        units = _units(body, _is_structure(body))
        kept = [u for u in units if not any(n in u.lower() for n in wanted)]
        dropped += [u.strip() for u in units if u not in kept]
        if kept or not body.strip():
            lines.append(lead + " ".join(kept))
    return "\n".join(lines), dropped
