"""The bundled offline embedding model: pinned file, vectors, Chroma registration, LangChain adapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from chromadb.utils.embedding_functions import known_embedding_functions
from openai_server import ScriptedOpenAIServer

from keysmith.config import Settings, parse_embeddings_spec
from keysmith.errors import ConfigError
from keysmith.retrieval.embeddings import (
    DIMENSION,
    MODEL_SHA256,
    collection_name,
    embed_texts,
    model_path,
    tokenizer_path,
    verify_model_file,
)
from keysmith.retrieval.functions import (
    ChromaLangChainEmbeddings,
    LocalMiniLMEmbeddingFunction,
    embedding_function,
)


def _settings(tmp_path: Path, **overrides: str) -> Settings:
    return Settings(knowledge_dir=tmp_path, data_dir=tmp_path, **overrides)


def test_the_installed_model_matches_the_pinned_hash() -> None:
    verify_model_file(model_path())  # raises if the installed file differs
    assert tokenizer_path().is_file()


def test_a_model_file_with_another_hash_is_refused_by_name(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ConfigError, match=rf"{fake}.*expected {MODEL_SHA256}"):
        verify_model_file(fake)
    with pytest.raises(ConfigError, match="cannot read the model file"):
        verify_model_file(tmp_path / "missing.onnx")


def test_vectors_are_unit_length_and_independent_of_the_batch() -> None:
    texts = ["The ERP cannot take the model's output.", "A short one", "Best pizza in Naples?"]
    together = np.array(embed_texts(texts))
    assert together.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = np.array(embed_texts([texts[1]]))[0]
    assert np.array_equal(alone, together[1])


def test_a_short_text_runs_on_its_own_tokens_and_gets_the_padded_vector() -> None:
    """The bundled tokenizer pads to 128 tokens; the model runs unpadded (five times faster on a clause),
    and the mask-weighted mean gives the same vector as the padded run."""
    from tokenizers import Tokenizer

    from keysmith.retrieval.embeddings import _load_model

    text = "Finance asked who signs off the model."
    model = _load_model()
    assert len(model.tokenizer.encode(text).ids) < 20  # its own tokens only
    padded = Tokenizer.from_file(str(tokenizer_path())).encode(text)
    assert len(padded.ids) == 128  # what the bundled tokenizer file would feed the model
    ids = np.array([padded.ids], dtype=np.int64)
    mask = np.array([padded.attention_mask], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in model.input_names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = model.session.run(None, feeds)[0]
    pooled = (hidden * mask[..., None]).sum(axis=1)[0] / mask.sum()
    unpadded = np.array(embed_texts([text]))[0]
    assert float(unpadded @ (pooled / np.linalg.norm(pooled))) > 0.99999


def test_similar_meanings_are_closer_than_unrelated_ones() -> None:
    erp, downstream, pizza = np.array(
        embed_texts(
            [
                "the ERP can't take the model's output",
                "downstream systems were never built to receive the AI's results",
                "where can I get a good pizza in Naples",
            ]
        )
    )
    assert erp @ downstream > erp @ pizza + 0.2


def test_the_chroma_function_is_registered_and_rebuilds_from_its_config() -> None:
    function = LocalMiniLMEmbeddingFunction()
    assert known_embedding_functions[function.name()] is LocalMiniLMEmbeddingFunction
    rebuilt = LocalMiniLMEmbeddingFunction.build_from_config(function.get_config())
    assert np.allclose(rebuilt(["same text"])[0], function(["same text"])[0])
    assert function.default_space() == "cosine"


def test_the_langchain_adapter_returns_the_same_vectors() -> None:
    adapter = ChromaLangChainEmbeddings(LocalMiniLMEmbeddingFunction())
    text = "who owns the model in production?"
    assert np.allclose(adapter.embed_query(text), embed_texts([text])[0])
    assert len(adapter.embed_documents(["a", "b"])) == 2


def test_specs_choose_the_provider_and_a_separate_collection(tmp_path: Path) -> None:
    assert parse_embeddings_spec("local") == ("local", "")
    assert parse_embeddings_spec("openai:text-embedding-3-small") == ("openai", "text-embedding-3-small")
    local = collection_name(_settings(tmp_path))
    remote = collection_name(_settings(tmp_path, embeddings="openai:text-embedding-3-small"))
    assert local == "keysmith-local-all-MiniLM-L6-v2-onnx-int8" and remote != local
    with pytest.raises(ConfigError, match=r"KEYSMITH_EMBEDDINGS: .*got 'cohere:x'"):
        parse_embeddings_spec("cohere:x")
    assert isinstance(embedding_function(_settings(tmp_path)), LocalMiniLMEmbeddingFunction)


def test_openai_embeddings_need_a_key_and_go_through_the_models_retry_layer(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    with pytest.raises(ConfigError, match="needs OPENAI_API_KEY"):
        embedding_function(_settings(tmp_path, embeddings="openai:text-embedding-3-small"))
    settings = _settings(
        tmp_path,
        embeddings="openai:text-embedding-3-small",
        openai_api_key="sk-test-not-real",
        openai_base_url=openai_server.base_url,
    )
    function = embedding_function(settings)
    assert function.name() == "keysmith-openai"
    vectors = function(["a", "b"])
    assert len(vectors) == 2 and len(vectors[0]) == 3
    assert [r.path for r in openai_server.requests] == ["/v1/embeddings"]  # over real HTTP, via models
