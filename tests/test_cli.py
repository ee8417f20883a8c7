"""The CLI dispatcher: help for every command, and a closed pipe ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys
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


CONSOLE_WITH_A_STOPPED_TURN = """
import sys, threading, time
from concurrent.futures import ThreadPoolExecutor
# What a model turn stopped at its budget leaves behind: its worker thread, and a pool thread still reading
# a slow server's stream (Python joins pool threads at exit).
pool = ThreadPoolExecutor(1)
pool.submit(time.sleep, 300)
threading.Thread(target=time.sleep, args=(300,), name="keysmith-turn", daemon=True).start()
sys.argv = ["keysmith", "score", sys.argv[1]]
from keysmith.cli import console
console()
"""


def test_the_command_exits_once_it_has_answered_even_if_a_stopped_turn_left_work_behind(
    tmp_path: Path,
) -> None:
    """Against a slow local server `keysmith ask` printed its answer in time, then waited minutes at exit."""
    example = Path(__file__).resolve().parents[1] / "examples" / "stalled_rollout.json"
    done = subprocess.run(
        [sys.executable, "-c", CONSOLE_WITH_A_STOPPED_TURN, str(example)],
        env=child_env({"KEYSMITH_DATA_DIR": str(tmp_path)}),
        capture_output=True,
        text=True,
        timeout=200,  # with `sys.exit` instead of `console`, the pool's 300 s sleep holds the exit
    )
    assert done.returncode == 0, done.stderr
    assert "production" in done.stdout.lower()  # the score was printed before leaving
