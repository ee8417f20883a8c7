"""The load benchmark's verdicts on a small scale: concurrent sessions, zero errors, zero cross-talk.

`bench/bench_load.py` runs 50 sessions and reports timings (`make bench`); here the same code runs a few
sessions so CI checks the verdicts without timing anything.
"""

from __future__ import annotations

from bench.bench_load import SessionResult, _cross_talk, run


def test_concurrent_sessions_have_no_errors_and_no_cross_talk() -> None:
    result = run(sessions=6, turns=2)
    assert result["errors"] == 0, result["error_examples"]
    assert result["turns_completed"] == 12
    assert result["cross_talk"] == 0
    assert result["turns_that_found_their_own_document"] == 12


def test_cross_talk_is_detected() -> None:
    # Positive control: a session that saw another's canary counts.
    one, two = SessionResult("CANARY-ONE", texts=["CANARY-ONE and CANARY-TWO"]), SessionResult("CANARY-TWO")
    two.texts = ["CANARY-TWO"]
    assert _cross_talk([one, two]) == 1
