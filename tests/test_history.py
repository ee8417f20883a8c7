"""Assessments over time: the pure changes per variable and per score, 'what changed since last time', and
a workspace's history read from the store (canary: another workspace's assessments never enter it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

from keysmith.assessment.history import Snapshot, build_history, change_lines

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _snap(ident: str, days: int, scores: dict[str, float | None], answers: dict[str, int | None]) -> Snapshot:
    return Snapshot(ident, T0 + timedelta(days=days), scores, answers)


def test_changes_since_previous_and_since_first_in_date_order() -> None:
    third = _snap("c", 60, {"pilot": 70.0, "production": 55.5}, {"governance": 4, "economics": 3})
    first = _snap("a", 0, {"pilot": 60.0, "production": 40.0}, {"governance": 1, "economics": None})
    second = _snap("b", 30, {"pilot": 65.0, "production": 45.25}, {"governance": 2, "economics": 3})
    history = build_history([third, first, second])
    assert [e.snapshot.id for e in history] == ["a", "b", "c"]
    assert [e.number for e in history] == [1, 2, 3]
    assert history[0].since_previous is None and history[0].since_first is None
    latest = history[2]
    assert latest.since_previous is not None and latest.since_first is not None
    assert latest.since_previous.scores == {"pilot": 5.0, "production": 10.25}
    assert latest.since_first.scores == {"pilot": 10.0, "production": 15.5}
    assert latest.since_previous.variables == {"governance": 2, "economics": 0}
    assert latest.since_first.variables == {"governance": 3, "economics": None}  # "don't know" at first


def test_history_json_item_has_date_scores_and_deltas() -> None:
    history = build_history(
        [_snap("a", 0, {"production": 40.0}, {"governance": 1}), _snap("b", 7, {"production": 50.0}, {})]
    )
    item = history[1].to_dict()
    assert item["date"] == "2026-03-08T09:00:00+00:00"
    assert item["scores"] == {"production": 50.0}
    assert item["deltas"]["since_previous"] == {
        "scores": {"production": 10.0},
        "variables": {"governance": None},
    }
    assert history[0].to_dict()["deltas"] == {"since_previous": None, "since_first": None}


def test_what_changed_since_last_time_lines() -> None:
    history = build_history(
        [
            _snap("a", 0, {"pilot": 60.0, "production": 40.0}, {"governance": 1, "economics": 4, "data": 3}),
            _snap("b", 9, {"pilot": 60.0, "production": 52.5}, {"governance": 4, "economics": 3, "data": 3}),
        ]
    )
    lines = change_lines(history, {"governance": "Governance", "economics": "Economics"})
    assert lines == [
        "Pilot-stage readiness is unchanged at 60 out of 100. [score]",
        "Production readiness went from 40 to 52.5 out of 100 (+12.5). [score]",
        "Governance rose from 1 to 4 (out of 5). [score]",
        "Economics fell from 4 to 3 (out of 5). [score]",
    ]


def test_no_lines_before_a_second_assessment_and_a_still_client_says_so() -> None:
    one = _snap("a", 0, {"production": 40.0}, {"governance": 2})
    assert change_lines(build_history([one]), {}) == []
    same = _snap("b", 3, {"production": 40.0}, {"governance": 2})
    assert change_lines(build_history([one, same]), {})[-1] == (
        "No answer changed since the previous assessment. [score]"
    )


def test_a_workspace_history_comes_from_its_own_completed_assessments(tmp_path: Path) -> None:
    from keysmith.config import Settings
    from keysmith.framework import load_framework
    from keysmith.store import Store
    from keysmith.store.history import record_assessment, workspace_history

    framework = load_framework(Settings.from_env({"KEYSMITH_DATA_DIR": str(tmp_path)}).framework_dir)
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    client, other = store.create_workspace("Client"), store.create_workspace("Canary other")
    low = dict.fromkeys(framework.variable_ids, 2)
    record_assessment(store, client.id, low, framework)
    record_assessment(store, other.id, dict.fromkeys(framework.variable_ids, 5), framework)
    record_assessment(store, client.id, low | {"governance": 5}, framework)
    unfinished = store.create_session(client.id, "assessment")
    store.save_assessment(client.id, unfinished.id, {"answers": {"governance": 1}}, None)
    history = workspace_history(store, client.id)
    assert len(history) == 2  # the other workspace's and the unfinished assessment are not in it
    assert history[1].since_previous is not None
    assert history[1].since_previous.variables["governance"] == 3
    assert all(e.snapshot.answers["economics"] == 2 for e in history)
    production = history[1].since_previous.scores["production"]
    assert production is not None and production > 0
    store.close()


def test_the_changes_go_before_the_next_step_once() -> None:
    from keysmith.assessment.history import CHANGES_HEADING, with_changes

    body = "# Review\n\n## Where it stands\n- a [score]\n\n## Suggested next step\n- b [coach judgment]\n"
    lines = ["Governance rose from 1 to 4 (out of 5). [score]"]
    changed = with_changes(body, lines)
    assert changed.index(CHANGES_HEADING) < changed.index("## Suggested next step")
    assert "- Governance rose from 1 to 4 (out of 5). [score]\n" in changed
    assert with_changes(changed, lines) == changed  # never twice
    assert with_changes(body, []) == body
    plain = with_changes("Dear team,\n\nA line. [score]\n", lines)
    assert plain.endswith(f"{CHANGES_HEADING}\n- {lines[0]}\n")


def test_a_failed_save_leaves_no_empty_session(tmp_path: Path) -> None:
    import pytest

    from keysmith.config import Settings
    from keysmith.errors import StoreError
    from keysmith.framework import load_framework
    from keysmith.store import Store
    from keysmith.store.history import record_assessment

    class SaveFails(Store):
        def save_assessment(self, *args: object, **kwargs: object) -> NoReturn:
            raise StoreError("database is locked")

    framework = load_framework(Settings.from_env({"KEYSMITH_DATA_DIR": str(tmp_path)}).framework_dir)
    store = SaveFails(f"sqlite:///{tmp_path / 'k.db'}")
    ws = store.create_workspace("Save fails")
    with pytest.raises(StoreError, match="database is locked"):
        record_assessment(store, ws.id, dict.fromkeys(framework.variable_ids, 3), framework)
    assert store.list_sessions(ws.id) == [] and store.list_assessments(ws.id) == []
    store.close()
