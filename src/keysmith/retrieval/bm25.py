"""A small Okapi BM25 keyword index (stdlib only) for the hybrid search.

Vectors find paraphrases; BM25 finds the rare exact words (an ERP, "drift", "bias") that a small embedding
model blurs. Documents are tokenised into lower-case word stems (`keysmith.text`'s stemmer) with stop words
removed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from keysmith.text.matching import NEGATORS, STOPWORDS, stem

_WORD = re.compile(r"[a-z0-9]+")
# The cue reader keeps negators and question words (they carry meaning in a clause); for keyword search they
# are noise, so search drops them too. The stems themselves are the one stemmer in `keysmith.text`.
STOP_WORDS = (
    STOPWORDS
    | NEGATORS
    | frozenset(
        (
            "what",
            "when",
            "where",
            "which",
            "while",
            "who",
            "whom",
            "why",
            "how",
            "if",
            "or",
            "nor",
            "but",
            "because",
            "before",
            "after",
            "again",
            "all",
            "each",
            "few",
            "more",
            "most",
            "other",
            "such",
            "than",
            "only",
            "own",
            "same",
            "out",
            "over",
            "under",
            "up",
            "down",
            "off",
            "once",
            "by",
            "get",
            "got",
        )
    )
)


def _stem(word: str) -> str:
    return stem(word)


# Words managers use for the things the knowledge pages name differently (applied to queries only).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "trial": ("pilot",),
    "poc": ("pilot",),
    "experiment": ("pilot",),
    "prototype": ("pilot",),
    "golive": ("rollout",),
    "deploy": ("rollout",),
    "deployment": ("rollout",),
    "scaling": ("rollout",),
    "expand": ("rollout",),
    "staff": ("people",),
    "employees": ("people",),
    "workforce": ("people",),
    "kpis": ("metrics",),
    "bill": ("costs",),
    "spend": ("costs",),
    "budget": ("costs",),
    "cultural": ("culture",),
}


def query_terms(text: str) -> set[str]:
    """The query's stems plus their synonyms."""
    terms = set(tokenize(text))
    return terms.union(*(_SYNONYM_STEMS.get(t, ()) for t in terms))


def tokenize(text: str) -> list[str]:
    """Lower-case stems of the non-stop words in `text`."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1]


_SYNONYM_STEMS = {_stem(k): tuple(_stem(v) for v in vs) for k, vs in SYNONYMS.items()}


@dataclass
class BM25Index:
    """BM25 over a fixed set of documents; `scores(query)` returns {doc id: score} for docs sharing a term."""

    k1: float = 1.5
    b: float = 0.75
    _postings: dict[str, dict[str, int]] = field(default_factory=dict)  # term -> {doc id: count}
    _lengths: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str]]) -> BM25Index:
        """Index (id, text) pairs."""
        index = cls()
        for doc_id, text in documents:
            tokens = tokenize(text)
            index._lengths[doc_id] = len(tokens)
            for term, count in Counter(tokens).items():
                index._postings.setdefault(term, {})[doc_id] = count
        return index

    def __len__(self) -> int:
        return len(self._lengths)

    def idf(self, term: str) -> float:
        """Okapi idf with the +1 that keeps it positive for very common terms."""
        n, df = len(self._lengths), len(self._postings.get(term, {}))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> dict[str, float]:
        """BM25 score of every document that shares at least one query term."""
        if not self._lengths:
            return {}
        average = sum(self._lengths.values()) / len(self._lengths) or 1.0
        result: dict[str, float] = {}
        for term in query_terms(query):
            idf = self.idf(term)
            for doc_id, count in self._postings.get(term, {}).items():
                norm = self.k1 * (1 - self.b + self.b * self._lengths[doc_id] / average)
                result[doc_id] = result.get(doc_id, 0.0) + idf * count * (self.k1 + 1) / (count + norm)
        return result

    def max_possible(self, query: str) -> float:
        """An upper bound on any document's score for `query` (used to normalise scores to 0..1)."""
        return sum(self.idf(t) * (self.k1 + 1) for t in query_terms(query))
