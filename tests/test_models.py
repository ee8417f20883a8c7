"""Providers: spec parsing, automatic choice, and the real openai SDK over real HTTP to a scripted server.

Retry classification is proven by counting the requests the server received and the waits the retry layer
asked for (a recording `sleep`, so no test actually waits for a Retry-After).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from openai_server import Cut, ScriptedOpenAIServer, Stall, Status, Text, ToolCalls, error_body

from keysmith.config import Settings
from keysmith.errors import ConfigError, ProviderError
from keysmith.models import (
    classify_provider_error,
    load_chat_model,
    load_embeddings,
    parse_spec,
    resolve_model_spec,
)
from keysmith.models.http import probe_ollama, retry_after_seconds


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "knowledge_dir": tmp_path / "knowledge",
        "data_dir": tmp_path / "data",
        "openai_api_key": "sk-test-key",
        "request_timeout": 10.0,
        "max_retries": 2,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class Sleeps:
    """A recording stand-in for time.sleep."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _model(
    server: ScriptedOpenAIServer, tmp_path: Path, sleeps: Sleeps, **overrides: object
) -> BaseChatModel:
    settings = _settings(tmp_path, openai_base_url=server.base_url, **overrides)
    model = load_chat_model("openai:gpt-test", settings, sleep=sleeps)
    assert model is not None
    return model


def _failure(
    server: ScriptedOpenAIServer, tmp_path: Path, sleeps: Sleeps, **overrides: object
) -> ProviderError:
    model = _model(server, tmp_path, sleeps, **overrides)
    with pytest.raises(Exception) as caught:
        model.invoke("hello")
    return classify_provider_error(caught.value, "openai:gpt-test")


# --- specs and the automatic choice ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "provider", "model", "base_url"),
    [
        ("offline", "offline", "", ""),
        ("openai:gpt-4o-mini", "openai", "gpt-4o-mini", ""),
        ("azure:my-deployment", "azure", "my-deployment", ""),
        (
            "openai-compatible:llama3.1:8b@http://localhost:11434/v1/",
            "openai-compatible",
            "llama3.1:8b",
            "http://localhost:11434/v1",
        ),
    ],
)
def test_specs_parse(spec: str, provider: str, model: str, base_url: str) -> None:
    parsed = parse_spec(spec)
    assert (parsed.provider, parsed.model, parsed.base_url) == (provider, model, base_url)


@pytest.mark.parametrize(
    "spec",
    ["gpt-4o", "openai:", "anthropic:claude", "openai-compatible:llama3", "openai-compatible:m@localhost"],
)
def test_bad_specs_name_the_variable_and_the_value(spec: str) -> None:
    with pytest.raises(ConfigError, match="KEYSMITH_MODEL") as caught:
        parse_spec(spec)
    assert repr(spec) in str(caught.value)


def test_explicit_model_wins_and_is_validated(tmp_path: Path) -> None:
    choice = resolve_model_spec(_settings(tmp_path, model="azure:dep"), probe=lambda url: "llama3.1")
    assert choice.spec == "azure:dep"
    with pytest.raises(ConfigError, match="KEYSMITH_MODEL"):
        resolve_model_spec(_settings(tmp_path, model="gpt4"), probe=lambda url: None)


def test_openai_key_chooses_openai(tmp_path: Path) -> None:
    choice = resolve_model_spec(_settings(tmp_path), probe=lambda url: "llama3.1")
    assert choice.spec.startswith("openai:")
    assert "OPENAI_API_KEY" in choice.reason


def test_no_key_and_no_server_means_offline(tmp_path: Path) -> None:
    seen: list[str] = []
    choice = resolve_model_spec(
        _settings(tmp_path, openai_api_key="", ollama_url="http://127.0.0.1:9"),
        probe=lambda url: seen.append(url),
    )
    assert choice.spec == "offline"
    assert seen == ["http://127.0.0.1:9"]
    assert "offline" in choice.reason


def test_ollama_with_a_tool_model_is_found_over_http(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.ollama_models = {"gemma2:2b": ["completion"], "qwen2.5:7b": ["completion", "tools"]}
    settings = _settings(tmp_path, openai_api_key="", ollama_url=openai_server.url)
    choice = resolve_model_spec(settings)
    assert choice.spec == f"openai-compatible:qwen2.5:7b@{openai_server.url}/v1"
    assert "qwen2.5:7b" in choice.reason


def test_ollama_without_capabilities_falls_back_to_known_families(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.ollama_models = {"phi3:mini": None, "llama3.1:8b": None}
    assert probe_ollama(openai_server.url) == "llama3.1:8b"
    openai_server.ollama_models = {"phi3:mini": None}
    assert probe_ollama(openai_server.url) is None


def test_probe_of_a_closed_port_is_none() -> None:
    assert probe_ollama("http://127.0.0.1:9") is None


def test_offline_loads_no_model_and_missing_keys_are_named(tmp_path: Path) -> None:
    assert load_chat_model("offline", _settings(tmp_path)) is None
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load_chat_model("openai:gpt-4o-mini", _settings(tmp_path, openai_api_key=""))
    with pytest.raises(ConfigError, match="AZURE_OPENAI_ENDPOINT"):
        load_chat_model("azure:dep", _settings(tmp_path))


def test_azure_model_is_built_with_its_variables(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        azure_endpoint="https://x.openai.azure.com",
        azure_api_key="k",
        azure_api_version="2024-10-21",
    )
    model = load_chat_model("azure:dep", settings)
    assert type(model).__name__ == "AzureChatOpenAI"
    assert model is not None and model.streaming is True  # type: ignore[attr-defined]


def test_azure_over_http_uses_the_deployment_key_and_version(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Text("From Azure."))
    settings = _settings(
        tmp_path, azure_endpoint=openai_server.url, azure_api_key="az-key", azure_api_version="2024-10-21"
    )
    model = load_chat_model("azure:keysmith-gpt4o", settings)
    assert model is not None
    assert model.invoke("hi").text == "From Azure."
    request = openai_server.chat_requests()[0]
    assert request.path == "/openai/deployments/keysmith-gpt4o/chat/completions?api-version=2024-10-21"
    assert request.headers["api-key"] == "az-key"


def test_retry_after_headers_are_read() -> None:
    import httpx

    assert retry_after_seconds(httpx.Headers({"retry-after": "3"})) == 3.0
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after_seconds(httpx.Headers({})) is None


# --- the real SDK over HTTP ------------------------------------------------------------------------


def test_streamed_text_arrives_in_pieces(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(Text("Governance is the usual gap [1]."))
    model = _model(openai_server, tmp_path, Sleeps())
    chunks = [chunk.text for chunk in model.stream("why did we stall?")]
    assert len([c for c in chunks if c]) > 3
    assert "".join(chunks) == "Governance is the usual gap [1]."
    request = openai_server.chat_requests()[0]
    assert request.body["stream"] is True
    assert request.body["model"] == "gpt-test"
    assert request.headers["authorization"] == "Bearer sk-test-key"


def test_streamed_tool_calls_are_assembled(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(ToolCalls([("score_assessment", {"answers": {"governance": 2}})]))
    model = _model(openai_server, tmp_path, Sleeps())
    message: AIMessageChunk | None = None
    for chunk in model.stream("score me"):
        assert isinstance(chunk, AIMessageChunk)
        message = chunk if message is None else message + chunk
    assert message is not None
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("score_assessment", {"answers": {"governance": 2}})
    ]


def test_429_rate_limit_honours_retry_after_then_succeeds(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    limited = Status(
        429,
        error_body("Rate limit reached", type_="requests", code="rate_limit_exceeded"),
        {"Retry-After": "7"},
    )
    openai_server.reply(limited, Text("Recovered."))
    sleeps = Sleeps()
    result = _model(openai_server, tmp_path, sleeps).invoke("hello")
    assert result.text == "Recovered."
    assert len(openai_server.chat_requests()) == 2
    assert sleeps.calls == [7.0]


def test_retry_after_is_capped(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(Status(429, error_body("slow down"), {"Retry-After": "3600"}), Text("ok"))
    sleeps = Sleeps()
    _model(openai_server, tmp_path, sleeps).invoke("hello")
    assert sleeps.calls == [20.0]


def test_500_is_retried_until_the_budget_is_spent(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(*[Status(500, error_body("boom", type_="server_error"))] * 3)
    sleeps = Sleeps()
    error = _failure(openai_server, tmp_path, sleeps)
    assert len(openai_server.chat_requests()) == 3  # one attempt + max_retries=2
    assert len(sleeps.calls) == 2
    assert (error.kind, error.retryable) == ("server", True)


def test_500_then_success(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(Status(503, error_body("overloaded")), Text("Back."))
    assert _model(openai_server, tmp_path, Sleeps()).invoke("hi").text == "Back."
    assert len(openai_server.chat_requests()) == 2


def test_401_is_not_retried_and_names_the_key(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(
        Status(401, error_body("Incorrect API key provided", code="invalid_api_key")), Text("no")
    )
    sleeps = Sleeps()
    error = _failure(openai_server, tmp_path, sleeps)
    assert len(openai_server.chat_requests()) == 1
    assert sleeps.calls == []
    assert error.kind == "auth"
    assert str(error).startswith("OPENAI_API_KEY was rejected")


def test_insufficient_quota_is_not_retried(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    quota = error_body(
        "You exceeded your current quota", type_="insufficient_quota", code="insufficient_quota"
    )
    openai_server.reply(Status(429, quota, {"Retry-After": "1"}), Text("no"))
    sleeps = Sleeps()
    error = _failure(openai_server, tmp_path, sleeps)
    assert len(openai_server.chat_requests()) == 1
    assert sleeps.calls == []
    assert (error.kind, error.retryable) == ("quota", False)
    assert "quota" in str(error)


def test_404_model_names_keysmith_model(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    missing = error_body("The model `gpt-test` does not exist", code="model_not_found")
    openai_server.reply(Status(404, missing), Text("no"))
    error = _failure(openai_server, tmp_path, Sleeps())
    assert len(openai_server.chat_requests()) == 1
    assert error.kind == "not_found"
    assert str(error).startswith("KEYSMITH_MODEL names a model the server does not have")


@pytest.mark.parametrize(("code", "kind"), [(400, "bad_request"), (403, "auth")])
def test_other_client_errors_are_not_retried(
    tmp_path: Path, openai_server: ScriptedOpenAIServer, code: int, kind: str
) -> None:
    openai_server.reply(Status(code, error_body("nope")), Text("no"))
    error = _failure(openai_server, tmp_path, Sleeps())
    assert len(openai_server.chat_requests()) == 1
    assert error.kind == kind


def test_timeout_is_classified_and_not_retried(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(Stall(30), Text("too late"))
    error = _failure(openai_server, tmp_path, Sleeps(), request_timeout=0.3)
    assert len(openai_server.chat_requests()) == 1
    assert (error.kind, error.retryable) == ("timeout", True)


def test_refused_connection_is_retried_then_classified(tmp_path: Path) -> None:
    sleeps = Sleeps()
    model = load_chat_model(
        "openai-compatible:llama3.1@http://127.0.0.1:9/v1",
        _settings(tmp_path, openai_api_key=""),
        sleep=sleeps,
    )
    assert model is not None
    with pytest.raises(Exception) as caught:
        model.invoke("hi")
    error = classify_provider_error(caught.value)
    assert error.kind == "connection"
    assert len(sleeps.calls) == 2


def test_a_compatible_server_wanting_a_key_gets_a_plain_message(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Status(401, error_body("Unauthorized")))
    spec = f"openai-compatible:llama3.1@{openai_server.base_url}"
    model = load_chat_model(spec, _settings(tmp_path))
    assert model is not None
    with pytest.raises(Exception) as caught:
        model.invoke("hi")
    error = classify_provider_error(caught.value, spec)
    assert error.kind == "auth" and "OPENAI_BASE_URL" in str(error)


def test_a_429_that_merely_mentions_quota_is_still_a_rate_limit(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    busy = error_body("Token quota per minute exceeded", type_="requests", code="rate_limit_exceeded")
    openai_server.reply(*[Status(429, busy, {"Retry-After": "1"})] * 3)
    error = _failure(openai_server, tmp_path, Sleeps())
    assert len(openai_server.chat_requests()) == 3
    assert (error.kind, error.retryable) == ("rate_limit", True)


def test_compatible_servers_never_receive_the_openai_key(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Text("hi"))
    spec = f"openai-compatible:llama3.1@{openai_server.base_url}"
    model = load_chat_model(spec, _settings(tmp_path, openai_api_key="sk-secret"))
    assert model is not None
    model.invoke("hello")
    assert "sk-secret" not in openai_server.chat_requests()[0].headers.get("authorization", "")


def test_a_cut_stream_raises_a_transport_error(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(Cut("The first half of an answer"))
    model = _model(openai_server, tmp_path, Sleeps())
    seen: list[str] = []
    with pytest.raises(Exception) as caught:
        for chunk in model.stream("hi"):
            seen.append(chunk.text)
    assert "".join(seen).startswith("The first half")
    assert classify_provider_error(caught.value).kind in {"connection", "server"}
    assert len(openai_server.chat_requests()) == 1  # mid-stream failures are never replayed


def test_local_embeddings_are_the_bundled_model(tmp_path: Path) -> None:
    vector = load_embeddings("local", _settings(tmp_path)).embed_query("governance at scale")
    assert len(vector) == 384


def test_openai_embeddings_over_http(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    settings = _settings(tmp_path, openai_base_url=openai_server.base_url)
    embeddings = load_embeddings("openai:text-embedding-3-small", settings)
    vectors = embeddings.embed_documents(["a", "b"])
    assert len(vectors) == 2 and len(vectors[0]) == 3
    with pytest.raises(ConfigError, match="KEYSMITH_EMBEDDINGS"):
        load_embeddings("word2vec", settings)


def test_non_provider_errors_are_labelled_unknown() -> None:
    error = classify_provider_error(ValueError("bug"))
    assert error.kind == "unknown"
    assert "ValueError" in str(error)
