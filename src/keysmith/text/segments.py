"""A user's text as clauses, in the user's own words (standard library only).

`segments(text)` is what the learned story reader scores and what a stall reason quotes as its evidence:
sentences, split further at semicolons, dashes, line breaks and contrast words ("the pilot worked, but
nobody owns the model" gives two clauses). A piece shorter than `MIN_WORDS` words joins its neighbour, so a
clause is never a lone noun such as "procurement"; a very long run-on sentence is cut near `MAX_WORDS`.
"""

from __future__ import annotations

import re

MIN_WORDS = 4
MAX_WORDS = 45
MAX_SEGMENTS = 60  # a story, not a document: a longer text is read up to here

# Sentence ends, line breaks, bullets, semicolons, colons and spaced dashes.
_HARD = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\s*\n+\s*(?:[-*•]\s+)?|[;:]\s+|\s+[-–—]+\s+")
# Contrast words start a new clause: what came before is often the pilot's success, what follows the stall.
_CONTRAST = re.compile(r",?\s+(?=\b(?:but|however|although|though|whereas|except that)\b)", re.IGNORECASE)


def _words(piece: str) -> int:
    return len(piece.split())


def _merge_short(pieces: list[str]) -> list[str]:
    """Join each piece of fewer than MIN_WORDS words to the piece before it (or after, if it is first)."""
    merged: list[str] = []
    for piece in pieces:
        if merged and (_words(piece) < MIN_WORDS or _words(merged[-1]) < MIN_WORDS):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def _cut_long(piece: str) -> list[str]:
    """A run-on piece in chunks of about MAX_WORDS words, cut after a comma where one is near."""
    words = piece.split()
    if len(words) <= MAX_WORDS:
        return [piece]
    chunks: list[str] = []
    while len(words) > MAX_WORDS:
        cut = next(
            (i + 1 for i in range(MAX_WORDS - 1, MAX_WORDS // 2, -1) if words[i].endswith(",")), MAX_WORDS
        )
        chunks.append(" ".join(words[:cut]))
        words = words[cut:]
    return [*chunks, " ".join(words)] if words else chunks


def segments(text: str) -> list[str]:
    """The clauses of `text` in order, each as written (trimmed), each at least MIN_WORDS words unless the
    whole text is shorter. Never raises on a `str`; an empty text gives []."""
    pieces: list[str] = []
    for sentence in _HARD.split(text):
        for clause in _CONTRAST.split(sentence):
            clause = clause.strip(" \t,;:-–—")
            if clause:
                pieces.extend(_cut_long(clause))
    return _merge_short(pieces)[:MAX_SEGMENTS]
