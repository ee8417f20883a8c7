"""Chroma embedding functions over Keysmith's embeddings, and a LangChain adapter.

Chroma must never attach its own default embedding function (it downloads a model at first use), so every
collection is opened with `embedding_function(settings)`: the bundled int8 MiniLM (`embeddings.embed_texts`)
unless `KEYSMITH_EMBEDDINGS=openai:<model>`, which goes through `keysmith.models.load_embeddings` (the one
retry layer; imported on first use, so offline processes never load `openai`).
`ChromaLangChainEmbeddings` adapts either one to LangChain's `Embeddings` interface.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as LangChainEmbeddings

from keysmith.config import Settings, parse_embeddings_spec
from keysmith.errors import ConfigError
from keysmith.retrieval.embeddings import LOCAL_MODEL_ID, MODEL_SHA256, embed_texts


@register_embedding_function
class LocalMiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over the bundled int8 MiniLM (registered as `keysmith-minilm-int8`)."""

    def __init__(self) -> None:
        """No options: the model is fixed by its pinned hash."""

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return [np.asarray(v, dtype=np.float32) for v in embed_texts(list(input))]

    @staticmethod
    def name() -> str:
        return "keysmith-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalMiniLMEmbeddingFunction:
        return LocalMiniLMEmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        return {"model": LOCAL_MODEL_ID, "sha256": MODEL_SHA256}


class OpenAIEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over OpenAI embeddings, built by `keysmith.models` (the one provider package,
    with the one retry layer). `models` is imported on first use, so offline processes never load `openai`.
    """

    def __init__(self, model: str, settings: Settings) -> None:
        if not settings.openai_api_key:
            raise ConfigError(f"KEYSMITH_EMBEDDINGS=openai:{model} needs OPENAI_API_KEY")
        self._model, self._settings = model, settings
        self._embeddings: LangChainEmbeddings | None = None

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        if self._embeddings is None:
            models = importlib.import_module("keysmith.models")
            self._embeddings = models.load_embeddings(f"openai:{self._model}", self._settings)
        vectors = self._embeddings.embed_documents(list(input))
        return [np.asarray(v, dtype=np.float32) for v in vectors]

    @staticmethod
    def name() -> str:
        return "keysmith-openai"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbeddingFunction:
        # Chroma calls this when it reopens a collection; the key never leaves `Settings`.
        return OpenAIEmbeddingFunction(str(config["model"]), Settings.from_env())

    def get_config(self) -> dict[str, Any]:
        return {"model": self._model}


def embedding_function(settings: Settings) -> EmbeddingFunction[Documents]:
    """The embedding function `settings.embeddings` names (the local model unless configured otherwise)."""
    provider, model = parse_embeddings_spec(settings.embeddings)
    if provider == "openai":
        return OpenAIEmbeddingFunction(model, settings)
    return LocalMiniLMEmbeddingFunction()


class ChromaLangChainEmbeddings(LangChainEmbeddings):
    """LangChain `Embeddings` over any Chroma embedding function (e.g. for LangChain vector stores)."""

    def __init__(self, function: EmbeddingFunction[Documents]) -> None:
        self._function = function

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, as plain floats."""
        return [np.asarray(v, dtype=np.float32).tolist() for v in self._function(texts)]

    def embed_query(self, text: str) -> list[float]:
        """The same model for queries and documents (MiniLM is symmetric)."""
        return self.embed_documents([text])[0]
