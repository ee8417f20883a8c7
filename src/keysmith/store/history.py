"""A workspace's assessments over time, read from (and recorded into) the store.

- `workspace_history(store, workspace_id)`: the workspace's COMPLETED assessments (those with a score report;
  one still being answered has no scores to compare) as `assessment.history` entries, oldest first, dated by
  when each was started. Only this workspace's assessments are read (`Store.list_assessments` is scoped).
- `record_assessment(store, workspace_id, answers, framework)`: a finished assessment from an answers file
  (`keysmith assess --workspace WS --answers FILE`), stored like one taken in the app: its own assessment
  session, the state (so the app can open it) and the full score report.
- `respondent_responses(store, workspace_id)`: the answered respondents as `assessment.respondents` inputs.
"""

from __future__ import annotations

from collections.abc import Mapping

from keysmith import assessment
from keysmith.assessment.history import PROFILES, Entry, Snapshot, build_history
from keysmith.assessment.respondents import Response
from keysmith.diagnosis import full_report
from keysmith.framework import Framework
from keysmith.store import Store
from keysmith.store.records import Assessment
from keysmith.store.respondents import iter_answered


def _answers(item: Assessment) -> dict[str, int | None]:
    raw = (item.report or {}).get("answers")
    if not isinstance(raw, dict):
        raw = item.state.get("answers")
    if not isinstance(raw, dict):
        return {}
    return {str(k): v if isinstance(v, int) and not isinstance(v, bool) else None for k, v in raw.items()}


def _scores(report: Mapping[str, object]) -> dict[str, float | None]:
    profiles = report.get("profiles")
    found = profiles if isinstance(profiles, dict) else {}
    scores: dict[str, float | None] = {}
    for profile in PROFILES:
        value = (found.get(profile) or {}).get("score")
        scores[profile] = float(value) if isinstance(value, int | float) else None
    return scores


def snapshot(item: Assessment) -> Snapshot:
    """The history snapshot of a completed stored assessment."""
    return Snapshot(item.id, item.created, _scores(item.report or {}), _answers(item))


def workspace_history(store: Store, workspace_id: str) -> tuple[Entry, ...]:
    """The workspace's completed assessments, oldest first, with their changes."""
    done = [snapshot(a) for a in store.list_assessments(workspace_id) if a.report]
    return build_history(done)


def record_assessment(
    store: Store,
    workspace_id: str,
    answers: Mapping[str, int | None],
    framework: Framework,
    *,
    title: str = "Assessment (from the command line)",
) -> Assessment:
    """Store validated `answers` as a finished assessment of the workspace; returns it.

    All or nothing: the session is created only after the answers are scored, and deleted again when the
    assessment cannot be saved (the error is re-raised), so a failure leaves no empty session behind."""
    state = assessment.start(framework)
    for variable, value in answers.items():
        state = assessment.answer(state, variable, value).state
    report = full_report(dict(answers), framework)
    session = store.create_session(workspace_id, "assessment", title)
    try:
        return store.save_assessment(workspace_id, session.id, state.to_dict(), report, model_used="offline")
    except Exception:
        store.delete_session(workspace_id, session.id)
        raise


def respondent_responses(store: Store, workspace_id: str) -> list[Response]:
    """Every answered respondent of the workspace, oldest first."""
    return [
        Response(r.role, dict(r.answers or {}), r.name)
        for r in iter_answered(store.list_respondents(workspace_id))
    ]
