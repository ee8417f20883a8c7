"""The words of a passage that answer a question: whole sentences, never cut before their cause.

A client document's passage is quoted, not summarised, so the quote must carry what answers the question.
`quote_for(text, query)` picks the sentence sharing the most search terms with the query (the same stems
BM25 uses), then keeps the sentences that follow it while they continue its thought (a "because", "since",
"so" or a pronoun opening the next sentence) and the quote stays under `max_chars`. Deterministic.
"""

from __future__ import annotations

import re

from keysmith.retrieval.bm25 import tokenize

MAX_QUOTE_CHARS = 420
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")
# A sentence opening like this continues the one before it (its cause, consequence or subject).
_CONTINUES = re.compile(
    r"^(?:because|since|as a result|so\b|that|this|these|those|it|they|which|the reason|but|and|"
    r"nobody|no one|since then)\b",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """The passage's sentences, whitespace flattened (PDF line breaks inside a sentence disappear)."""
    flat = " ".join(text.split())
    return [s.strip() for s in _SENTENCE_END.split(flat) if s.strip()]


def _overlap(sentence: str, wanted: set[str]) -> int:
    return len(set(tokenize(sentence)) & wanted)


def quote_for(text: str, query: str, max_chars: int = MAX_QUOTE_CHARS) -> str:
    """The sentences of `text` that best answer `query` (see the module docstring); "" for empty text."""
    found = sentences(text)
    if not found:
        return ""
    wanted = set(tokenize(query))
    best = max(range(len(found)), key=lambda i: (_overlap(found[i], wanted), -i))
    chosen = [found[best]]
    for following in found[best + 1 :]:
        if not _CONTINUES.match(following) or len(" ".join([*chosen, following])) > max_chars:
            break
        chosen.append(following)
    if len(chosen) == 1 and best + 1 < len(found):
        # One short sentence alone rarely carries its cause: add the next one when it fits.
        joined = f"{chosen[0]} {found[best + 1]}"
        if len(joined) <= max_chars // 2 + len(chosen[0]) and len(joined) <= max_chars:
            chosen.append(found[best + 1])
    return " ".join(chosen)
