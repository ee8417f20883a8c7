"""Which eval story sets share phrases with what the story reader was built from (counts only).

A phrase of the cue list (`knowledge/framework/signals.yaml`, three words or more) or a four-word run of the
learned reader's training corpus that occurs verbatim in a set makes that set development data
(docs/evaluation.md). Prints, per set, how many cue phrases and how many texts overlap; never the texts.
Run before accepting a new blind set: `python scripts/eval_overlap.py`.

`python scripts/eval_overlap.py --show FILE` is for a blind set's writer only (never for whoever changes the
reader): it lists, for that one file, which of its own phrases matched, so the writer can reword them.
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


def _texts(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        (str(c.get("id", "?")), str(c.get("story", "")))
        for key in ("scenarios", "controls")
        for c in data.get(key, []) or []
    ]


def show(path: Path, cues: set[str], corpus: set[tuple[str, ...]]) -> int:
    """For the writer of `path`: each case id with the cue phrases (and corpus runs) its own text matched."""
    from keysmith.reader import train

    flagged = 0
    for case_id, text in _texts(path):
        padded = f" {_norm(text)} "
        hits = sorted(p for p in cues if f" {p} " in padded)
        runs = sorted(" ".join(g) for g in train.ngrams(text) & corpus)
        if hits or runs:
            flagged += 1
            print(f"{case_id}: reword {'; '.join(repr(h) for h in hits + runs)}")
    print(f"{flagged} case(s) to reword")
    return 1 if flagged else 0


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))  # a script run from a checkout: the checkout's keysmith
    from keysmith.reader import train

    cues, corpus = cue_phrases(), set()
    kept, _ = train.decontaminate(train.load_corpus(), train.eval_ngrams())  # what the weights were fit on
    for text, _ in kept:
        corpus |= train.ngrams(text)
    if len(sys.argv) == 3 and sys.argv[1] == "--show":
        # Cue phrases only: training-corpus runs are removed from the training data by `reader.train`.
        return show(Path(sys.argv[2]), cues, set())
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
