"""Rebuild the learned reader's weights from the training corpus: `python -m keysmith.reader.train`.

The corpus (`reader/corpus/*.yaml`, a list under `examples` of `{text, labels}`) was written for training
only, by helpers who never saw an eval set. To keep it apart from every eval set for certain, any example
sharing a run of `NGRAM` words (not all of them stop words) with any text in `evals/datasets/*.yaml` is left
out before fitting; only the count is reported, so nobody reads which eval text it matched. The result is
deterministic: the same corpus and datasets give the same `weights.json` bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from keysmith.reader.model import WEIGHTS_PATH, ReaderWeights, fit
from keysmith.text.matching import STOPWORDS

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
DATASETS_DIR = Path(__file__).resolve().parents[3] / "evals" / "datasets"  # present in a checkout only
LABELS = (
    "zoom_level",
    "input_output_mismatch",
    "governance_vacuum",
    "change_management_deficit",
    "economics_shift",
)
NGRAM = 4
L2 = 1.0
_WORD = re.compile(r"[a-z0-9']+")


def load_corpus(directory: Path = CORPUS_DIR) -> list[tuple[str, tuple[str, ...]]]:
    """Every example as (text, labels); raises ValueError naming the file and item that is malformed."""
    examples: list[tuple[str, tuple[str, ...]]] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, item in enumerate(data.get("examples", []) if isinstance(data, dict) else []):
            text, labels = item.get("text"), item.get("labels") or []
            if not isinstance(text, str) or not text.strip():
                raise ValueError(
                    f"{path.name}: examples[{index}].text: expected a non-empty string, got {text!r}"
                )
            unknown = [label for label in labels if label not in LABELS]
            if unknown:
                raise ValueError(f"{path.name}: examples[{index}].labels: unknown reason {unknown[0]!r}")
            examples.append((" ".join(text.split()), tuple(labels)))
    return examples


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    """Word n-grams of `text` that are not made only of stop words."""
    words = _WORD.findall(text.lower())
    grams = {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
    return {g for g in grams if not all(w in STOPWORDS for w in g)}


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def eval_ngrams(directory: Path = DATASETS_DIR) -> set[tuple[str, ...]]:
    """The n-grams of every text in every eval dataset (empty outside a checkout)."""
    grams: set[tuple[str, ...]] = set()
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if len(text.split()) >= NGRAM:
                grams |= ngrams(text)
    return grams


def decontaminate(
    examples: Sequence[tuple[str, tuple[str, ...]]], held_out: set[tuple[str, ...]]
) -> tuple[list[tuple[str, tuple[str, ...]]], int]:
    """The examples that share no n-gram with `held_out`, and how many were left out."""
    kept = [e for e in examples if not (ngrams(e[0]) & held_out)]
    return kept, len(examples) - len(kept)


def train(embed: Any = None, l2: float = L2) -> ReaderWeights:
    """Fit the weights from the corpus, decontaminated against the eval datasets."""
    if embed is None:
        from keysmith.retrieval.embeddings import embed_texts as embed
    examples = load_corpus()
    kept, dropped = decontaminate(examples, eval_ngrams())
    x = np.asarray(embed([text for text, _ in kept]), dtype=np.float64)
    weights = fit(LABELS, x, [labels for _, labels in kept], l2)
    corpus_hash = hashlib.sha256("\n".join(f"{t}\t{','.join(ls)}" for t, ls in kept).encode()).hexdigest()
    meta = {
        **weights.meta,
        "examples": len(kept),
        "left_out_overlapping_evals": dropped,
        "per_label": {label: sum(label in ls for _, ls in kept) for label in LABELS},
        "none": sum(not ls for _, ls in kept),
        "corpus_sha256": corpus_hash,
        "embedding": "all-MiniLM-L6-v2-onnx-int8",
    }
    return ReaderWeights(weights.labels, weights.coef, weights.bias, meta)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m keysmith.reader.train", description=__doc__)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--l2", type=float, default=L2)
    args = parser.parse_args(argv)
    weights = train(l2=args.l2)
    args.out.write_text(weights.to_json(), encoding="utf-8")
    meta = weights.meta
    left_out = meta["left_out_overlapping_evals"]
    print(
        f"trained on {meta['examples']} examples ({left_out} left out as overlapping an eval) -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
