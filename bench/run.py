"""`make bench`: run every `bench/bench_*.py` module, print the comparisons, write `bench/results/<UTC>.json`.

Each module exposes `run() -> dict` and is run in its own Python process (so one benchmark's caches and
memory do not flatter or burden the next). By convention a module's dict holds `comparisons`: a list of
`{"name", "unit", "keysmith", "baseline", "baseline_name"}` measured in the same run, printed here with the
ratio keysmith / baseline (below 1 = Keysmith needs less); anything else it returns is kept as details and
printed flattened. Timings are wall-clock on this machine; there are no timed assertions anywhere.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
_CHILD = "import json, sys, importlib; print(json.dumps(importlib.import_module(sys.argv[1]).run()))"


def modules() -> list[str]:
    """The benchmark modules, `bench.bench_<name>`, in name order."""
    return [f"bench.{p.stem}" for p in sorted((ROOT / "bench").glob("bench_*.py"))]


def run_module(name: str) -> dict[str, Any]:
    """Run one module's `run()` in a fresh interpreter; its last stdout line is the JSON result."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, name], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-5:]
        return {"error": f"exit {done.returncode}", "stderr_tail": tail, "seconds": seconds}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["seconds"] = seconds
    return result


def machine() -> dict[str, Any]:
    """Where the numbers came from."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def report(results: dict[str, dict[str, Any]]) -> str:
    """The comparison table, then each module's other numbers."""
    rows = [("benchmark", "keysmith", "baseline", "ratio", "unit", "baseline is")]
    details: list[str] = []
    for module, result in results.items():
        for c in result.get("comparisons", []):
            ratio = c["keysmith"] / c["baseline"] if c.get("baseline") else float("nan")
            cells = (_fmt(c["keysmith"]), _fmt(c["baseline"]), f"{ratio:.2f}x", c.get("unit", ""))
            rows.append((c["name"], *cells, c.get("baseline_name", "")))
        for key, value in _flatten({k: v for k, v in result.items() if k != "comparisons"}):
            details.append(f"  {module.removeprefix('bench.')}.{key} = {_fmt(value)}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([*lines, "", "details:", *details])


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            items += _flatten(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", value))
    return items


def main() -> int:
    """Run all modules, print the table, write the JSON; exit 1 if a module failed."""
    results = {}
    for name in modules():
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = run_module(name)
    record = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), **results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(report(results))
    print(f"\nmachine: {record['machine']}\nwritten: {path.relative_to(ROOT)}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
