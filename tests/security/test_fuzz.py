"""Bad input, fuzzed with hypothesis: the CLI, the assessment answer parser and the store never break.

- `keysmith.cli.main` with arbitrary arguments and arbitrary answer files: exit code 0, 1 or 2, never a
  traceback (commands that start servers or touch the real data dir are left out);
- `parse_answer` with any text: never raises, and always says whether it understood;
- the store with hostile text (huge, empty, control characters, right-to-left marks, lone surrogates, and JSON
  shaped like LangChain's serialised secrets): what comes back is plain text/data, never an object or a secret
  pulled from the environment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keysmith.assessment.parsing import parse_answer
from keysmith.assistant import Assistant
from keysmith.cli import main
from keysmith.config import Settings
from keysmith.errors import InputLimitError
from keysmith.framework import Framework
from keysmith.limits import check_question
from keysmith.retrieval import Retriever
from keysmith.store import Store

SECRET_JSON = {"lc": 1, "type": "secret", "id": ["OPENAI_API_KEY"]}
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\x1b[31m",
        "\u200f\u202e",
        "\ud800",
        "\udfff",
        "\ufeff",
        json.dumps(SECRET_JSON),
        '{"lc": 1, "type": "constructor", "id": ["os", "system"], "kwargs": {}}',
        "x" * 100_000,
        "'; DROP TABLE messages; --",
    ]
)
HOSTILE_TEXT = st.one_of(NASTY, st.text(max_size=300), st.lists(NASTY, max_size=4).map("".join))
# Text the store keeps byte for byte (it strips NUL and replaces lone surrogates: tested above).
_PLAIN = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=9)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- the CLI ------------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    ["score", "framework", "--json", "--what-if", "governance=4", "governance=9", "x=", "=", "-h", "--", "-"]
)
_ARGS = st.lists(st.one_of(_WORDS, st.text(max_size=20).filter(lambda s: s not in _UNSAFE)), max_size=5)
# Commands that start a server, prompt on stdin, or read/write the real data directory.
_UNSAFE = {"app", "ask", "assess", "index", "search", "eval", "report"}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits for --help and usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(autouse=True)
def _no_real_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Keep any command that does read settings away from the real data dir and the developer's .env (the
    # developer's settings are already out of the environment: conftest's `_isolated_environment`).
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEYSMITH_DATA_DIR", str(tmp_path / "data"))
    yield


@FUZZ
@given(argv=_ARGS)
def test_cli_arguments_exit_cleanly(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    if argv and argv[0] in _UNSAFE:
        return
    code, output = _run(argv, capsys)
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in output


_ANSWER_VALUES = st.one_of(
    st.integers(-3, 9), st.none(), st.floats(allow_nan=True), st.text(max_size=10), st.booleans(), st.just([])
)
_DOCUMENTS = st.one_of(
    st.dictionaries(
        st.just("answers"), st.dictionaries(st.text(max_size=15), _ANSWER_VALUES, max_size=6)
    ).map(json.dumps),
    st.just(json.dumps(SECRET_JSON)),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    HOSTILE_TEXT,
)


@FUZZ
@given(document=_DOCUMENTS, json_flag=st.booleans())
def test_cli_score_with_any_file_exits_cleanly(
    document: str, json_flag: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(document, encoding="utf-8", errors="surrogatepass")
    code, output = _run(["score", str(path), *(["--json"] if json_flag else [])], capsys)
    assert code in (0, 1, 2), (document[:200], code)
    assert "Traceback" not in output


def test_cli_score_fuzz_can_fail() -> None:
    # Positive control for the harness: a valid file scores (0) and a broken one is refused (2).
    examples = Path(__file__).resolve().parents[2] / "examples" / "stalled_rollout.json"
    assert main(["score", str(examples)]) == 0
    assert main(["score", "/nonexistent/answers.json"]) == 2


# --- the assessment answer parser -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(HOSTILE_TEXT, st.integers(), st.none(), st.floats()))
def test_answer_parser_never_raises(text: Any) -> None:
    parsed = parse_answer(text)
    assert parsed.understood in (True, False)
    if parsed.understood and not parsed.dont_know:
        assert parsed.value in (1, 2, 3, 4, 5)


# --- limits ---------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(text=HOSTILE_TEXT)
def test_question_limit_either_accepts_or_names_the_limit(text: str) -> None:
    try:
        accepted = check_question(text, 4000)
    except InputLimitError as exc:
        assert "question:" in str(exc)
    else:
        assert 0 < len(accepted) <= 4000


# --- the store ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    yield opened
    opened.close()


def _expected(text: str) -> str:
    """What the store promises to give back: NUL stripped, lone surrogates as U+FFFD."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text.replace("\x00", ""))


@FUZZ
@given(text=HOSTILE_TEXT)
def test_store_round_trips_hostile_text_as_plain_text(store: Store, text: str) -> None:
    ws = store.default_workspace().id
    session = store.create_session(ws, "diagnose", title=text[:300])
    message = store.add_message(ws, session.id, "user", text, citations=[{"excerpt": text}])
    back = store.list_messages(ws, session.id)[0]
    assert back.id == message.id and back.content == _expected(text)
    assert back.citations == [{"excerpt": _expected(text)}]
    draft = store.save_draft(ws, "memo", text or "-", title=text[:200])
    assert store.get_draft(ws, draft.id).body == _expected(text or "-")


@FUZZ
@given(payload=st.just(SECRET_JSON) | st.fixed_dictionaries({"lc": st.integers(), "type": _PLAIN}))
def test_langchain_secret_shaped_json_stays_plain_data(
    store: Store, payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-KSCANARY-env")
    ws = store.default_workspace().id
    session = store.create_session(ws, "assessment")
    saved = store.save_assessment(ws, session.id, {"state": payload}, {"report": [payload]})
    back = store.get_assessment(ws, saved.id)
    assert back.state == {"state": payload} and back.report == {"report": [payload]}
    text = store.add_message(ws, session.id, "user", json.dumps(payload))
    assert store.list_messages(ws, session.id)[0].content == json.dumps(payload) == text.content
    assert "sk-KSCANARY-env" not in repr(back) + repr(store.list_messages(ws, session.id))


def test_the_assistant_enforces_the_question_limit_before_any_work(
    private_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of()  # any call to the model would fail the test: it has no turns
    assistant = Assistant(private_settings, framework, retriever, model=model, model_spec="openai:scripted")
    for question in ("", "   \n", "x" * (private_settings.max_question_chars + 1)):
        with pytest.raises(InputLimitError, match="question: "):
            assistant.ask(question)
    assert model.calls == 0
