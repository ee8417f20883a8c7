"""Settings: environment over .env, errors that name the variable, secrets never in repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from keysmith.config import Settings
from keysmith.errors import ConfigError


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nexport KEYSMITH_MODEL='openai:gpt-4o-mini'\n"
        "KEYSMITH_DATA_DIR=/from/dotenv\nCHROMA_PORT=9000\n",
        encoding="utf-8",
    )
    settings = Settings.from_env({"KEYSMITH_DATA_DIR": str(tmp_path / "d")}, dotenv=dotenv)
    assert settings.model == "openai:gpt-4o-mini"
    assert settings.data_dir == tmp_path / "d"
    assert settings.chroma_port == 9000
    assert settings.index_dir == tmp_path / "d" / "index"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'd' / 'keysmith.db'}"


def test_defaults_without_any_setting(tmp_path: Path) -> None:
    settings = Settings.from_env({}, dotenv=tmp_path / "missing.env")
    assert settings.model == ""
    assert settings.embeddings == "local"
    assert settings.knowledge_dir.name == "knowledge"
    assert settings.framework_dir == settings.knowledge_dir / "framework"
    assert 10 <= settings.request_timeout <= 60


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CHROMA_PORT", "eighty", "CHROMA_PORT: expected an integer, got 'eighty'"),
        ("KEYSMITH_MAX_QUESTION_CHARS", "0", "KEYSMITH_MAX_QUESTION_CHARS: expected an integer >= 1, got 0"),
        ("KEYSMITH_TIMEOUT", "-3", "KEYSMITH_TIMEOUT: expected a positive number, got -3.0"),
        ("KEYSMITH_TIMEOUT", "soon", "KEYSMITH_TIMEOUT: expected a number, got 'soon'"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value}, dotenv=tmp_path / "none")
    assert str(caught.value) == message


def test_malformed_dotenv_line_names_file_and_line(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("OK=1\nthis line has no equals sign\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.env:2: expected KEY=VALUE"):
        Settings.from_env({}, dotenv=dotenv)


def test_secrets_never_appear_in_repr(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "OPENAI_API_KEY": "sk-test-canary-123",
            "AZURE_OPENAI_API_KEY": "az-canary-456",
            "DATABASE_URL": "postgresql+psycopg://u:pw-canary-789@h/db",
        },
        dotenv=tmp_path / "none",
    )
    text = repr(settings)
    assert "canary" not in text
    assert settings.openai_api_key == "sk-test-canary-123"
