"""Language-model providers: the only module that imports `openai` and `langchain_openai`.

`KEYSMITH_MODEL` holds a spec string:
- `openai:<model>` — OpenAI (OPENAI_API_KEY; OPENAI_BASE_URL if set);
- `azure:<deployment>` — Azure OpenAI (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION);
- `openai-compatible:<model>@<base_url>` — Ollama, vLLM, LM Studio, llama.cpp server (no key is sent: the
  OpenAI key is never handed to a third-party URL; for a server that needs a key use `openai:<model>` with
  OPENAI_BASE_URL and OPENAI_API_KEY);
- `offline` — no language model: the composer answers.

`resolve_model_spec` picks one when the variable is unset and says why, `load_chat_model` builds the client
(streaming, `max_tokens` of `Settings.max_tokens`, timeout of `Settings.request_timeout` seconds, the single
retry layer of `models.http`, the server quirks of `models.chat`), and `classify_provider_error` turns any
provider failure into a `ProviderError` whose message names what to fix.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from keysmith.config import Settings, parse_embeddings_spec
from keysmith.errors import ConfigError, ProviderError
from keysmith.errors import StreamCutError as StreamCutError  # re-exported: callers catch it from here
from keysmith.models.http import make_http_client, probe_ollama

# The SDKs (openai, langchain_openai, LangChain's model classes: ~1.5 s of imports) are imported inside the
# functions that need them, so an offline process (`keysmith ask`, the app without a model), which only
# calls `resolve_model_spec`, never loads them.
if TYPE_CHECKING:
    import openai
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

OFFLINE = "offline"
_NO_KEY = "not-needed"  # the openai SDK insists on some key; local servers ignore it


@dataclass(frozen=True)
class ModelChoice:
    """The model spec in use and a sentence saying why (shown in the UI and the CLI)."""

    spec: str
    reason: str


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: `provider` is openai | azure | openai-compatible | offline."""

    provider: str
    model: str = ""
    base_url: str = ""


def parse_spec(spec: str) -> ModelSpec:
    """Parse a `KEYSMITH_MODEL` value; raises `ConfigError` naming the variable and the value."""
    value = spec.strip()
    if value == OFFLINE:
        return ModelSpec(OFFLINE)
    provider, sep, rest = value.partition(":")
    rest = rest.strip()
    if sep and provider in ("openai", "azure") and rest:
        return ModelSpec(provider, rest)
    if sep and provider == "openai-compatible":
        model, at, base_url = rest.partition("@")
        if at and model.strip() and base_url.strip().startswith(("http://", "https://")):
            return ModelSpec(provider, model.strip(), base_url.strip().rstrip("/"))
    raise ConfigError(
        f"KEYSMITH_MODEL: expected offline, openai:<model>, azure:<deployment> or "
        f"openai-compatible:<model>@<http(s)://base_url>, got {spec!r}"
    )


def resolve_model_spec(settings: Settings, probe: Callable[[str], str | None] = probe_ollama) -> ModelChoice:
    """Choose the model: KEYSMITH_MODEL if set; else OpenAI if OPENAI_API_KEY is set; else a tool-capable
    model on an Ollama server answering at `settings.ollama_url` (found by `probe`); else offline.

    An explicit spec is validated here, so a typo fails at start-up with a `ConfigError`.
    """
    if settings.model:
        parse_spec(settings.model)
        return ModelChoice(settings.model, "KEYSMITH_MODEL is set.")
    if settings.openai_api_key:
        return ModelChoice("openai:gpt-4o-mini", "OPENAI_API_KEY is set, so OpenAI's gpt-4o-mini is used.")
    found = probe(settings.ollama_url)
    if found:
        spec = f"openai-compatible:{found}@{settings.ollama_url.rstrip('/')}/v1"
        return ModelChoice(
            spec, f"An Ollama server at {settings.ollama_url} offers {found}, which can call tools."
        )
    return ModelChoice(
        OFFLINE,
        "No language model is configured (no KEYSMITH_MODEL, no OPENAI_API_KEY, no Ollama server with a "
        "tool-capable model), so answers are assembled offline from the framework.",
    )


def _require(value: str, name: str, spec: str) -> str:
    if not value:
        raise ConfigError(f"{name} is not set, but KEYSMITH_MODEL={spec!r} needs it")
    return value


def load_chat_model(
    spec: str, settings: Settings, *, sleep: Callable[[float], None] = time.sleep
) -> BaseChatModel | None:
    """Build the chat model for `spec` (None for offline). Streaming is on, every request carries
    `max_tokens=settings.max_tokens`, each attempt times out after `settings.request_timeout` seconds, and
    retries happen only in `models.http.RetryTransport`. The clients handle real servers' quirks
    (`models.chat`).

    `sleep` is how the retry layer waits (tests pass a recorder). Raises `ConfigError` for a bad spec or a
    missing variable the provider needs.
    """
    parsed = parse_spec(spec)
    if parsed.provider == OFFLINE:
        return None
    common = _client_options(settings, sleep)
    if parsed.provider == "azure":
        return _azure_chat_model(parsed, spec, settings, common)
    return _openai_chat_model(parsed, spec, settings, common)


def _client_options(settings: Settings, sleep: Callable[[float], None]) -> dict[str, Any]:
    """The options every chat client gets: streaming, the token cap, the timeout and the one retry layer."""
    return {
        "streaming": True,
        "max_tokens": settings.max_tokens,
        "timeout": settings.request_timeout,
        "max_retries": 0,  # the SDK would retry insufficient_quota; our transport is the one retry layer
        "http_client": make_http_client(settings.request_timeout, settings.max_retries, sleep),
    }


def _azure_chat_model(
    parsed: ModelSpec, spec: str, settings: Settings, common: dict[str, Any]
) -> BaseChatModel:
    """Azure OpenAI: the deployment `parsed.model`; endpoint, key and API version must be set."""
    from pydantic import SecretStr

    from keysmith.models.chat import KeysmithAzureChatOpenAI

    return KeysmithAzureChatOpenAI(
        azure_deployment=parsed.model,
        azure_endpoint=_require(settings.azure_endpoint, "AZURE_OPENAI_ENDPOINT", spec),
        api_key=SecretStr(_require(settings.azure_api_key, "AZURE_OPENAI_API_KEY", spec)),
        api_version=_require(settings.azure_api_version, "OPENAI_API_VERSION", spec),
        **common,
    )


def _openai_chat_model(
    parsed: ModelSpec, spec: str, settings: Settings, common: dict[str, Any]
) -> BaseChatModel:
    """OpenAI (its key required; OPENAI_BASE_URL if set), or an OpenAI-compatible server, sent no key."""
    from pydantic import SecretStr

    from keysmith.models.chat import KeysmithChatOpenAI

    if parsed.provider == "openai":
        key = _require(settings.openai_api_key, "OPENAI_API_KEY", spec)
        base_url = settings.openai_base_url or None
    else:
        key, base_url = _NO_KEY, parsed.base_url
    return KeysmithChatOpenAI(
        model=parsed.model,
        api_key=SecretStr(key),
        base_url=base_url,
        # OpenAI-compatible servers know the older max_tokens field; OpenAI takes max_completion_tokens.
        legacy_max_tokens=parsed.provider == "openai-compatible",
        **common,
    )


def load_embeddings(spec: str, settings: Settings) -> Embeddings:
    """`local` → the bundled MiniLM as LangChain `Embeddings` (from `keysmith.retrieval.functions`);
    `openai:<model>` → OpenAI embeddings through the one retry layer. Raises `ConfigError` naming
    KEYSMITH_EMBEDDINGS (parsed by `config.parse_embeddings_spec`).
    """
    provider, model = parse_embeddings_spec(spec)
    if provider == "local":
        # Imported lazily: the ONNX runtime is only loaded by processes that embed locally.
        module = importlib.import_module("keysmith.retrieval.functions")
        local: Embeddings = module.ChromaLangChainEmbeddings(module.LocalMiniLMEmbeddingFunction())
        return local
    from langchain_openai import OpenAIEmbeddings
    from pydantic import SecretStr

    return OpenAIEmbeddings(
        model=model,
        api_key=SecretStr(_require(settings.openai_api_key, "OPENAI_API_KEY", spec.strip())),
        base_url=settings.openai_base_url or None,
        timeout=settings.request_timeout,
        max_retries=0,
        http_client=make_http_client(settings.request_timeout, settings.max_retries),
        # Splitting by token count needs tiktoken's vocabulary, a download at run time; chunks are short.
        check_embedding_ctx_length=False,
    )


def provider_failure(exc: BaseException, spec: str = "") -> ProviderError | None:
    """`exc` as a classified `ProviderError` when it is a provider or network failure, else None (a bug or a
    tool error, which must propagate). The agent receives this function; it never imports this package.
    """
    return classify_provider_error(exc, spec) if is_provider_error(exc) else None


def is_provider_error(exc: BaseException) -> bool:
    """True for failures of the provider or the network (as opposed to bugs or tool errors)."""
    import openai

    return isinstance(
        exc, openai.OpenAIError | httpx.HTTPError | ProviderError | ConnectionError | TimeoutError
    )


def _key_variable(spec: str) -> str:
    return "AZURE_OPENAI_API_KEY" if spec.startswith("azure:") else "OPENAI_API_KEY"


def _error_codes(body: object) -> set[str]:
    """`code` and `type` of an OpenAI error body (the SDK keeps either the whole body or its `error`)."""
    inner = body.get("error", body) if isinstance(body, dict) else None
    return {str(inner.get("code")), str(inner.get("type"))} if isinstance(inner, dict) else set()


def _status_error(exc: openai.APIStatusError, spec: str) -> ProviderError:
    status = exc.status_code
    detail = str(getattr(exc, "message", "") or exc)[:200]
    if status == 401 and spec.startswith("openai-compatible:"):
        return ProviderError(
            "The server named in KEYSMITH_MODEL rejected the request (401): it needs an API key, and "
            "openai-compatible specs send none. Use KEYSMITH_MODEL=openai:<model> with OPENAI_BASE_URL and "
            f"OPENAI_API_KEY instead. ({detail})",
            kind="auth",
        )
    if status == 401:
        return ProviderError(
            f"{_key_variable(spec)} was rejected by the provider (401): check the key is current and belongs "
            f"to this provider. ({detail})",
            kind="auth",
        )
    if status == 403:
        return ProviderError(
            f"{_key_variable(spec)} is not allowed to use this model (403): check the key's project and "
            f"permissions. ({detail})",
            kind="auth",
        )
    if status == 404:
        return ProviderError(
            f"KEYSMITH_MODEL names a model the server does not have (404, KEYSMITH_MODEL={spec!r}): "
            f"check the model or deployment name and the base URL. ({detail})",
            kind="not_found",
        )
    if status == 429:
        if _error_codes(exc.body) & {"insufficient_quota", "billing_hard_limit_reached"}:
            return ProviderError(
                "The provider account has no quota left (insufficient_quota): add credit, or point "
                f"{_key_variable(spec)} or KEYSMITH_MODEL at another account or model.",
                kind="quota",
            )
        return ProviderError(
            "The provider is rate-limiting requests (429); try again shortly.",
            retryable=True,
            kind="rate_limit",
        )
    if status >= 500 or status == 408:
        return ProviderError(
            f"The provider had a server error ({status}); try again shortly.", retryable=True, kind="server"
        )
    return ProviderError(f"The provider refused the request ({status}): {detail}", kind="bad_request")


# How servers say the prompt did not fit: OpenAI, vLLM, llama.cpp, llama-cpp-python, LM Studio, Ollama.
_CONTEXT_PHRASES = (
    "context_length_exceeded",
    "maximum context length",
    "context length",
    "context window",
    "context size",
    "exceed context",
    "exceeds the context",
    "n_ctx",
    "prompt is too long",
    "too many tokens",
    "input tokens exceed",
)


def _context_overflow(exc: BaseException) -> str | None:
    """The server's words when `exc` says the prompt did not fit the model's context window, else None."""
    import openai
    from langchain_core.exceptions import ContextOverflowError

    if isinstance(exc, openai.APIStatusError):
        text = f"{getattr(exc, 'message', '')} {exc.body}"
    elif isinstance(exc, openai.APIError | ContextOverflowError):
        text = str(exc)
    else:
        return None
    if isinstance(exc, ContextOverflowError) or any(p in text.lower() for p in _CONTEXT_PHRASES):
        return " ".join(str(getattr(exc, "message", "") or exc).split())[:200]
    return None


def context_window_error(detail: str) -> ProviderError:
    """The plain message for a context window too small for Keysmith's prompt."""
    return ProviderError(
        "The model's context window is too small for Keysmith: the system prompt, tool descriptions, "
        "passages and answer do not fit. Serve the model with a context of at least 8192 tokens (llama.cpp "
        "--ctx-size, llama-cpp-python --n_ctx, Ollama num_ctx) or choose a model with a larger window in "
        f"KEYSMITH_MODEL; lowering KEYSMITH_MAX_TOKENS also frees some room. ({detail})",
        kind="context_window",
    )


def classify_provider_error(exc: BaseException, spec: str = "") -> ProviderError:
    """Map any provider failure to a `ProviderError` with `kind` in {auth, not_found, quota, rate_limit,
    timeout, connection, server, bad_request, context_window, empty_answer, stream_cut, unknown} and a plain
    one-paragraph message.

    `spec` (the KEYSMITH_MODEL value) lets the message name the right variable to fix.
    """
    import openai

    if isinstance(exc, ProviderError):
        return exc
    overflow = _context_overflow(exc)
    if overflow is not None:
        return context_window_error(overflow)
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, spec)
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return ProviderError(
            "The language model did not answer in time (timeout).", retryable=True, kind="timeout"
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return ProviderError(
            "The language model server could not be reached (connection failed); check the base URL in "
            "KEYSMITH_MODEL or OPENAI_BASE_URL, or try again.",
            retryable=True,
            kind="connection",
        )
    if isinstance(exc, openai.APIError):
        return ProviderError(f"The language model returned an error: {exc}", retryable=True, kind="server")
    return ProviderError(f"The language model call failed: {type(exc).__name__}: {exc}", kind="unknown")
