"""Local server processes for tests and benchmarks: a free port, a clean stop, a running Streamlit app.

One copy of these helpers: the browser test, the Chroma and PostgreSQL fixtures, the fault tests and
`bench/bench_coldstart.py` (which puts `tests/` on its path, as the other benchmarks do for `fakes`) all use
them. The Streamlit command line is the one `keysmith app` runs (`keysmith.cli.app_cmd.command`).
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from keysmith.cli.app_cmd import command


def free_port() -> int:
    """A local TCP port nothing listens on right now (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate `process`, killing it if it has not exited after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_healthy(url: str, process: subprocess.Popen[bytes], limit: float, poll: float = 0.1) -> None:
    """Poll Streamlit's health endpoint until it answers; RuntimeError if the process dies or time is up."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(poll)
    raise RuntimeError(f"streamlit did not become healthy at {url} within {limit:.0f} s")


@contextmanager
def streamlit_app(
    app: Path, env: Mapping[str, str], *, limit: float = 120.0, log: IO[bytes] | None = None
) -> Iterator[tuple[str, float]]:
    """Run `app` with Streamlit on a free local port; yields (url, `perf_counter()` at process start).

    The process runs in `app`'s folder with exactly `env`; its output goes to `log` (discarded when None).
    It is stopped when the block ends, also on error.
    """
    port = free_port()
    output = log if log is not None else subprocess.DEVNULL
    started = time.perf_counter()
    argv = command("127.0.0.1", port, app)
    process = subprocess.Popen(argv, cwd=app.parent, env=dict(env), stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, limit, poll=0.05)
        yield url, started
    finally:
        stop(process)
