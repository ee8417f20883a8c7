"""Providers: spec parsing, automatic choice, and the real openai SDK over real HTTP to a scripted server.

Retry classification is proven by counting the requests the server received and the waits the retry layer
asked for (a recording `sleep`, so no test actually waits for a Retry-After).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langchain_openai import AzureChatOpenAI
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
    assert isinstance(model, AzureChatOpenAI)
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


# --- bounds and real servers' quirks (issue 15) -----------------------------------------------------------


def _compatible(server: ScriptedOpenAIServer, tmp_path: Path, **overrides: object) -> BaseChatModel:
    settings = _settings(tmp_path, max_retries=0, **overrides)
    model = load_chat_model(f"openai-compatible:local-model@{server.base_url}", settings)
    assert model is not None
    return model


def _merged(chunks: object) -> AIMessageChunk:
    message: AIMessageChunk | None = None
    for chunk in chunks:  # type: ignore[attr-defined]
        assert isinstance(chunk, AIMessageChunk)
        message = chunk if message is None else message + chunk
    assert message is not None
    return message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEYSMITH_MAX_TOKENS": "lots"}, "KEYSMITH_MAX_TOKENS: expected an integer, got 'lots'"),
        ({"KEYSMITH_MAX_TOKENS": "4"}, "KEYSMITH_MAX_TOKENS: expected an integer >= 16, got 4"),
        ({"KEYSMITH_TURN_BUDGET": "0"}, "KEYSMITH_TURN_BUDGET: expected a positive number, got 0.0"),
        ({"KEYSMITH_TURN_BUDGET": "soon"}, "KEYSMITH_TURN_BUDGET: expected a number, got 'soon'"),
        ({"KEYSMITH_TOOL_CALLS": "maybe"}, "KEYSMITH_TOOL_CALLS: expected one of auto, on, off, got 'maybe'"),
    ],
)
def test_bad_bounds_are_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env, dotenv=tmp_path / "none.env")
    assert str(caught.value) == message


def test_bounds_have_defaults_and_are_read(tmp_path: Path) -> None:
    defaults = Settings.from_env({}, dotenv=tmp_path / "none.env")
    assert (defaults.max_tokens, defaults.turn_budget, defaults.tool_calls) == (800, 90.0, "auto")
    env = {"KEYSMITH_MAX_TOKENS": "300", "KEYSMITH_TURN_BUDGET": "12.5", "KEYSMITH_TOOL_CALLS": "OFF"}
    read = Settings.from_env(env, dotenv=tmp_path / "none.env")
    assert (read.max_tokens, read.turn_budget, read.tool_calls) == (300, 12.5, "off")


def test_every_request_carries_max_tokens(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(Text("one"), Text("two"))
    _model(openai_server, tmp_path, Sleeps(), max_tokens=321).invoke("hello")
    _compatible(openai_server, tmp_path, max_tokens=123).invoke("hello")
    openai_request, compatible_request = (r.body for r in openai_server.chat_requests())
    # OpenAI's current field for OpenAI, the field every compatible server knows for the others.
    assert openai_request["max_completion_tokens"] == 321 and "max_tokens" not in openai_request
    assert compatible_request["max_tokens"] == 123 and "max_completion_tokens" not in compatible_request


@pytest.mark.parametrize(("repeat_name", "repeat_id"), [(True, False), (True, True), (False, True)])
def test_tool_call_deltas_that_repeat_the_name_or_id_merge_to_the_right_call(
    tmp_path: Path, openai_server: ScriptedOpenAIServer, repeat_name: bool, repeat_id: bool
) -> None:
    calls = [("search_framework", {"query": "governance at scale"}), ("read_story", {"text": "we stalled"})]
    openai_server.reply(ToolCalls(calls, repeat_name=repeat_name, repeat_id=repeat_id))
    message = _merged(_compatible(openai_server, tmp_path).stream("why?"))
    assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == [
        ("search_framework", {"query": "governance at scale"}, "call_1"),
        ("read_story", {"text": "we stalled"}, "call_2"),
    ]
    assert not message.invalid_tool_calls


def test_a_tool_name_streamed_in_fragments_is_still_joined() -> None:
    from langchain_core.outputs import ChatGenerationChunk

    from keysmith.models.chat import ToolDeltaMerger

    merger = ToolDeltaMerger()
    pieces = [("search_", "call_1", '{"query"'), ("framework", None, ': "x"}')]
    chunks = [
        merger.fix(
            ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[{"name": n, "id": i, "args": a, "index": 0, "type": "tool_call_chunk"}],
                )
            )
        ).message
        for n, i, a in pieces
    ]
    merged = _merged(chunks)
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("search_framework", {"query": "x"})]


@pytest.mark.parametrize("streamed", [True, False])
def test_an_empty_200_is_a_provider_failure_not_a_traceback(
    tmp_path: Path, openai_server: ScriptedOpenAIServer, streamed: bool
) -> None:
    from openai_server import Empty

    openai_server.reply(Empty())
    model = _compatible(openai_server, tmp_path)
    with pytest.raises(Exception) as caught:
        if streamed:
            list(model.stream("hello"))
        else:
            model.invoke("hello", stream=False)
    error = classify_provider_error(caught.value)
    assert error.kind == "empty_answer", caught.value
    assert "empty" in str(error) and "context" in str(error)


def test_a_server_rejecting_streamed_tools_gets_an_unstreamed_tool_round(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    from langchain_core.tools import tool

    @tool
    def search_framework(query: str) -> str:
        """Search."""
        return query

    refusal = Status(400, error_body("Streaming is not supported when tools are given"))
    openai_server.reply(
        refusal,
        ToolCalls([("search_framework", {"query": "governance"})]),
        ToolCalls([("search_framework", {"query": "economics"})]),
    )
    bound = _compatible(openai_server, tmp_path).bind_tools([search_framework], tool_choice="auto")
    first = bound.invoke("why?")
    second = bound.invoke("and?")  # the client remembers: no streamed attempt this time
    assert [c["args"] for c in (*first.tool_calls, *second.tool_calls)] == [
        {"query": "governance"},
        {"query": "economics"},
    ]
    sent = [r.body for r in openai_server.chat_requests()]
    assert [body.get("stream") for body in sent] == [True, False, False]
    assert all(body["tool_choice"] == "auto" for body in sent)


def test_an_empty_stream_with_tools_is_tried_once_unstreamed(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    from langchain_core.tools import tool
    from openai_server import Empty

    @tool
    def search_framework(query: str) -> str:
        """Search."""
        return query

    openai_server.reply(Empty(), Text("Governance is the gap."))
    bound = _compatible(openai_server, tmp_path).bind_tools([search_framework], tool_choice="auto")
    assert bound.invoke("why?").text == "Governance is the gap."
    assert [r.body.get("stream") for r in openai_server.chat_requests()] == [True, False]


@pytest.mark.parametrize(
    "reply",
    [
        Status(
            400,
            error_body(
                "This model's maximum context length is 512 tokens. However, you requested 2100 tokens.",
                code="context_length_exceeded",
            ),
        ),
        Status(400, error_body("Requested tokens (2100) exceed context window of 512")),
        Status(500, error_body("the request exceeds the available context size, try increasing it")),
    ],
)
def test_a_context_window_error_says_so_plainly(
    tmp_path: Path, openai_server: ScriptedOpenAIServer, reply: Status
) -> None:
    openai_server.reply(reply)
    error = _failure(openai_server, tmp_path, Sleeps(), max_retries=0)
    assert error.kind == "context_window"
    assert str(error).startswith("The model's context window is too small for Keysmith")
    assert "KEYSMITH_MODEL" in str(error) and "--ctx-size" in str(error)
