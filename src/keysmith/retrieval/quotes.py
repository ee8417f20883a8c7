"""The words of a passage that answer a question: whole sentences, never cut before their cause.

A client document's passage is quoted, not summarised, so the quote must carry what answers the question.
`quote_for(text, query)` picks the sentence sharing the most search terms with the query (the same stems
BM25 uses), then keeps the sentences that follow it in the same paragraph or list item while they continue
its thought (a "because", "since", "so" or a pronoun opening the next sentence) and the quote stays under
`max_chars`. List items, paragraphs and line breaks end sentences, so a bulleted document is never quoted
as one run-on line. Deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from keysmith.retrieval.bm25 import tokenize

MAX_QUOTE_CHARS = 300
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")
# A list item or a heading starts a block of its own; the marker is not part of the quote.
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s")
# A sentence opening like this continues the one before it (its cause, consequence or subject).
_CONTINUES = re.compile(
    r"^(?:because|since|as a result|so\b|that|this|these|those|it|they|which|the reason|but|and|"
    r"nobody|no one|since then)\b",
    re.IGNORECASE,
)


def _blocks(text: str) -> list[str]:
    """The text's blocks: paragraphs and list items (markers dropped), headings left out. A line break ends a
    block unless the next line starts in lower case (a sentence wrapped by a PDF or a hard-wrapped file)."""
    blocks: list[str] = []
    joinable = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _HEADING.match(line):
            joinable = False
            continue
        item = _LIST_ITEM.match(line)
        body = line[item.end() :] if item else line
        if joinable and not item and body[:1].islower():
            blocks[-1] = f"{blocks[-1]} {body}"
        else:
            blocks.append(body)
        joinable = True
    return blocks


def _units(text: str) -> list[tuple[int, str]]:
    """(block number, sentence) for each sentence of the text, whitespace flattened."""
    return [
        (number, s.strip())
        for number, block in enumerate(_blocks(text))
        for s in _SENTENCE_END.split(" ".join(block.split()))
        if s.strip()
    ]


def sentences(text: str) -> list[str]:
    """The passage's sentences: a list item, a paragraph and a line break that starts a capitalised line all
    end one; headings and list markers are left out; a line wrapped mid-sentence is joined again."""
    return [sentence for _block, sentence in _units(text)]


def _overlap(sentence: str, wanted: set[str]) -> int:
    return len(set(tokenize(sentence)) & wanted)


def _shorten(sentence: str, max_chars: int) -> str:
    """`sentence`, or its first words up to `max_chars` and an ellipsis when it is longer."""
    if len(sentence) <= max_chars:
        return sentence
    return sentence[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def quote_for(text: str, query: str, max_chars: int = MAX_QUOTE_CHARS, avoid: Collection[str] = ()) -> str:
    """The sentences of `text` that best answer `query` (see the module docstring), at most about
    `max_chars` long; "" for empty text. A sentence contained in one of the `avoid` quotes (already shown
    elsewhere) is not quoted again; with `avoid` given, "" when no other sentence shares a term with
    `query`."""
    found = [(block, s) for block, s in _units(text) if not any(s in used for used in avoid)]
    wanted = set(tokenize(query))
    if not found:
        return ""
    best = max(range(len(found)), key=lambda i: (_overlap(found[i][1], wanted), -i))
    if avoid and not _overlap(found[best][1], wanted):
        return ""
    block = found[best][0]
    chosen = [_shorten(found[best][1], max_chars)]
    following = [s for b, s in found[best + 1 :] if b == block]
    for sentence in following:
        if not _CONTINUES.match(sentence) or len(" ".join([*chosen, sentence])) > max_chars:
            break
        chosen.append(sentence)
    if len(chosen) == 1 and following:
        # One short sentence alone rarely carries its cause: add the next one of its block when it fits.
        joined = f"{chosen[0]} {following[0]}"
        if len(joined) <= max_chars // 2 + len(chosen[0]) and len(joined) <= max_chars:
            chosen.append(following[0])
    return " ".join(chosen)
