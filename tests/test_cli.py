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


CHILD_WRITES_ITS_PID = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"


def test_stopping_keysmith_app_stops_the_streamlit_it_started(tmp_path: Path) -> None:
    """`keysmith app` runs Streamlit as a child: a SIGTERM to the command must reach the child (it was left
    running on its port when the command was stopped)."""
    import signal
    import time

    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", "import sys; from keysmith.cli.app_cmd import run_child; "
         f"sys.exit(run_child([sys.executable, '-c', {CHILD_WRITES_ITS_PID!r}, {str(pid_file)!r}]))"],
        env=child_env(),
    )  # fmt: skip
    for _ in range(600):  # until the child has started (polling, not a timed assertion)
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.1)
    child_pid = int(pid_file.read_text())
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=60) != 0
    for _ in range(600):
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child_pid, signal.SIGKILL)
        pytest.fail(f"the child {child_pid} outlived `keysmith app`")
