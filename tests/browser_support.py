"""What the browser tests share: where Chromium is, how it is started, and where screenshots go."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("KEYSMITH_TEST_ARTIFACTS") or ROOT / "test-artifacts")
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never `playwright install` (no downloads here)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser() -> None:
    """Skip without Chromium; fail instead when KEYSMITH_REQUIRE_BROWSER=1 (CI) makes browser tests a must."""
    if CHROMIUM.exists():
        return
    message = "Chromium not found at /usr/bin/chromium: install it with `apt-get install chromium`"
    if os.environ.get("KEYSMITH_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (KEYSMITH_REQUIRE_BROWSER=1 makes this test mandatory)")
    pytest.skip(message)
