"""Plain-text rendering of a `keysmith score` report.

Renders from the already-rounded JSON dict (not from the dataclasses), so the table can never show a number
that differs from `--json`. Plain ASCII-friendly text, no colour, fits 110 columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keysmith.framework import Framework


def _num(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def render_report(data: Mapping[str, Any], framework: Framework) -> str:
    """The whole report: table, weight shift, levers, omissions, diagnosis, what-if."""
    lines = _table(data, framework)
    lines += _shift(data["weight_shift"], framework)
    lines += _levers(data["levers"], framework)
    lines += _omissions(data["omissions"])
    lines += _diagnosis(data)
    if data.get("what_if"):
        lines += _what_if(data["what_if"], data["profiles"])
    lines += ["", f"Formula {data['formula_version']}: answers 1..5 map to 0..1; each score is the weighted"]
    lines += ["average over the answered variables, times 100. The weights are Keysmith's choice."]
    return "\n".join(lines)


def _table(data: Mapping[str, Any], framework: Framework) -> list[str]:
    pilot, production = data["profiles"]["pilot"], data["profiles"]["production"]
    answered = sum(1 for value in data["answers"].values() if value is not None)
    lines = [f"Readiness from {answered} of {len(framework.variables)} answers (1 = weak, 5 = strong)", ""]
    header = f"  {'variable':<26} {'answer':>6}   {'pilot weight':>12} {'points':>6}   "
    lines.append(header + f"{'production weight':>17} {'points':>6}")
    rows = zip(pilot["contributions"], production["contributions"], strict=True)
    for p, q in rows:
        answer = "?" if p["answer"] is None else str(p["answer"])
        name = framework.variable(p["variable"]).name
        lines.append(
            f"  {name:<26} {answer:>6}   {p['weight']:>12.2f} {_num(p['points']):>6}   "
            f"{q['weight']:>17.2f} {_num(q['points']):>6}"
        )
    lines.append(
        f"  {'score (0-100)':<26} {'':>6}   {'':>12} {_num(pilot['score']):>6}   {'':>17} "
        f"{_num(production['score']):>6}"
    )
    lines.append(
        f"  {'coverage':<26} {'':>6}   {'':>12} {_pct(pilot['coverage']):>6}   {'':>17} "
        f"{_pct(production['coverage']):>6}"
    )
    return lines


def _shift(shift: Mapping[str, Any], framework: Framework) -> list[str]:
    lines = ["", "Where the weight moved from pilot to production"]
    lines.append(
        f"  {_pct(shift['weight_moved'])} of the weight changes hands. The same answers score "
        f"{_num(shift['pilot_score'])} as a pilot and {_num(shift['production_score'])} in production "
        f"({_num(shift['score_change'], '+.1f')})."
    )
    gained = [framework.variable(v["variable"]).name for v in shift["variables"] if v["delta"] > 0]
    lost = [framework.variable(v["variable"]).name for v in shift["variables"] if v["delta"] < 0]
    lines.append(f"  Gains weight: {', '.join(gained) or '-'}")
    lines.append(f"  Loses weight: {', '.join(lost) or '-'}")
    return lines


def _levers(levers: list[Mapping[str, Any]], framework: Framework) -> list[str]:
    lines = ["", "Biggest levers (production points if raised to 5)"]
    if not levers:
        lines.append("  none: every answered variable is already at 5, or nothing was answered")
    for rank, lever in enumerate(levers, start=1):
        name = framework.variable(lever["variable"]).name
        lines.append(f"  {rank}. {name:<26} {lever['answer']} -> 5   +{lever['gain']:.1f} points")
    return lines


def _omissions(omissions: list[Mapping[str, Any]]) -> list[str]:
    lines = ["", "Missing answers (Omission Neglect: heaviest first)"]
    if not omissions:
        lines.append("  none: every variable was answered")
    for item in omissions:
        lines.append(f"  - {item['name']}: {_pct(item['production_weight'])} of the production weight")
    return lines


def _diagnosis(data: Mapping[str, Any]) -> list[str]:
    """Stall reasons with a signal (in diagnosis's order), then the unknown ones, then the archetypes."""
    lines: list[str] = []
    findings = data.get("stall_reasons") or []
    signalled = [f for f in findings if f.get("level") not in ("none", "unknown")]
    unknown = [f["name"] for f in findings if f.get("level") == "unknown"]
    if signalled or unknown:
        lines += ["", "Stall reasons (strongest first)"]
        for finding in signalled:
            lines.append(f"  - {finding['name']} ({finding['level']}, strength {_pct(finding['strength'])})")
            lines += [f"      {item}" for item in finding.get("evidence") or []]
    if unknown:
        lines.append(f"  Unknown, because its variables were not answered: {', '.join(unknown)}")
    if data.get("archetypes"):
        lines += ["", "Solution archetypes that fit"]
        for item in data["archetypes"]:
            lines += [f"  - {item['name']}", f"      {item['reason']}"]
    return lines


def _what_if(info: Mapping[str, Any], profiles: Mapping[str, Any]) -> list[str]:
    changes = ", ".join(f"{k}={'null' if v is None else v}" for k, v in info["changes"].items())
    lines = ["", f"What if {changes}"]
    for pid, before in info["baseline"].items():
        after, delta = profiles[pid]["score"], info["delta"][pid]
        lines.append(f"  {pid:<11} {_num(before)} -> {_num(after)} ({_num(delta, '+.1f')})")
    return lines
