"""The CLI dispatcher: help for every command, and a closed pipe ends quietly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cli_support import CLI, KNOWLEDGE, child_env

from keysmith.cli import build_parser, main

COMMANDS = ("index", "search", "framework", "score", "ask", "assess", "report", "eval", "app")


def test_every_documented_command_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for command in COMMANDS:
        assert command in text


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["no-such-command"])
    assert caught.value.code == 2


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # The reader is gone before the command writes (like `| head` that has already exited), so every write
    # meets a closed pipe: the command must end without a traceback.
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.Popen(
        [*CLI, "framework", "--json"],
        cwd=tmp_path,
        env=child_env({"KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE)}),
        stdout=write_end,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert b"Traceback" not in stderr
    assert b"BrokenPipe" not in stderr
