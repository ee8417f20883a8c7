"""Input limits: clear messages that name the limit, and a rate limiter keyed per session."""

from __future__ import annotations

import pytest

from keysmith.errors import InputLimitError
from keysmith.limits import RateLimiter, check_question, check_upload


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_question_is_stripped_and_kept() -> None:
    assert check_question("  why did it stall?  ", 100) == "why did it stall?"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_question_is_refused(text: str) -> None:
    with pytest.raises(InputLimitError, match="empty"):
        check_question(text, 100)


def test_long_question_names_the_limit_and_the_length() -> None:
    with pytest.raises(InputLimitError, match=r"101 characters, the limit is 100"):
        check_question("x" * 101, 100)
    assert check_question("x" * 100, 100) == "x" * 100


def test_upload_limits() -> None:
    check_upload("notes.md", 10, 10)
    with pytest.raises(InputLimitError, match=r"notes\.md.*empty"):
        check_upload("notes.md", 0, 10)
    with pytest.raises(InputLimitError, match=r"big\.pdf.*KEYSMITH_MAX_UPLOAD_BYTES"):
        check_upload("big.pdf", 11, 10)


def test_rate_limiter_refuses_the_request_over_the_limit_then_recovers() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock)
    for _ in range(3):
        limiter.check("session-a")
    with pytest.raises(InputLimitError, match=r"3 requests per minute.*try again in 60 s"):
        limiter.check("session-a")
    limiter.check("session-b")  # another session is not affected
    clock.now += 60.0
    limiter.check("session-a")


def test_rate_limiter_rejects_a_zero_limit() -> None:
    with pytest.raises(InputLimitError, match="expected >= 1, got 0"):
        RateLimiter(0)
