"""A scripted OpenAI-protocol HTTP server on 127.0.0.1, for tests that drive the real `openai` SDK.

Each POST to `/v1/chat/completions` (or `/chat/completions`, `/v1/embeddings`) takes the next reply from
the script; every request is recorded (`server.requests`) so a test can count attempts and read what the
client sent. Replies:

- `Text(text)` — an answer; streamed as SSE chunks (word by word) when the request asks for `stream`,
  otherwise one JSON completion;
- `ToolCalls([(name, args), ...])` — the assistant asks for tools (streamed as argument fragments);
  `repeat_name=True` / `repeat_id=True` repeat `function.name` / the call id in every chunk, as
  llama-cpp-python's server does;
- `Empty()` — HTTP 200 with an empty body: an SSE stream with no events, or an empty JSON body;
- `Status(code, body, headers)` — an error response (e.g. 429 with Retry-After, 401, 404, 500);
- `Stall(seconds)` — answers nothing for `seconds` (the client's timeout fires first);
- `Cut(text)` — streams `text`, then drops the connection mid-body (an incomplete chunked response).

A run past the end of the script gets a 500 whose message says so. Keysmith's tool-calling check (a request
offering the tool `keysmith_capability_check`) is answered from `probe_reply` (by default: the tool is
called) without using the script; it is listed by `probe_requests()`, not by `chat_requests()`.
`GET /api/tags` and `POST /api/show` answer like Ollama from `ollama_models` (name → capabilities, or None
to omit the field).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Text:
    text: str
    finish: str = "stop"  # "length": the server stopped at max_tokens


@dataclass(frozen=True)
class ToolCalls:
    calls: Sequence[tuple[str, dict[str, Any]]]
    text: str = ""
    repeat_name: bool = False
    repeat_id: bool = False


@dataclass(frozen=True)
class Empty:
    """HTTP 200 and nothing in it."""


@dataclass(frozen=True)
class Status:
    code: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stall:
    seconds: float


@dataclass(frozen=True)
class Cut:
    text: str


Reply = Text | ToolCalls | Status | Stall | Cut | Empty
PROBE_TOOL = "keysmith_capability_check"  # keysmith.agent.PROBE_TOOL


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


def error_body(
    message: str, *, type_: str = "invalid_request_error", code: str | None = None
) -> dict[str, Any]:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def _words(text: str) -> list[str]:
    return [piece for piece in re.split(r"(\s+)", text) if piece]


def _tool_call_chunks(reply: ToolCalls) -> Iterator[dict[str, Any]]:
    for index, (name, args) in enumerate(reply.calls):
        call_id = f"call_{index + 1}"
        head = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        yield _chunk({"tool_calls": [head]})
        encoded = json.dumps(args)
        for start in range(0, len(encoded), 7):  # argument JSON arrives in fragments, as from the real API
            fragment: dict[str, Any] = {"index": index, "function": {"arguments": encoded[start : start + 7]}}
            if reply.repeat_name:
                fragment["function"]["name"] = name
            if reply.repeat_id:
                fragment["id"] = call_id
            yield _chunk({"tool_calls": [fragment]})


def _completion(reply: Text | ToolCalls) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    finish = reply.finish if isinstance(reply, Text) else "stop"
    if isinstance(reply, ToolCalls):
        finish = "tool_calls"
        message["tool_calls"] = [
            {"id": f"call_{i + 1}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(reply.calls)
        ]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class ScriptedOpenAIServer:
    """Start with `start()` (or use the `openai_server` fixture); `base_url` ends in `/v1`."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[Recorded] = []
        self.ollama_models: dict[str, list[str] | None] = {}
        self.probe_reply: Reply = ToolCalls([(PROBE_TOOL, {"word": "ready"})])
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def reply(self, *replies: Reply) -> ScriptedOpenAIServer:
        """Append replies to the script."""
        with self._lock:
            self.script.extend(replies)
        return self

    def chat_requests(self) -> list[Recorded]:
        """The recorded chat-completion requests (the tool-calling checks left out)."""
        return [r for r in self._chats() if not _is_probe(r.body)]

    def probe_requests(self) -> list[Recorded]:
        """The recorded tool-calling checks."""
        return [r for r in self._chats() if _is_probe(r.body)]

    def _chats(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.split("?", 1)[0].endswith("/chat/completions")]

    def next_reply(self) -> Reply | None:
        with self._lock:
            return self.script.pop(0) if self.script else None

    def start(self) -> ScriptedOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _is_probe(body: dict[str, Any]) -> bool:
    tools = body.get("tools") or []
    return any(isinstance(t, dict) and (t.get("function") or {}).get("name") == PROBE_TOOL for t in tools)


def _handler_for(server: ScriptedOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `server.requests` instead."""

        def _record(self, body: dict[str, Any]) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.requests.append(Recorded(self.command, self.path, body, headers))

        def _json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _sse_start(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

        def _sse(self, payload: dict[str, Any] | str) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            data = f"data: {text}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _stream(self, reply: Text | ToolCalls | Cut) -> None:
            self._sse_start()
            self._sse(_chunk({"role": "assistant", "content": ""}))
            for word in _words(reply.text):
                self._sse(_chunk({"content": word}))
            if isinstance(reply, Cut):
                # Drop the connection without the final zero-length chunk: an incomplete body.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            finish = reply.finish if isinstance(reply, Text) else "stop"
            if isinstance(reply, ToolCalls):
                finish = "tool_calls"
                for chunk in _tool_call_chunks(reply):
                    self._sse(chunk)
            self._sse(_chunk({}, finish))
            self._sse("[DONE]")
            self.wfile.write(b"0\r\n\r\n")

        def do_GET(self) -> None:
            self._record({})
            if self.path == "/api/tags":
                models = [{"name": name, "model": name} for name in server.ollama_models]
                self._json(200, {"models": models})
            else:
                self._json(404, error_body(f"no route {self.path}"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            body = json.loads(raw or b"{}")
            self._record(body)
            route = self.path.split("?", 1)[0]  # Azure adds ?api-version=...
            if route == "/api/show":
                self._ollama_show(body)
            elif route.endswith("/embeddings"):
                self._embeddings(body)
            elif route.endswith("/chat/completions"):
                self._chat(body)
            else:
                self._json(404, error_body(f"no route {self.path}"))

        def _ollama_show(self, body: dict[str, Any]) -> None:
            name = str(body.get("model") or body.get("name"))
            if name not in server.ollama_models:
                self._json(404, {"error": f"model {name!r} not found"})
                return
            capabilities = server.ollama_models[name]
            self._json(
                200, {"details": {}} | ({} if capabilities is None else {"capabilities": capabilities})
            )

        def _embeddings(self, body: dict[str, Any]) -> None:
            inputs = body.get("input")
            count = len(inputs) if isinstance(inputs, list) else 1
            data = [
                {"object": "embedding", "index": i, "embedding": [0.1 * (i + 1), 0.2, 0.3]}
                for i in range(count)
            ]
            self._json(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": "scripted",
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                },
            )

        def _empty(self, stream: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _chat(self, body: dict[str, Any]) -> None:
            reply = server.probe_reply if _is_probe(body) else server.next_reply()
            if isinstance(reply, Empty):
                self._empty(bool(body.get("stream")))
            elif reply is None:
                self._json(500, error_body("scripted server: the script is exhausted", type_="server_error"))
            elif isinstance(reply, Status):
                self._json(reply.code, reply.body, reply.headers)
            elif isinstance(reply, Stall):
                server.closing.wait(reply.seconds)
                self.close_connection = True
            elif body.get("stream"):
                self._stream(reply)
            elif isinstance(reply, Cut):
                self._json(500, error_body("scripted server: Cut needs a streaming request"))
            else:
                self._json(200, _completion(reply))

    return Handler
