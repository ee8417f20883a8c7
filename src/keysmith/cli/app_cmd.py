"""`keysmith app`: start the Streamlit app on 127.0.0.1 (port 8501 unless `--port` says otherwise).

The app file is `keysmith/ui/streamlit_app.py` (shipped in the wheel; the checkout's app.py is the same).
Streamlit runs in a child process so that its own signal handling and exit code pass straight through.
The settings of the checkout's `.streamlit/config.toml` are passed as flags (`SETTINGS`), because an
installed wheel has no config file beside it: the toolbar in viewer mode (no "Deploy" button), headless,
no usage statistics.
"""

from __future__ import annotations

import argparse
import math
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from keysmith.config import Settings
from keysmith.errors import KeysmithError

_APP = Path(__file__).resolve().parents[1] / "ui" / "streamlit_app.py"  # shipped in the wheel


def register(sub: Any) -> None:
    """Add the `app` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser("app", help="start the web app (Streamlit)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default: 8501)")
    parser.set_defaults(handler=run)


# The same settings as the checkout's .streamlit/config.toml (tests/test_app.py checks they agree).
SETTINGS = {"client.toolbarMode": "viewer", "server.headless": "true", "browser.gatherUsageStats": "false"}


_DEFAULT_UPLOAD_BYTES = 10 * 1024 * 1024  # KEYSMITH_MAX_UPLOAD_BYTES' default (config.Settings)


def upload_megabytes(max_upload_bytes: int) -> int:
    """Streamlit's `server.maxUploadSize` (whole MB) for KEYSMITH_MAX_UPLOAD_BYTES: rounded up, at least 1,
    so the server accepts every file Keysmith's own byte check accepts and nothing far beyond it."""
    return max(1, math.ceil(max_upload_bytes / 1_048_576))


def command(host: str, port: int, app: Path = _APP, max_upload_bytes: int | None = None) -> list[str]:
    """The Streamlit command line `keysmith app` runs (exposed for tests and the benchmark).

    `max_upload_bytes` (KEYSMITH_MAX_UPLOAD_BYTES; default: the setting's default) sets
    `server.maxUploadSize` to match."""
    limit = _DEFAULT_UPLOAD_BYTES if max_upload_bytes is None else max_upload_bytes
    upload = {"server.maxUploadSize": str(upload_megabytes(limit))}
    flags = [part for name, value in {**SETTINGS, **upload}.items() for part in (f"--{name}", value)]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        host,
        "--server.port",
        str(port),
        *flags,
    ]


def run(args: argparse.Namespace) -> int:
    """Run Streamlit until it exits; its exit code is ours."""
    if not _APP.is_file():
        raise KeysmithError(f"{_APP}: the app script is missing from this installation; reinstall keysmith")
    if not 0 < args.port < 65536:
        raise KeysmithError(f"--port: expected 1..65535, got {args.port!r}")
    print(f"Keysmith: http://{args.host}:{args.port}", flush=True)
    try:
        limit = Settings.from_env().max_upload_bytes
        argv = command(args.host, args.port, max_upload_bytes=limit)
        return run_child(argv)
    except KeyboardInterrupt:
        return 0


def run_child(argv: list[str]) -> int:
    """Run `argv` until it exits and return its exit code; SIGTERM and SIGHUP sent to this process are passed
    on to it, so stopping `keysmith app` (a supervisor, `docker stop`, `kill`) stops Streamlit too instead of
    leaving it running on its port."""
    child = subprocess.Popen(argv)  # noqa: S603 - fixed argv, no shell

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
