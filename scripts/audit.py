"""`make audit`: pip-audit over the installed environment, with an honest answer when it cannot see anything.

Fails (exit 1) on any known vulnerability. When pip-audit could not audit most dependencies (it reports them
as "not found on PyPI" — on this build network PyPI's JSON API answers without vulnerability data, which would
otherwise read as a false "No known vulnerabilities found"), it says so plainly and passes only under the
written, dated exception in SECURITY.md, and only while that exception is younger than `EXCEPTION_DAYS`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXCEPTION_DAYS = 90
UNAUDITED_SHARE = 0.5  # above this share of unaudited dependencies, a clean result means nothing
_EXCEPTION = re.compile(r"pip-audit exception \((\d{4}-\d{2}-\d{2})\)")


def run_pip_audit() -> tuple[list[dict[str, Any]], str]:
    """pip-audit's dependency list (empty if it produced no JSON) and its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-f", "json", "--progress-spinner", "off", "--skip-editable"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        dependencies: list[dict[str, Any]] = json.loads(done.stdout)["dependencies"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return [], done.stderr
    return dependencies, done.stderr


def exception_date(security_md: Path) -> date | None:
    """The date of the written pip-audit exception in SECURITY.md, if there is one."""
    if not security_md.is_file():
        return None
    match = _EXCEPTION.search(security_md.read_text(encoding="utf-8"))
    return date.fromisoformat(match.group(1)) if match else None


def verdict(dependencies: list[dict[str, Any]], stderr: str, written: date | None, today: date) -> int:
    """Print the outcome; return the exit code."""
    vulnerable = [d for d in dependencies if d.get("vulns")]
    for dep in vulnerable:
        ids = ", ".join(v.get("id", "?") for v in dep["vulns"])
        print(f"VULNERABLE: {dep['name']} {dep.get('version', '')}: {ids}")
    if vulnerable:
        return 1
    unaudited = [d for d in dependencies if d.get("skip_reason")]
    total = len(dependencies)
    if total and len(unaudited) / total <= UNAUDITED_SHARE:
        print(f"pip-audit: no known vulnerabilities in {total - len(unaudited)} audited dependencies.")
        return 0
    reason = f"{len(unaudited)} of {total}" if total else "any"
    print(f"pip-audit could not audit {reason} dependencies: vulnerability data is not reachable from here.")
    if stderr.strip():
        print("pip-audit said: " + stderr.strip().splitlines()[-1])
    if written is None:
        print("No written pip-audit exception in SECURITY.md: failing.")
        return 1
    age = (today - written).days
    if age > EXCEPTION_DAYS:
        print(f"The SECURITY.md exception of {written} is {age} days old (limit {EXCEPTION_DAYS}): renew it.")
        return 1
    print(f"Passing under the written exception in SECURITY.md dated {written} (audit in CI with network).")
    return 0


def main() -> int:
    dependencies, stderr = run_pip_audit()
    return verdict(dependencies, stderr, exception_date(ROOT / "SECURITY.md"), datetime.now(UTC).date())


if __name__ == "__main__":
    sys.exit(main())
