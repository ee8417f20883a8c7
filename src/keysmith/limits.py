"""Input limits: question length, upload size, files read whole, and a per-session request rate.

Each check raises `InputLimitError` with a message that names the limit and the value, so the UI and the CLI
can show it as it is. The rate limiter is in-process (one Streamlit process per replica); it keys on the
session id, so one user's burst never slows another's.

`read_capped(path, max_bytes, what)` is how Keysmith reads a file it needs whole (an answers file, a saved
assessment's progress): only regular files, and never more than `max_bytes + 1` bytes, so `/dev/zero`, a
FIFO or a huge file is refused in one line instead of filling memory or blocking.
"""

from __future__ import annotations

import os
import stat
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


MAX_ANSWERS_FILE_BYTES = 1_048_576  # an answers file is a few hundred bytes; 1 MiB leaves room for notes


def read_capped(path: os.PathLike[str] | str, max_bytes: int, what: str) -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes` of them.

    Raises `InputLimitError` naming the file (as `what` calls it) and the limit when the file is larger, or
    is not a regular file (a FIFO, a device such as /dev/zero, a directory); `FileNotFoundError` and other
    `OSError`s pass through for the caller to word. The file is opened non-blocking, so opening a FIFO
    with no writer returns at once instead of waiting for one.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise InputLimitError(
            f"{os.fspath(path)}: not a regular file ({_kind(mode)}); "
            f"{what} must be a regular file of at most {_size(max_bytes)}"
        )
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(max_bytes + 1)  # one byte more tells "exactly the limit" from "over it"
    if len(data) > max_bytes:
        raise InputLimitError(f"{os.fspath(path)}: larger than {_size(max_bytes)}, the limit for {what}")
    return data


def _size(count: int) -> str:
    if count >= 1_048_576 and count % 1_048_576 == 0:
        return f"{count // 1_048_576} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO or pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a plain file")


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
