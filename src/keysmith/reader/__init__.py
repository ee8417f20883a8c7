"""The learned story reader: MiniLM embeddings of the user's clauses, scored per stall reason.

`LearnedReader.read(text)` splits the text into the user's clauses (`keysmith.text.segments`), embeds each
with the bundled MiniLM (`retrieval.embeddings`, no download), and returns a `LearnedReading`: per stall
reason, the highest probability over the clauses (and the whole text, for short stories) and the clause that
scored it. The deterministic diagnosis (`diagnosis.read_story`) fuses it with the cue reader and decides.

`read(text, framework)` is the one call the tools, the composer and the UI use: both readers, fused.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import fields
from functools import cache
from pathlib import Path

import numpy as np

from keysmith.diagnosis import StorySignals, read_story
from keysmith.diagnosis.fusion import FusionPolicy, LearnedReading, LearnedSignal
from keysmith.framework import Framework
from keysmith.reader.model import ReaderError, ReaderWeights, load_weights
from keysmith.text.segments import segments

CALIBRATION_PATH = Path(__file__).resolve().parent / "calibration.json"
MAX_WHOLE_WORDS = 120  # the whole text is scored too when it is short enough to be one story

Embed = Callable[[Sequence[str]], list[list[float]]]


def _default_embed(texts: Sequence[str]) -> list[list[float]]:
    # Imported here: the ONNX model loads on first use, not when the package is imported.
    from keysmith.retrieval.embeddings import embed_texts

    return embed_texts(texts)


def load_policy(path: Path = CALIBRATION_PATH) -> FusionPolicy:
    """The calibrated `FusionPolicy` (from `python -m keysmith.reader.calibrate`); raises ReaderError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(FusionPolicy)}
        return FusionPolicy(**{k: v for k, v in data["policy"].items() if k in known})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"{path}: cannot read the calibrated fusion policy: {exc}") from None


class LearnedReader:
    """Scores texts with trained weights; `embed` is injectable (tests pass a fake)."""

    def __init__(self, weights: ReaderWeights, policy: FusionPolicy, embed: Embed = _default_embed) -> None:
        self.weights, self.policy, self._embed = weights, policy, embed

    def read(self, text: str) -> LearnedReading:
        """Per stall reason, the best probability over the user's clauses and that clause."""
        pieces = segments(text)
        if not pieces:
            return LearnedReading({}, self.policy)
        units = list(pieces)
        if len(pieces) > 1 and len(text.split()) <= MAX_WHOLE_WORDS:
            units.append(" ".join(pieces))
        probabilities = self.weights.probabilities(np.asarray(self._embed(units), dtype=np.float64))
        signals: dict[str, LearnedSignal] = {}
        for column, label in enumerate(self.weights.labels):
            scores = probabilities[:, column]
            best_clause = int(np.argmax(scores[: len(pieces)]))
            signals[label] = LearnedSignal(float(scores.max()), pieces[best_clause])
        return LearnedReading(signals, self.policy)


_LOCK = threading.Lock()


@cache
def _shared_reader() -> LearnedReader:
    with _LOCK:
        return LearnedReader(load_weights(), load_policy())


def default_reader() -> LearnedReader:
    """The process-wide reader over the shipped weights and calibration (loaded once)."""
    return _shared_reader()


def read(text: str, framework: Framework, reader: LearnedReader | None = None) -> StorySignals:
    """Both readers on `text`, fused and decided (see `diagnosis.read_story`)."""
    chosen = reader or default_reader()
    return read_story(text, framework, learned=chosen.read(text))
