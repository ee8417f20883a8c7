"""Plain-text rendering of a `keysmith score` report.

Renders from the already-rounded JSON dict (not from the dataclasses), so the table can never show a number
that differs from `--json`. Plain ASCII-friendly text, no colour, fits 110 columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keysmith.diagnosis.readout import archetype_why, join_names, report_answers, stall_readout
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
    lines += _diagnosis(data, framework)
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


def _diagnosis(data: Mapping[str, Any], framework: Framework) -> list[str]:
    """Likely stall reasons (an answer of 2 or lower; diagnosis's order) with those weak answers only, the
    reasons that could not be judged, then the archetypes and why (`diagnosis.readout`; --json has it all)."""
    readout = stall_readout(data, framework)
    lines = ["", "Likely stall reasons (strongest first)"]
    if not readout.likely:
        lines.append("  none: no answer is 2 or lower")
    for item in readout.likely:
        lines.append(f"  - {item.name}")
        lines += [f"      {weak.text}" for weak in item.weak]
        if item.unanswered:
            lines.append(f"      not answered, so not counted: {join_names(item.unanswered)}")
    if readout.unjudged:
        lines.append(f"  {readout.unjudged_line()}")
    if data.get("archetypes"):
        lines += ["", "Solution archetypes that fit"]
        answers = report_answers(data)
        for item in data["archetypes"]:
            lines += [f"  - {item['name']}", f"      {archetype_why(item, answers, framework)}"]
    return lines


def _what_if(info: Mapping[str, Any], profiles: Mapping[str, Any]) -> list[str]:
    changes = ", ".join(f"{k}={'null' if v is None else v}" for k, v in info["changes"].items())
    lines = ["", f"What if {changes}"]
    for pid, before in info["baseline"].items():
        after, delta = profiles[pid]["score"], info["delta"][pid]
        lines.append(f"  {pid:<11} {_num(before)} -> {_num(after)} ({_num(delta, '+.1f')})")
    return lines
