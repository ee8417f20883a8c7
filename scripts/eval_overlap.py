"""Which eval story sets share phrases with what the story reader was built from (counts only).

A phrase of the cue list (`knowledge/framework/signals.yaml`, three words or more) or a four-word run of the
learned reader's training corpus that occurs verbatim in a set makes that set development data
(docs/evaluation.md). Prints, per set, how many cue phrases and how many texts overlap; never the texts.
Run before accepting a new blind set: `python scripts/eval_overlap.py`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def cue_phrases() -> set[str]:
    """The cue list's phrases of three words or more, normalised (contexts stripped)."""
    data = yaml.safe_load((ROOT / "knowledge" / "framework" / "signals.yaml").read_text(encoding="utf-8"))
    phrases = {_norm(s.split("@")[0]) for s in _strings(data)}
    return {p for p in phrases if len(p.split()) >= 3}


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))  # a script run from a checkout: the checkout's keysmith
    from keysmith.reader import train

    cues, corpus = cue_phrases(), set()
    kept, _ = train.decontaminate(train.load_corpus(), train.eval_ngrams())  # what the weights were fit on
    for text, _ in kept:
        corpus |= train.ngrams(text)
    for path in sorted((ROOT / "evals" / "datasets").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = [
            str(c.get("story", "")) for key in ("scenarios", "controls") for c in data.get(key, []) or []
        ]
        if not any(texts):
            continue
        padded = [f" {_norm(t)} " for t in texts]
        cue_hits = sum(1 for p in cues if any(f" {p} " in t for t in padded))
        corpus_hits = sum(1 for t in texts if train.ngrams(t) & corpus)
        print(
            f"{path.stem}: {cue_hits} cue phrases verbatim; {corpus_hits} of {len(texts)} texts share a "
            "four-word run with the training corpus"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
