"""scripts/audit.py: fails on a vulnerability; an unauditable run passes only under a fresh exception."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from scripts.audit import exception_date, verdict
from security.support import ROOT

TODAY = date(2026, 11, 27)
AUDITED = [{"name": "a", "version": "1", "vulns": []}, {"name": "b", "version": "2", "vulns": []}]
UNAUDITED = [{"name": n, "skip_reason": "Dependency not found on PyPI"} for n in "abc"]


def test_a_known_vulnerability_fails_even_with_an_exception() -> None:
    vulnerable = [{"name": "a", "version": "1", "vulns": [{"id": "PYSEC-1"}]}, *UNAUDITED]
    assert verdict(vulnerable, "", TODAY, TODAY) == 1


def test_a_clean_audit_passes() -> None:
    assert verdict(AUDITED, "", None, TODAY) == 0


def test_an_unauditable_run_needs_a_fresh_written_exception() -> None:
    assert verdict(UNAUDITED, "", None, TODAY) == 1
    assert verdict(UNAUDITED, "", TODAY, TODAY) == 0
    assert verdict(UNAUDITED, "", date(2026, 1, 1), TODAY) == 1  # stale
    assert verdict([], "connection refused", TODAY, TODAY) == 0  # no output at all counts as unaudited


def test_security_md_holds_the_dated_exception() -> None:
    assert exception_date(ROOT / "SECURITY.md") == date(2026, 11, 27)
    assert exception_date(Path("/nonexistent/SECURITY.md")) is None
