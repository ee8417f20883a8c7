"""Settings read once from the environment (and an optional `.env` file).

`Settings.from_env()` is the only place that reads environment variables; every other module receives a
`Settings` (or plain values) from its caller. The variable names are listed in `.env.example`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.parser import parse_stream

from keysmith.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]  # src/keysmith -> the repository root, when running from a checkout


def in_checkout() -> bool:
    """True when this code runs from a source checkout (editable install), not from an installed wheel."""
    return (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "knowledge").is_dir()


def resource_dir(name: str) -> Path:
    """`knowledge` or `prompts`: a checkout uses its own folder (edits take effect at once); an installed
    wheel uses the copy shipped inside the package (`keysmith/_data/<name>`, see pyproject.toml)."""
    return _CHECKOUT / name if in_checkout() else _PACKAGE / "_data" / name


def _default_data_dir(env: Mapping[str, str]) -> Path:
    """`<checkout>/data`, or for an installed wheel the user's data folder (`$XDG_DATA_HOME/keysmith`)."""
    if in_checkout():
        return _CHECKOUT / "data"
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "keysmith"


MAX_DOTENV_BYTES = 64 * 1024  # a .env holds a few settings; a larger file is a mistake (or /dev/zero)


def _read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file with python-dotenv's parser (no interpolation). Missing file: empty dict.

    Raises `ConfigError` naming the file and line of a malformed line, or the file and the size limit.
    """
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        data = handle.read(MAX_DOTENV_BYTES + 1)
    if len(data) > MAX_DOTENV_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_DOTENV_BYTES} bytes, the limit for a .env file")
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(data.decode("utf-8", errors="replace"))):
        line = binding.original
        if binding.error or (binding.key is not None and binding.value is None):
            raise ConfigError(f"{path}:{line.line}: expected KEY=VALUE, got {line.string.rstrip()!r}")
        if binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    return values


def parse_embeddings_spec(spec: str) -> tuple[str, str]:
    """KEYSMITH_EMBEDDINGS: `local` (or empty) -> ("local", ""); `openai:<model>` -> ("openai", model).

    The one parser of that variable; anything else raises `ConfigError` naming it and the value.
    """
    text = spec.strip() or "local"
    if text == "local":
        return "local", ""
    provider, _, model = text.partition(":")
    if provider == "openai" and model.strip():
        return "openai", model.strip()
    raise ConfigError(f"KEYSMITH_EMBEDDINGS: expected 'local' or 'openai:<model>', got {spec!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name}: expected a positive number, got {value!r}")
    return value


TOOL_CALL_MODES = ("auto", "on", "off")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first is the default when unset); anything else names the variable."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return choices[0]
    if raw not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    """Keysmith's configuration. Secrets are excluded from `repr` so they never reach a log."""

    knowledge_dir: Path
    data_dir: Path
    model: str = ""  # KEYSMITH_MODEL; "" = choose automatically (see models.resolve_model_spec)
    embeddings: str = "local"  # KEYSMITH_EMBEDDINGS: "local" (bundled MiniLM) or "openai:<model>"
    openai_api_key: str = field(default="", repr=False)
    openai_base_url: str = ""
    azure_endpoint: str = ""
    azure_api_key: str = field(default="", repr=False)
    azure_api_version: str = ""
    ollama_url: str = "http://localhost:11434"
    chroma_host: str = ""
    chroma_port: int = 8000
    database_url: str = field(default="", repr=False)
    request_timeout: float = 45.0
    max_retries: int = 2
    max_tokens: int = 800  # KEYSMITH_MAX_TOKENS: the longest answer a model may write, per request
    turn_budget: float = 90.0  # KEYSMITH_TURN_BUDGET: wall-clock seconds for one turn with a model
    tool_calls: str = "auto"  # KEYSMITH_TOOL_CALLS: auto (check the server once) | on | off
    max_question_chars: int = 4000
    max_upload_bytes: int = 10 * 1024 * 1024
    requests_per_minute: int = 20

    @property
    def index_dir(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.data_dir / "index"

    @property
    def framework_dir(self) -> Path:
        """Where the framework YAML files live."""
        return self.knowledge_dir / "framework"

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or SQLite under the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'keysmith.db'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        """Build settings from `env` (default: `os.environ`) over the values in `.env` (default: ./.env).

        Real environment variables win over `.env`. Raises `ConfigError` naming the variable on bad values.
        """
        source = dict(os.environ) if env is None else dict(env)
        merged = {**_read_dotenv(dotenv if dotenv is not None else Path.cwd() / ".env"), **source}
        return cls(
            knowledge_dir=Path(merged.get("KEYSMITH_KNOWLEDGE_DIR") or resource_dir("knowledge")),
            data_dir=Path(merged.get("KEYSMITH_DATA_DIR") or _default_data_dir(merged)),
            model=merged.get("KEYSMITH_MODEL", "").strip(),
            embeddings=merged.get("KEYSMITH_EMBEDDINGS", "").strip() or "local",
            openai_api_key=merged.get("OPENAI_API_KEY", "").strip(),
            openai_base_url=merged.get("OPENAI_BASE_URL", "").strip(),
            azure_endpoint=merged.get("AZURE_OPENAI_ENDPOINT", "").strip(),
            azure_api_key=merged.get("AZURE_OPENAI_API_KEY", "").strip(),
            azure_api_version=merged.get("OPENAI_API_VERSION", "").strip(),
            ollama_url=merged.get("OLLAMA_URL", "").strip() or "http://localhost:11434",
            chroma_host=merged.get("CHROMA_HOST", "").strip(),
            chroma_port=_int(merged, "CHROMA_PORT", 8000),
            database_url=merged.get("DATABASE_URL", "").strip(),
            request_timeout=_float(merged, "KEYSMITH_TIMEOUT", 45.0),
            max_retries=_int(merged, "KEYSMITH_MAX_RETRIES", 2, minimum=0),
            max_tokens=_int(merged, "KEYSMITH_MAX_TOKENS", 800, minimum=16),
            turn_budget=_float(merged, "KEYSMITH_TURN_BUDGET", 90.0),
            tool_calls=_choice(merged, "KEYSMITH_TOOL_CALLS", TOOL_CALL_MODES),
            max_question_chars=_int(merged, "KEYSMITH_MAX_QUESTION_CHARS", 4000),
            max_upload_bytes=_int(merged, "KEYSMITH_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
            requests_per_minute=_int(merged, "KEYSMITH_REQUESTS_PER_MINUTE", 20),
        )
