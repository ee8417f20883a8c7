"""HTTP plumbing under the model clients: the one retry layer and the Ollama probe.

The openai SDK's own retries are switched off (`max_retries=0`) because they also retry 429
`insufficient_quota`, which never succeeds on retry. Instead every model request goes through
`RetryTransport`, which decides from the response status and body before any byte reaches the caller,
so a streamed answer is never replayed twice:

- retried: connection failures (refused, reset, DNS, connect timeout), 408, 429 rate limits, 5xx;
- never retried: 400, 401, 403, 404, 422, 429 with `insufficient_quota`, and read timeouts (a server that
  did not answer within the timeout is unlikely to answer the same request faster; retrying would multiply
  the user's wait, and the assistant falls back to the offline composer instead).

Retry-After (`retry-after-ms`, seconds, or an HTTP date) is honoured up to `max_delay` seconds.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

# Raised before any response byte arrived: nothing was delivered, so a retry cannot duplicate output.
_RETRY_EXCEPTIONS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
# Ollama model families known to handle tool calls, for servers too old to report "capabilities".
TOOL_FAMILIES = (
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "qwen2.5",
    "qwen3",
    "mistral-nemo",
    "mistral-small",
    "mistral",
    "command-r",
    "granite3",
    "hermes3",
    "gpt-oss",
    "firefunction",
)


def is_quota_error(body: bytes) -> bool:
    """True when a 429 body says the account is out of quota (retrying cannot help)."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return b"insufficient_quota" in body
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return False
    return bool({str(error.get("code")), str(error.get("type"))} & _QUOTA_CODES)


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """The delay a server asked for, from `retry-after-ms` or `retry-after` (seconds or HTTP date)."""
    if "retry-after-ms" in headers:
        try:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class RetryTransport(httpx.BaseTransport):
    """An httpx transport that retries only the failures a retry can fix (see the module docstring)."""

    def __init__(
        self,
        max_retries: int,
        *,
        inner: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_delay: float = 20.0,
        base_delay: float = 0.5,
    ) -> None:
        self.max_retries = max_retries
        self.inner = inner or httpx.HTTPTransport()
        self.sleep = sleep
        self.max_delay = max_delay
        self.base_delay = base_delay
        self.attempts = 0  # requests sent, for diagnostics and tests

    def _backoff(self, attempt: int, asked: float | None) -> float:
        if asked is not None:
            return min(asked, self.max_delay)
        jitter = random.uniform(0, self.base_delay)  # noqa: S311 - spreading retries, not security
        return min(self.base_delay * 2.0**attempt + jitter, self.max_delay)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            self.attempts += 1
            try:
                response = self.inner.handle_request(request)
            except _RETRY_EXCEPTIONS:
                if attempt >= self.max_retries:
                    raise
                self.sleep(self._backoff(attempt, None))
                attempt += 1
                continue
            if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                return response
            body = response.read()
            response.close()
            if response.status_code == 429 and is_quota_error(body):
                return httpx.Response(
                    response.status_code, headers=response.headers, content=body, request=request
                )
            self.sleep(self._backoff(attempt, retry_after_seconds(response.headers)))
            attempt += 1

    def close(self) -> None:
        self.inner.close()


def make_http_client(
    timeout: float, max_retries: int, sleep: Callable[[float], None] = time.sleep
) -> httpx.Client:
    """An httpx client for the openai SDK: our retry layer, and `timeout` seconds per attempt."""
    return httpx.Client(
        transport=RetryTransport(max_retries, sleep=sleep),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
    )


def _supports_tools(client: httpx.Client, base: str, name: str) -> bool:
    try:
        shown = client.post(f"{base}/api/show", json={"model": name})
        capabilities: Any = shown.json().get("capabilities") if shown.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        capabilities = None
    if isinstance(capabilities, list):
        return "tools" in capabilities
    family = name.split(":", 1)[0].split("/")[-1].lower()
    return any(family == known or family.startswith(known + "-") for known in TOOL_FAMILIES)


def probe_ollama(url: str, timeout: float = 0.5) -> str | None:
    """The first model on the Ollama server at `url` that supports tool calls, or None.

    None when nothing answers within `timeout` seconds, the reply is not Ollama's, or no model fits.
    """
    base = url.rstrip("/")
    try:
        with httpx.Client(timeout=timeout) as client:
            reply = client.get(f"{base}/api/tags")
            if reply.status_code != 200:
                return None
            models = reply.json().get("models", [])
            names = [str(m.get("name") or m.get("model")) for m in models if isinstance(m, dict)]
            return next((name for name in names if _supports_tools(client, base, name)), None)
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
