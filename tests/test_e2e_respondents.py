"""End to end in a real browser: a coach's client file over time and with two respondents.

Playwright drives Debian's Chromium against `streamlit run app.py` (offline, its own data dir). Two
assessments are recorded with `keysmith assess --workspace WS --answers FILE`; the coach page shows the
trend chart and what changed since last time. The coach makes two respondent links (Sponsor, Front line);
each opens, in a fresh browser context (no cookies, no session), only that respondent's eight questions
and nothing of the workspace; they answer 4 and 1 on change management; the coach page then shows the
perception gap. A made-up token shows one message and no form. Screenshots go to `test-artifacts/`.
Without /usr/bin/chromium the test skips (fails under KEYSMITH_REQUIRE_BROWSER=1), like test_e2e_browser.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_browser
from cli_support import child_env, offline_app_env, run_cli
from processes import streamlit_app

from keysmith.store import Store

ROOT = Path(__file__).resolve().parents[1]
CLIENT = "Canary Logistics " + uuid.uuid4().hex[:6]
VARIABLES = (
    "technology_fit",
    "team_capability",
    "data_infrastructure",
    "process_integration",
    "governance",
    "change_management",
    "organizational_readiness",
    "economics",
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh indexed data dir with a client workspace and two assessments recorded from the CLI."""
    require_browser()
    path = tmp_path_factory.mktemp("e2e-respondents")
    env = child_env(offline_app_env(path))
    indexed = run_cli("index", cwd=ROOT, env=env)
    assert indexed.returncode == 0, indexed.stderr
    store = Store(f"sqlite:///{path / 'keysmith.db'}")
    store.create_workspace(CLIENT)
    store.close()
    for number, governance in ((1, 1), (2, 4)):
        answers = path / f"answers-{number}.json"
        answers.write_text(json.dumps({"answers": dict.fromkeys(VARIABLES, 2) | {"governance": governance}}))
        done = run_cli("assess", "--workspace", CLIENT, "--answers", str(answers), cwd=ROOT, env=env)
        assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    env = child_env(offline_app_env(data_dir))
    with (
        (data_dir / "streamlit.log").open("wb") as log,
        streamlit_app(ROOT / "app.py", env, log=log) as (
            url,
            _started,
        ),
    ):
        yield url


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _idle(page: Any) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_function("!document.querySelector('[data-stale=\"true\"]')")


def _workspace_id(data_dir: Path) -> str:
    store = Store(f"sqlite:///{data_dir / 'keysmith.db'}")
    try:
        return next(w.id for w in store.list_workspaces() if w.name == CLIENT)
    finally:
        store.close()


def _open_assessments(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_text(f"Client: {CLIENT}").wait_for()
    _idle(page)
    page.get_by_role("tab", name="Assessments").click()
    _idle(page)


def _new_link(page: Any, role: str) -> str:
    page.get_by_label("Role", exact=True).fill(role)
    page.get_by_role("button", name="Create respondent link").click()
    page.get_by_text(f"Link for {role}").wait_for()
    _idle(page)
    link = str(page.get_by_test_id("stCode").last.inner_text()).strip()
    assert "?respond=" in link
    return link


def _respond(browser: Any, link: str, role: str, change_management: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 1600})  # a phone, no shared cookies
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(link)
    page.get_by_text(f"You are answering as {role}").wait_for()
    _idle(page)
    radios = page.get_by_test_id("stRadio")
    expect(radios).to_have_count(8)
    for index, variable in enumerate(VARIABLES):
        choice = change_management if variable == "change_management" else "3"
        radios.nth(index).get_by_text(choice, exact=True).click()
    body = page.locator("body").inner_text()
    assert CLIENT not in body and "Client:" not in body and "Workspace" not in body
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("answers recorded").wait_for()
    _shot(page, f"respondent-{role.lower().replace(' ', '-')}")
    context.close()


def test_history_and_two_respondents_in_a_real_browser(app_url: str, data_dir: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    coach_url = f"{app_url}/?ws={_workspace_id(data_dir)}&mode=coach"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        page.set_default_timeout(90_000)
        _open_assessments(page, coach_url)
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()  # the trend chart
        expect(page.get_by_text("What changed since last time")).to_be_visible()
        expect(page.get_by_text("Governance rose from 1 to 4")).to_be_visible()
        _shot(page, "coach-history")

        sponsor = _new_link(page, "Sponsor")
        front = _new_link(page, "Front line")
        assert sponsor != front and sponsor.startswith(app_url)
        _respond(browser, sponsor, "Sponsor", "4")
        _respond(browser, front, "Front line", "1")

        _open_assessments(page, coach_url)
        expect(page.get_by_text("Perception gap on Change management")).to_be_visible()
        expect(page.get_by_text("Why it matters:").first).to_be_visible()
        _shot(page, "coach-respondents-gap")

        stranger = browser.new_page()
        stranger.goto(f"{app_url}/?respond={uuid.uuid4().hex}")
        stranger.get_by_text("This link does not open a questionnaire").wait_for()
        _idle(stranger)
        expect(stranger.get_by_test_id("stRadio")).to_have_count(0)
        assert CLIENT not in stranger.locator("body").inner_text()
        browser.close()
