"""End to end in a real browser: Playwright drives Debian's Chromium against `streamlit run app.py`.

Offline (KEYSMITH_MODEL=offline), with its own data dir: ask a question and see a cited answer, take the
self-assessment with the buttons, see the chart, download the PDF report, open the coach mode. Screenshots
of each mode go to `test-artifacts/`. Without /usr/bin/chromium the test skips and says what to install —
unless KEYSMITH_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = "Chromium not found at /usr/bin/chromium: install it with `apt-get install chromium`"
    if os.environ.get("KEYSMITH_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (KEYSMITH_REQUIRE_BROWSER=1 makes this test mandatory)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], limit: float = 120.0) -> None:
    """Poll Streamlit's health endpoint until it answers (the server process must stay alive)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy at {url} within {limit:.0f} s")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Streamlit server on a free port, offline, with a fresh data dir and a built index."""
    _require_browser()
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = {**os.environ, "KEYSMITH_DATA_DIR": str(data_dir), "KEYSMITH_MODEL": "offline"}
    env.pop("OPENAI_API_KEY", None)
    subprocess.run([sys.executable, "-m", "keysmith.cli", "index"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    log = (data_dir / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
