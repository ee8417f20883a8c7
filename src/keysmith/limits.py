"""Input limits: question length, upload size and a per-session request rate.

Each check raises `InputLimitError` with a message that names the limit and the value, so the UI and the CLI
can show it as it is. The rate limiter is in-process (one Streamlit process per replica); it keys on the
session id, so one user's burst never slows another's.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from keysmith.errors import InputLimitError


def check_question(text: str, max_chars: int) -> str:
    """Return the question stripped of surrounding whitespace; raise if empty or over `max_chars`."""
    stripped = text.strip()
    if not stripped:
        raise InputLimitError("question: empty — type a question or describe your rollout")
    if len(stripped) > max_chars:
        raise InputLimitError(
            f"question: {len(stripped)} characters, the limit is {max_chars} "
            "(KEYSMITH_MAX_QUESTION_CHARS) — shorten it or split it into two questions"
        )
    return stripped


def check_upload(name: str, size: int, max_bytes: int) -> None:
    """Raise if an uploaded file is empty or larger than `max_bytes`."""
    if size <= 0:
        raise InputLimitError(f"upload {name!r}: the file is empty")
    if size > max_bytes:
        raise InputLimitError(
            f"upload {name!r}: {size / 1_048_576:.1f} MB, the limit is {max_bytes / 1_048_576:.1f} MB "
            "(KEYSMITH_MAX_UPLOAD_BYTES)"
        )


class RateLimiter:
    """At most `per_minute` requests per key in any sliding 60-second window. Thread-safe.

    `clock` is injectable so tests can move time without sleeping.
    """

    WINDOW_SECONDS = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise InputLimitError(f"requests per minute: expected >= 1, got {per_minute!r}")
        self._per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Record one request for `key`, or raise `InputLimitError` saying when to try again."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self._per_minute:
                wait = max(1, round(self.WINDOW_SECONDS - (now - hits[0])))
                raise InputLimitError(
                    f"rate limit: {self._per_minute} requests per minute per session "
                    f"(KEYSMITH_REQUESTS_PER_MINUTE) — try again in {wait} s"
                )
            hits.append(now)
