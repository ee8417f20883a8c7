"""`keysmith framework [--json]`: show the framework data Keysmith scores and diagnoses with.

`--json` prints `Framework.to_dict()` (variables, profiles, stall_reasons, archetypes, bridge_steps,
process_steps and the totals) plus the provenance of the knowledge: `sources` (knowledge/sources.yaml, as
[{id, title, url, kind}]) and `knowledge_pages` [{id, title, facts_from}] (every page, its source ids), with
stable key order. Without it, readable tables.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from keysmith.config import Settings
from keysmith.framework import Framework, load_framework
from keysmith.framework.sources import SOURCES_FILE, load_sources
from keysmith.ingest.chunking import load_pages


def register(sub: Any) -> None:
    """Add the `framework` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "framework", help="show the variables, weight profiles, stall reasons, archetypes and steps"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the framework from the configured knowledge dir and print it."""
    settings = Settings.from_env()
    framework = load_framework(settings.framework_dir)
    if args.json:
        print(json.dumps(to_json(framework, settings), indent=2, ensure_ascii=False))
    else:
        print(render_text(framework))
    return 0


def to_json(framework: Framework, settings: Settings) -> dict[str, Any]:
    """The `--json` document: the framework data, the source registry and each page's sources.

    The pages are read and validated as `keysmith index` reads them (a page naming an unknown source is an
    `IngestError`)."""
    sources = load_sources(settings.knowledge_dir / SOURCES_FILE)
    pages = load_pages(settings.knowledge_dir, framework.variable_ids)
    return framework.to_dict() | {
        "sources": [s.to_dict() for s in sources.values()],
        "knowledge_pages": [{"id": p.id, "title": p.title, "facts_from": list(p.facts_from)} for p in pages],
    }


def render_text(framework: Framework) -> str:
    """The framework as plain-text tables (no colour, fits 110 columns)."""
    pilot, production = framework.profile("pilot"), framework.profile("production")
    lines = ["Variables (assessment order) and their weights", ""]
    lines.append(f"  {'variable':<26} {'pilot':>6} {'production':>11}  stall reasons it signals")
    for v in framework.variables:
        reasons = ", ".join(v.stall_reasons) or "-"
        lines.append(
            f"  {v.name:<26} {pilot.weights[v.id]:>6.2f} {production.weights[v.id]:>11.2f}  {reasons}"
        )
    note = "  The numbers are Keysmith's choice: the framework names the heavy variables, not weights."
    lines += ["", note, ""]
    lines.append("Stall reasons")
    for s in framework.stall_reasons:
        lines.append(f"  {s.id:<26} {s.name}  (signals: {', '.join(s.signal_variables)})")
    lines += ["", f"Solution archetypes ({len(framework.archetypes)} of {framework.archetype_total} known)"]
    lines += [f"  {a.id:<26} {a.name}  (gaps: {', '.join(a.gap_variables)})" for a in framework.archetypes]
    lines += ["", "Bridge steps from pilot to production"]
    lines += [f"  {b.number}. {b.name}" for b in framework.bridge_steps]
    known, total = len(framework.process_steps), framework.process_step_total
    lines += ["", f"Process steps ({known} of {total} known; the others are not invented)"]
    lines += [f"  {p.number}. {p.name}" for p in framework.process_steps]
    return "\n".join(lines)
