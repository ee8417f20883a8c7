"""Files Keysmith reads whole are read with a size cap: past it, or when the path is not a regular file
(/dev/zero, a FIFO, a directory), one line names the file and the limit, and nothing hangs or fills memory.

Issue 13 item 12: `keysmith score /dev/zero` used to read forever (11 GB in 8 s). The CLI cases run the real
command in a subprocess with a timeout, so a regression fails here instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from cli_support import run_cli

from keysmith.cli.assess import load_progress
from keysmith.config import Settings
from keysmith.errors import AssessmentError, ConfigError, InputLimitError, ScoringInputError
from keysmith.framework import load_framework
from keysmith.limits import MAX_ANSWERS_FILE_BYTES, read_capped

needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="/dev/zero and FIFOs are POSIX")


def test_a_file_up_to_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_bytes(b"x" * 100)
    assert read_capped(path, 100, "an answers file") == b"x" * 100


def test_one_byte_over_the_limit_is_refused_naming_the_file_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_bytes(b"x" * 2049)
    with pytest.raises(InputLimitError) as caught:
        read_capped(path, 2048, "an answers file")
    assert str(caught.value) == f"{path}: larger than 2 KiB, the limit for an answers file"


@needs_posix
def test_a_fifo_without_a_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InputLimitError, match=r"answers\.fifo: not a regular file \(a FIFO or pipe\)"):
        read_capped(fifo, 1024, "an answers file")
    assert time.monotonic() - started < 2


def test_a_directory_is_refused_and_a_missing_file_passes_through(tmp_path: Path) -> None:
    with pytest.raises(InputLimitError, match=r"not a regular file \(a directory\)"):
        read_capped(tmp_path, 1024, "an answers file")
    with pytest.raises(FileNotFoundError):
        read_capped(tmp_path / "missing.json", 1024, "an answers file")


@needs_posix
def test_keysmith_score_dev_zero_returns_promptly_with_one_line(tmp_path: Path) -> None:
    started = time.monotonic()
    done = run_cli("score", "/dev/zero", cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "keysmith: /dev/zero: not a regular file (a character device); "
        "an answers file must be a regular file of at most 1 MiB"
    ]


def test_keysmith_score_refuses_an_answers_file_over_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"answers": {}, "padding": "x" * MAX_ANSWERS_FILE_BYTES}), encoding="utf-8")
    done = run_cli("score", str(big), cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"keysmith: {big}: larger than 1 MiB, the limit for an answers file"
    ]


def test_read_answers_file_turns_the_limit_into_a_scoring_input_error(tmp_path: Path) -> None:
    from keysmith.cli.score import read_answers_file

    framework = load_framework(Settings.from_env().framework_dir)
    with pytest.raises(ScoringInputError, match="not a regular file"):
        read_answers_file(tmp_path, framework)


def test_a_huge_progress_file_cannot_resume_and_says_why(tmp_path: Path) -> None:
    framework = load_framework(Settings.from_env().framework_dir)
    progress = tmp_path / "assessment-progress.json"
    progress.write_bytes(b" " * (MAX_ANSWERS_FILE_BYTES + 1))
    with pytest.raises(AssessmentError, match=r"larger than 1 MiB, the limit for a progress file"):
        load_progress(progress, framework)


def test_a_dotenv_over_64_kib_is_one_line_naming_it(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("KEYSMITH_MODEL=offline\n" + "# filler\n" * 9000, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.env: larger than 65536 bytes"):
        Settings.from_env({}, dotenv=dotenv)


@needs_posix
def test_keysmith_workspace_add_doc_dev_zero_returns_promptly_with_one_line(tmp_path: Path) -> None:
    env = {"KEYSMITH_DATA_DIR": str(tmp_path / "data"), "KEYSMITH_MODEL": "offline"}
    created = run_cli("workspace", "create", "Northwind", cwd=tmp_path, env=env, timeout=120)
    assert created.returncode == 0, created.stderr
    done = run_cli("workspace", "add-doc", "Northwind", "/dev/zero", cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "keysmith: /dev/zero: not a regular file (a character device); "
        "a client document must be a regular file of at most 10 MiB"
    ]
