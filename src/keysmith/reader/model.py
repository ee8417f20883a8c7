"""The learned reader's model: one logistic regression per stall reason over MiniLM sentence embeddings.

The weights are a small JSON file shipped in the package (`weights.json`), rebuilt deterministically from
the training corpus by `python -m keysmith.reader.train`; nothing is downloaded. Fitting is a few Newton
steps of L2-regularised logistic regression in numpy: 385 parameters per reason, a 385x385 system per step,
which is why this does not pull in scikit-learn (about 40 MB) for ten lines of arithmetic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from keysmith.errors import KeysmithError

WEIGHTS_PATH = Path(__file__).resolve().parent / "weights.json"
FORMAT = "keysmith-reader/1"

Matrix = NDArray[np.float64]


class ReaderError(KeysmithError):
    """The learned reader's weights are missing or malformed."""


@dataclass(frozen=True)
class ReaderWeights:
    """Per label (stall reason id), a coefficient vector over the embedding and a bias; `meta` records how
    the weights were made (corpus hash, example counts, regularisation)."""

    labels: tuple[str, ...]
    coef: Matrix  # (labels, dimension)
    bias: Matrix  # (labels,)
    meta: dict[str, Any]

    def probabilities(self, vectors: Matrix) -> Matrix:
        """(texts, labels) probabilities for (texts, dimension) unit vectors."""
        logits = vectors @ self.coef.T + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "labels": list(self.labels),
            # Rounded so that a rebuild on another machine gives the same bytes.
            "coef": [[round(float(x), 6) for x in row] for row in self.coef],
            "bias": [round(float(x), 6) for x in self.bias],
            "meta": self.meta,
        }
        # One line per label's coefficients keeps the file short and its diffs readable.
        rows = ",\n  ".join(json.dumps(row) for row in data.pop("coef"))
        head = json.dumps(data, indent=1, sort_keys=True)[:-2]
        return f'{head},\n "coef": [\n  {rows}\n ]\n}}\n'


def load_weights(path: Path = WEIGHTS_PATH) -> ReaderWeights:
    """Read `weights.json`; raises `ReaderError` naming the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReaderError(f"{path}: cannot read the learned reader's weights: {exc}") from None
    found = data.get("format") if isinstance(data, dict) else None
    if found != FORMAT:
        raise ReaderError(f"{path}: format: expected {FORMAT!r}, got {found!r}")
    coef = np.asarray(data["coef"], dtype=np.float64)
    bias = np.asarray(data["bias"], dtype=np.float64)
    labels = tuple(str(label) for label in data["labels"])
    if coef.shape[0] != len(labels) or bias.shape != (len(labels),):
        raise ReaderError(f"{path}: coef/bias: expected one row per label ({len(labels)}), got {coef.shape}")
    return ReaderWeights(labels, coef, bias, dict(data.get("meta", {})))


def fit_logistic(x: Matrix, y: Matrix, l2: float, steps: int = 25) -> tuple[Matrix, float]:
    """L2-regularised logistic regression by Newton's method; balanced class weights (a reason is a small
    share of the corpus). Returns (coefficients, bias); the bias is not regularised. Deterministic."""
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    positives = max(float(y.sum()), 1.0)
    weights = np.where(y > 0.5, n / (2 * positives), n / (2 * max(n - positives, 1.0)))
    beta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        gradient = design.T @ (weights * (p - y)) + penalty * beta
        hessian = (design * (weights * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return beta[:-1], float(beta[-1])


def fit(labels: Sequence[str], x: Matrix, targets: Sequence[Sequence[str]], l2: float) -> ReaderWeights:
    """One logistic regression per label over the rows of `x`; `targets[i]` lists the labels of row i."""
    coef, bias = [], []
    for label in labels:
        y = np.array([1.0 if label in row else 0.0 for row in targets])
        c, b = fit_logistic(x, y, l2)
        coef.append(c)
        bias.append(b)
    return ReaderWeights(tuple(labels), np.vstack(coef), np.asarray(bias), {"l2": l2})
