"""The framework data loads, holds what the framework names (nothing invented), and bad data fails clearly."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from keysmith.errors import FrameworkError
from keysmith.framework import Framework, load_framework

FRAMEWORK_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "framework"
VARIABLES = {
    "technology_fit",
    "team_capability",
    "data_infrastructure",
    "process_integration",
    "governance",
    "change_management",
    "economics",
    "organizational_readiness",
}
PRODUCTION_HEAVY = {
    "data_infrastructure",
    "change_management",
    "process_integration",
    "governance",
    "organizational_readiness",
}


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(FRAMEWORK_DIR)


def test_variables_have_the_stable_ids_and_pilot_carriers_come_first(framework: Framework) -> None:
    assert set(framework.variable_ids) == VARIABLES
    assert len(framework.variable_ids) == len(VARIABLES)
    assert framework.variable_ids[:2] == ("technology_fit", "team_capability")
    for variable in framework.variables:
        assert variable.question.endswith("?"), variable.id
        assert variable.anchor_1 and variable.anchor_5 and variable.help and variable.name


def test_profiles_sum_to_one_and_follow_the_framework_ordering(framework: Framework) -> None:
    pilot, production = framework.profile("pilot").weights, framework.profile("production").weights
    for weights in (pilot, production):
        assert set(weights) == VARIABLES
        assert math.isclose(math.fsum(weights.values()), 1.0, abs_tol=1e-9)
    top_pilot = sorted(pilot, key=lambda v: -pilot[v])[:2]
    assert set(top_pilot) == {"technology_fit", "team_capability"}
    top_production = sorted(production, key=lambda v: -production[v])[:5]
    assert set(top_production) == PRODUCTION_HEAVY
    for variable in VARIABLES:
        assert framework.profile("pilot").rationale[variable].strip()
        assert framework.profile("production").rationale[variable].strip()


def test_stall_reasons_and_variables_link_both_ways(framework: Framework) -> None:
    ids = [s.id for s in framework.stall_reasons]
    assert ids == [
        "zoom_level",
        "input_output_mismatch",
        "governance_vacuum",
        "change_management_deficit",
        "economics_shift",
    ]
    for reason in framework.stall_reasons:
        for variable_id in reason.signal_variables:
            assert reason.id in framework.variable(variable_id).stall_reasons
    for variable in framework.variables:
        for reason_id in variable.stall_reasons:
            assert variable.id in framework.stall_reason(reason_id).signal_variables
    assert framework.stall_reason("governance_vacuum").knowledge_id == "governance-vacuum"
    assert framework.stall_reason("zoom_level").knowledge_id == "zoom-level-problem"


def test_only_the_four_named_archetypes_and_two_known_steps(framework: Framework) -> None:
    assert [a.id for a in framework.archetypes] == [
        "standardization",
        "education",
        "process_reengineering",
        "risk_management",
    ]
    assert {a.source for a in framework.archetypes} == {"framework"}
    assert framework.archetype_total == 14
    assert framework.archetype("risk_management").gap_variables == ("governance",)
    assert [a.knowledge_id for a in framework.archetypes] == [
        "archetype-standardization",
        "archetype-education",
        "archetype-process-reengineering",
        "archetype-risk-management",
    ]
    assert [b.number for b in framework.bridge_steps] == [1, 2, 3, 4]
    assert [b.knowledge_id for b in framework.bridge_steps] == [
        "bridge-production-eyes",
        "bridge-map-the-system",
        "bridge-build-the-bridge",
        "bridge-monitor-the-right-variables",
    ]
    assert [(p.number, p.name, p.knowledge_id) for p in framework.process_steps] == [
        (3, "HD Vision", "hd-vision"),
        (7, "Monitoring and Managing Implications", "monitoring"),
    ]
    assert framework.process_step_total == 7


def test_lookups_name_an_unknown_id(framework: Framework) -> None:
    with pytest.raises(FrameworkError, match="unknown variable id 'budget'"):
        framework.variable("budget")
    with pytest.raises(FrameworkError, match="unknown profile id 'scale'"):
        framework.profile("scale")
    with pytest.raises(FrameworkError, match="unknown archetype id 'automation'"):
        framework.archetype("automation")
    with pytest.raises(FrameworkError, match="unknown stall reason id 'x'"):
        framework.stall_reason("x")


def test_to_dict_is_plain_json_with_every_section(framework: Framework) -> None:
    data = json.loads(json.dumps(framework.to_dict()))
    assert set(data) == {
        "variables",
        "profiles",
        "stall_reasons",
        "archetypes",
        "archetype_total",
        "bridge_steps",
        "process_steps",
        "process_step_total",
    }
    assert [v["id"] for v in data["variables"]] == list(framework.variable_ids)
    assert set(data["variables"][0]) == {
        "id",
        "name",
        "question",
        "anchor_1",
        "anchor_5",
        "stall_reasons",
        "help",
    }
    assert data["profiles"]["production"]["weights"]["data_infrastructure"] == 0.2
    assert data["archetypes"][0]["source"] == "framework"


# --- broken data: each error names the file and the field -------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "framework"
    shutil.copytree(FRAMEWORK_DIR, target)
    (target / "signals.yaml").unlink(missing_ok=True)
    return target


def _edit(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_signals_are_optional_and_empty_when_missing(tmp_path: Path) -> None:
    framework = load_framework(_copy(tmp_path))
    assert dict(framework.variable_cues) == {}
    assert dict(framework.stall_reason_cues) == {}


def test_signals_load_and_reject_unknown_ids(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "signals.yaml").write_text(
        "variables:\n  data_infrastructure: ['data is messy', '  manual   prep ']\n"
        "stall_reasons:\n  governance_vacuum: ['nobody owns the model']\n",
        encoding="utf-8",
    )
    framework = load_framework(directory)
    assert dict(framework.variable_cues) == {"data_infrastructure": ("data is messy", "manual prep")}
    assert dict(framework.stall_reason_cues) == {"governance_vacuum": ("nobody owns the model",)}
    assert framework.signals["stall_reasons"] is framework.stall_reason_cues
    (directory / "signals.yaml").write_text("stall_reasons:\n  budget_cut: ['no money']\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"signals\.yaml: stall_reasons\.budget_cut: unknown id"):
        load_framework(directory)


def _set_weight(profile: int, variable: str, value: object) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["profiles"][profile]["weights"][variable]["weight"] = value

    return change


def _add_unknown_weight(data: Any) -> None:
    data["profiles"][0]["weights"]["budget"] = {"weight": 0.0, "rationale": "x"}


def _drop_weight(data: Any) -> None:
    del data["profiles"][1]["weights"]["economics"]


def _duplicate_variable(data: Any) -> None:
    data["variables"][1]["id"] = data["variables"][0]["id"]


def _drop_question(data: Any) -> None:
    del data["variables"][2]["question"]


def _unknown_gap(data: Any) -> None:
    data["archetypes"][0]["gap_variables"] = ["data_quality"]


def _unknown_signal(data: Any) -> None:
    data["stall_reasons"][0]["signal_variables"].append("budget")


def _drop_production(data: Any) -> None:
    data["profiles"].pop(1)


def _invented_step(data: Any) -> None:
    data["process_steps"]["known"][0]["number"] = 9


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (
            "profiles.yaml",
            _set_weight(0, "technology_fit", 0.35),
            r"profiles\[0\]\.weights\.<sum>: .*sum to 1",
        ),
        ("profiles.yaml", _set_weight(1, "governance", "high"), r"weights\.governance\.weight: .*got 'high'"),
        ("profiles.yaml", _set_weight(1, "governance", True), r"weights\.governance\.weight: .*got True"),
        ("profiles.yaml", _set_weight(1, "governance", -0.1), r"weights\.governance\.weight: .*got -0\.1"),
        ("profiles.yaml", _add_unknown_weight, r"profiles\[0\]\.weights\.budget: unknown variable 'budget'"),
        ("profiles.yaml", _drop_weight, r"profiles\[1\]\.weights\.economics: missing"),
        ("profiles.yaml", _drop_production, r"profiles: missing required profile 'production'"),
        ("variables.yaml", _duplicate_variable, r"variables\[1\]\.id: duplicate id 'technology_fit'"),
        ("variables.yaml", _drop_question, r"variables\[2\]\.question: missing required field"),
        ("archetypes.yaml", _unknown_gap, r"archetypes\[0\]\.gap_variables: unknown variable 'data_quality'"),
        (
            "stall_reasons.yaml",
            _unknown_signal,
            r"stall_reasons\[0\]\.signal_variables: unknown variable 'budget'",
        ),
        ("steps.yaml", _invented_step, r"process_steps\.known\[0\]\.number: .*9"),
    ],
)
def test_broken_data_names_file_and_field(
    tmp_path: Path, file: str, change: Callable[[Any], None], expected: str
) -> None:
    directory = _copy(tmp_path)
    _edit(directory, file, change)
    with pytest.raises(FrameworkError, match=expected) as info:
        load_framework(directory)
    assert str(info.value).startswith(str(directory / file))


def test_duplicate_yaml_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "archetypes.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("total: 14", "total: 14\ntotal: 15"), encoding="utf-8"
    )
    with pytest.raises(FrameworkError, match=r"archetypes\.yaml: duplicate key 'total' \(line \d+\)"):
        load_framework(directory)


def test_missing_file_invalid_yaml_and_unknown_field(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "steps.yaml").unlink()
    with pytest.raises(FrameworkError, match=r"steps\.yaml: file not found"):
        load_framework(directory)
    directory = _copy(tmp_path / "b")
    (directory / "variables.yaml").write_text("variables: [\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"variables\.yaml: invalid YAML"):
        load_framework(directory)
    directory = _copy(tmp_path / "c")
    _edit(directory, "variables.yaml", lambda d: d["variables"][0].update(anchor1="typo"))
    with pytest.raises(FrameworkError, match=r"variables\[0\]\.anchor1: unknown field"):
        load_framework(directory)


def _page_ids() -> set[str]:
    """Front-matter ids of the knowledge pages (knowledge/*.md)."""
    ids = set()
    for page in FRAMEWORK_DIR.parent.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        if text.startswith("---\n"):
            front = yaml.safe_load(text[4 : text.index("\n---", 4)])
            ids.add(str(front["id"]))
    return ids


def test_every_knowledge_id_names_a_knowledge_page(framework: Framework) -> None:
    pages = _page_ids()
    referenced = {
        *(s.knowledge_id for s in framework.stall_reasons),
        *(a.knowledge_id for a in framework.archetypes),
        *(b.knowledge_id for b in framework.bridge_steps),
        *(p.knowledge_id for p in framework.process_steps),
    }
    assert len(referenced) == 15
    assert referenced - pages == set()
