"""Several respondents: the pure spread/gap/combined maths, and respondent links in the store (SQLite and a
real PostgreSQL), including the token canaries: a token opens one respondent and nothing else."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from postgres import postgres_server_url, postgres_url  # noqa: F401  (fixtures)

from keysmith.assessment.respondents import (
    Response,
    combine,
    combined_answers,
    gap_finding,
    gaps,
    role_answers,
    spreads,
    why_it_matters,
)
from keysmith.errors import InvalidLinkError, StoreError
from keysmith.framework import Framework
from keysmith.store import Store
from keysmith.store.respondents import token_digest

IDS = ("change_management", "governance", "economics")


# -- pure ---------------------------------------------------------------------------------------------------


def test_roles_are_averaged_and_grouped_case_insensitively() -> None:
    responses = [
        Response("Front line", {"change_management": 1, "governance": None}),
        Response("front  line", {"change_management": 2, "governance": None}),
        Response("Sponsor", {"change_management": 4, "governance": 3}),
    ]
    roles = role_answers(responses, IDS)
    assert roles == {
        "Front line": {"change_management": 1.5, "governance": None, "economics": None},
        "Sponsor": {"change_management": 4.0, "governance": 3.0, "economics": None},
    }
    by_variable = {s.variable: s for s in spreads(roles, IDS)}
    assert (by_variable["change_management"].low, by_variable["change_management"].high) == (1.5, 4.0)
    assert by_variable["change_management"].width == 2.5
    assert by_variable["governance"].roles_answered == 1 and by_variable["economics"].width is None


def test_gaps_are_two_points_or_more_strongest_first() -> None:
    roles = {
        "Sponsor": {"change_management": 4.0, "governance": 5.0, "economics": 3.0},
        "Front line": {"change_management": 1.0, "governance": 3.0, "economics": 2.0},
        "IT": {"change_management": 2.0, "governance": 4.0, "economics": None},
    }
    found = gaps(roles, IDS)
    assert [g.variable for g in found] == ["change_management", "governance"]  # 3 points, then 2; not 1
    assert found[0].to_dict() == {
        "variable": "change_management",
        "min": 1.0,
        "max": 4.0,
        "roles": {"Sponsor": 4.0, "IT": 2.0, "Front line": 1.0},
    }
    text = gap_finding(found[0], "Change management")
    assert "Change management" in text and "3 points apart" in text and "Front line 1" in text


def test_a_variable_only_one_role_answered_is_never_a_gap() -> None:
    assert gaps({"A": {"governance": 5.0}, "B": {"governance": None}}, ["governance"]) == []


def test_combined_answers_round_half_up_and_cover_only_answered() -> None:
    roles = {"A": {"governance": 2.0, "economics": None}, "B": {"governance": 3.0, "economics": None}}
    assert combined_answers(roles, ["governance", "economics"]) == {"governance": 3, "economics": None}


def test_combined_score_and_role_coverage(framework: Framework) -> None:
    everything = dict.fromkeys(framework.variable_ids, 3)
    responses = [
        Response("Sponsor", everything | {"change_management": 5}),
        Response("Front line", {"change_management": 1}),
    ]
    combined = combine(responses, framework)
    assert combined.answers["change_management"] == 3  # (5 + 1) / 2
    assert combined.coverage.roles == 2
    assert combined.coverage.per_variable["change_management"] == 2
    assert combined.coverage.per_variable["economics"] == 1
    production = combined.report.to_dict()["profiles"]["production"]
    assert production["score"] == 50.0 and production["coverage"] == 1.0


def test_why_a_gap_matters_comes_from_the_framework(framework: Framework) -> None:
    why = why_it_matters("change_management", framework)
    variable = framework.variable("change_management")
    assert why["help"] == variable.help
    reason = framework.stall_reason(why["stall_reason"])
    assert "change_management" in reason.signal_variables
    assert why["source"] == f"knowledge/{reason.knowledge_id}.md"


# -- store --------------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'keysmith.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store(url)
    yield opened
    opened.close()


def test_a_token_opens_its_own_respondent_only(store: Store) -> None:
    client = store.create_workspace("Canary client CANARY-WS-7731")
    other = store.create_workspace("Other client")
    sponsor, sponsor_token = store.create_respondent_link(client.id, "Sponsor", "Dana")
    front, front_token = store.create_respondent_link(client.id, "Front line")
    store.create_respondent_link(other.id, "IT")
    assert sponsor_token != front_token and len(sponsor_token) >= 40
    opened = store.open_respondent_link(sponsor_token)
    assert opened is not None and (opened.id, opened.role, opened.name) == (sponsor.id, "Sponsor", "Dana")
    assert store.open_respondent_link(front_token).id == front.id  # type: ignore[union-attr]
    assert store.open_respondent_link(sponsor_token[:-1] + "x") is None
    assert store.open_respondent_link("") is None
    saved = store.save_respondent_answers(sponsor_token, {"change_management": 4, "governance": None})
    assert saved.answers == {"change_management": 4, "governance": None}
    front_now = next(r for r in store.list_respondents(client.id) if r.id == front.id)
    assert front_now.answers is None  # the sponsor's token wrote only the sponsor's answers
    assert store.list_respondents(other.id)[0].answers is None


def test_only_the_hash_of_a_token_is_stored(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    ws = store.create_workspace("Hashing")
    _, token = store.create_respondent_link(ws.id, "IT")
    store.close()
    connection = sqlite3.connect(tmp_path / "k.db")
    rows = connection.execute("SELECT * FROM respondents").fetchall()
    connection.close()
    assert token not in repr(rows) and token_digest(token) in repr(rows)


def test_expired_and_revoked_links_open_nothing_and_write_nothing(store: Store) -> None:
    ws = store.create_workspace("Expiry")
    revoked, revoked_token = store.create_respondent_link(ws.id, "Sponsor")
    _, expiring_token = store.create_respondent_link(ws.id, "IT", days=1)
    store.revoke_respondent(ws.id, revoked.id)
    assert store.open_respondent_link(revoked_token) is None
    with pytest.raises(InvalidLinkError, match="not valid any more"):
        store.save_respondent_answers(revoked_token, {"governance": 3})
    later = store._clock.now() + timedelta(days=1, seconds=1)
    store._clock._last = later  # the clock never goes back, so this moves "now" past the expiry
    assert store.open_respondent_link(expiring_token) is None
    statuses = {r.role: r.status(later) for r in store.list_respondents(ws.id)}
    assert statuses == {"Sponsor": "revoked", "IT": "expired"}


def test_saving_through_an_expired_link_is_refused_and_writes_nothing(store: Store) -> None:
    ws = store.create_workspace("Expired save")
    _, token = store.create_respondent_link(ws.id, "IT", days=1)
    store._clock._last = store._clock.now() + timedelta(days=1, seconds=1)  # past the expiry
    with pytest.raises(InvalidLinkError, match="not valid any more"):
        store.save_respondent_answers(token, {"governance": 3})
    assert [r.answers for r in store.list_respondents(ws.id)] == [None]


def test_links_default_to_fourteen_days(store: Store) -> None:
    ws = store.create_workspace("Default expiry")
    made, _ = store.create_respondent_link(ws.id, "Pilot team")
    assert made.expires is not None and made.expires - made.created == timedelta(days=14)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, ws: s.create_respondent_link(ws, ""), "role: expected 1..80"),
        (lambda s, ws: s.create_respondent_link(ws, "IT", days=0), "days: expected 1..365, got 0"),
        (lambda s, ws: s.add_respondent_answers(ws, "IT", {"governance": 7}), "governance: expected 1..5"),
        (lambda s, ws: s.add_respondent_answers(ws, "IT", {"governance": 2.0}), "got 2.0"),
        (lambda s, ws: s.revoke_respondent(ws, "nope"), "respondent 'nope' not found"),
    ],
)
def test_bad_respondent_values_name_the_value(store: Store, call: object, message: str) -> None:
    ws = store.create_workspace("Bad values")
    with pytest.raises(StoreError, match=message):
        call(store, ws.id)  # type: ignore[operator]


def test_respondents_are_scoped_and_deleted_with_their_workspace(store: Store) -> None:
    first, second = store.create_workspace("First"), store.create_workspace("Second")
    entered = store.add_respondent_answers(first.id, "Sponsor", {"economics": 2}, name="Ann")
    assert entered.status(entered.created) == "entered" and entered.answers == {"economics": 2}
    assert store.list_respondents(second.id) == []
    with pytest.raises(StoreError, match="not found in workspace"):
        store.revoke_respondent(second.id, entered.id)
    store.delete_workspace(first.id)
    assert store.list_respondents(first.id) == []


def test_a_database_from_before_respondents_gets_the_table_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store(f"sqlite:///{path}")
    ws = store.create_workspace("Older client")
    store.close()
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE respondents")  # as a Keysmith from before respondent links left it
    connection.commit()
    connection.close()
    reopened = Store(f"sqlite:///{path}")
    assert reopened.get_workspace(ws.id).name == "Older client"
    made, token = reopened.create_respondent_link(ws.id, "Sponsor")
    assert reopened.open_respondent_link(token) == made
    reopened.close()
