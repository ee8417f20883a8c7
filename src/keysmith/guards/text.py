"""What the guards share: the result type, and how answer text splits into lines and sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A line's structure (indent, bullets, "1." / "2)" numbering, quotes, heading hashes): not claims.
_LINE_PREFIX = re.compile(r"^\s*(?:(?:[-*+]|\d{1,3}[.)]|>|#{1,6})\s+)*")
# Sentence ends: . ! ? followed by space and an upper-case letter, quote, bracket or emphasis.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*_])")


@dataclass(frozen=True)
class GuardResult:
    """The guarded text and what the guard removed (sentences or markers, as they appeared)."""

    text: str
    dropped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the guard removed anything."""
        return bool(self.dropped)


def line_prefix(line: str) -> tuple[str, str]:
    """Split a Markdown line into its structural prefix (indent, list marker, quote, heading) and body."""
    match = _LINE_PREFIX.match(line)
    return (match.group(0), line[match.end() :]) if match else ("", line)


def sentences(line: str) -> list[str]:
    """A line split into sentences (list items and headings are their own lines already)."""
    return [part for part in _SENTENCE_END.split(line) if part]


def tidy(text: str) -> str:
    """Collapse the blank lines left behind by dropped lines (at most one blank line in a row)."""
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
