"""End to end in a real browser: Playwright drives Debian's Chromium against `streamlit run app.py`.

Offline (KEYSMITH_MODEL=offline), with its own data dir: ask a question and see a cited answer, take the
self-assessment with the buttons, see the chart, download the PDF report; as a coach create a client, add
a note, draft, approve and download the advice; tell a story whose reading is unsure and answer the
diagnosis interview with its quick-reply buttons at 1400 px and on a 390 px phone, then start the
self-assessment with the replies carried over; visit each mode at 1400 px and 390 px with the mode switch at
the top of the page and no "Deploy" button. Screenshots of each step and of each mode at both widths go to
`test-artifacts/` (git-ignored; KEYSMITH_TEST_ARTIFACTS names another folder). Without
/usr/bin/chromium the test skips and says what to install — unless KEYSMITH_REQUIRE_BROWSER=1 (set by
.ci/run), where a missing browser is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_support import interview_story
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_browser
from cli_support import child_env, offline_app_env, run_cli
from processes import streamlit_app

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.browser

QUICK_REPLIES = ("Yes", "Partly", "No", "Not sure", "Skip — give me the best reading")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data dir with a built index (offline)."""
    require_browser()
    path = tmp_path_factory.mktemp("e2e-data")
    indexed = run_cli("index", cwd=ROOT, env=child_env(offline_app_env(path)))
    assert indexed.returncode == 0, indexed.stderr
    return path


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    """A real Streamlit server on a free port, offline, over `data_dir`."""
    env = child_env(offline_app_env(data_dir))
    log_path = data_dir / "streamlit.log"
    with log_path.open("wb") as log, streamlit_app(ROOT / "app.py", env, log=log) as (url, _started):
        yield url


def _launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _idle(page: Any) -> None:
    """Wait until the script run the last action started has finished and no stale element is left."""
    page.wait_for_timeout(400)  # let the click's rerun start before waiting for it to end
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_function("!document.querySelector('[data-stale=\"true\"]')")


# The mode switch at the top of the page (a segmented control, key "mode"): mode -> its button's words.
SWITCH = {"Diagnose my pilot": "Diagnose", "Self-assessment": "Self-assessment", "Coach": "Coach"}


def _switch(page: Any, label: str) -> Any:
    return page.locator(".st-key-mode").get_by_role("radio", name=SWITCH[label])


def _pick_mode(page: Any, label: str) -> None:
    _switch(page, label).click()
    page.get_by_role("heading", name=label).wait_for()
    _idle(page)


def test_manager_and_coach_in_a_real_browser(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
        page.set_default_timeout(90_000)
        page.goto(app_url)
        page.get_by_role("heading", name="Diagnose my pilot").wait_for()

        # Diagnose: a question, a cited answer with an expandable source.
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("Our invoice AI pilot was great, but the rollout to 12 regions has stalled. Why?")
        box.press("Enter")
        _idle(page)
        source = page.get_by_test_id("stExpander").filter(has_text="[1] ").first
        source.wait_for()
        source.click()
        source.locator("blockquote").first.wait_for()  # the cited passage itself is shown
        expect(page.get_by_text("Send feedback")).to_be_visible()
        _shot(page, "diagnose")

        # Self-assessment: three answers by button, one "don't know", the rest by button, then the chart.
        _pick_mode(page, "Self-assessment")
        for step in range(1, 9):
            label = "Don't know" if step == 4 else str(2 + step % 3)
            page.get_by_role("button", name=label, exact=True).click()
            _idle(page)
            if step < 8:
                page.get_by_text(f"{step} answered").wait_for()
            if step == 2:
                _shot(page, "assessment")
        page.get_by_test_id("stVegaLiteChart").first.wait_for()
        expect(page.get_by_text("Assessment complete")).to_be_visible()
        _shot(page, "scorecard")
        download_button = page.get_by_test_id("stDownloadButton").filter(has_text="Download PDF")
        with page.expect_download() as info:
            download_button.locator("button").click()
        pdf = tmp_path / "report.pdf"
        info.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")

        # Coach: create a client workspace and add a note.
        _pick_mode(page, "Coach")
        page.get_by_label("New client workspace").fill("Northwind Logistics")
        page.get_by_role("button", name="Create workspace").click()
        page.get_by_text("Client: Northwind Logistics").wait_for()
        _idle(page)
        page.get_by_role("tab", name="Notes").click()  # the coach page opens on the client's chat
        page.get_by_label("Add a note").fill("The regional leads say nobody owns the model now.")
        page.get_by_role("button", name="Add note").click()
        page.get_by_text("nobody owns the model now").wait_for()
        _shot(page, "coach")

        # Coach: draft advice, approve it, download the approved advice as PDF.
        page.get_by_role("tab", name="Draft advice").click()
        page.get_by_role("button", name="Draft advice").click()
        _idle(page)
        expect(page.get_by_label("Draft text")).to_contain_text("[coach judgment]")
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("ready to export").wait_for()
        _idle(page)
        _shot(page, "coach-advice")
        advice = page.get_by_test_id("stDownloadButton").filter(has_text="Download PDF")
        with page.expect_download() as info:
            advice.locator("button").click()
        memo = tmp_path / "advice.pdf"
        info.value.save_as(memo)
        assert memo.read_bytes().startswith(b"%PDF")
        browser.close()


@pytest.mark.parametrize("width", [1400, 390])
def test_each_mode_at_both_widths_with_the_switch_on_top_and_no_deploy_button(
    app_url: str, width: int
) -> None:
    """Issue 13, item 10: on a phone the mode switch is on the page (the sidebar starts closed), picking a
    mode opens no sidebar, and no user sees Streamlit's "Deploy" button or developer menu."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.set_default_timeout(90_000)
        page.goto(app_url)
        page.get_by_role("heading", name="Diagnose my pilot").wait_for()
        _idle(page)
        expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
        expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
        for mode in ("Self-assessment", "Coach", "Diagnose my pilot"):
            expect(_switch(page, mode)).to_be_visible()  # reachable without opening the sidebar
            expect(_switch(page, mode)).to_be_in_viewport()
            _pick_mode(page, mode)
            if width < 640:  # a phone: the sidebar stays closed, so the page is not covered
                expect(page.get_by_test_id("stSidebarContent")).not_to_be_in_viewport()
            _shot(page, f"mode-{SWITCH[mode].lower()}-{width}")
        browser.close()


def _interview(page: Any, name: str, story: str) -> None:
    """Tell the story, answer the interview with the quick-reply buttons ("No", then "Yes" to any further
    question) until the diagnosis says what decided it; screenshots `<name>-question` and `<name>-decided`."""
    from playwright.sync_api import expect

    page.get_by_role("heading", name="Diagnose my pilot").wait_for()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(story)
    box.press("Enter")
    _idle(page)
    page.get_by_text("A quick question to narrow it down (first of up to three)").wait_for()
    for label in QUICK_REPLIES:
        expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
    _shot(page, f"{name}-question")
    reply = "No"
    decided = page.get_by_text("What decided it")
    for number in ("second", "third", ""):  # at most three questions
        page.get_by_role("button", name=reply, exact=True).click()
        # Wait for what the click brings (the next question or the decision), not for the old buttons to
        # go: counting buttons right after the click raced the rerun and clicked a vanishing "Yes".
        following = page.get_by_text(f"A quick question to narrow it down ({number} of up to three)")
        (decided.or_(following) if number else decided).first.wait_for()
        _idle(page)
        if decided.count():
            break
        reply = "Yes"
    decided.wait_for()
    expect(page.get_by_text('You answered "No" to: Since the pilot').first).to_be_visible()
    expect(page.get_by_text("Governance Vacuum.").first).to_be_visible()
    expect(page.get_by_role("button", name=QUICK_REPLIES[-1], exact=True)).to_have_count(0)
    _shot(page, f"{name}-decided")


def test_the_interview_with_quick_replies_on_a_wide_screen_and_a_phone(app_url: str, data_dir: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    story = interview_story(data_dir)  # one whose reading is unsure, so the diagnosis asks about governance

    with sync_playwright() as playwright:
        browser = _launch(playwright)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.set_default_timeout(90_000)
        phone.goto(app_url)
        _interview(phone, "interview-mobile", story)

        wide = browser.new_page(viewport={"width": 1400, "height": 1000})
        wide.set_default_timeout(90_000)
        wide.goto(app_url)
        _interview(wide, "interview", story)
        wide.reload()  # the conversation comes back from the URL and the store, the question answered
        wide.get_by_text("What decided it").wait_for()
        _idle(wide)
        expect(wide.get_by_role("button", name=QUICK_REPLIES[-1], exact=True)).to_have_count(0)

        # The suggested follow-up opens the self-assessment with the interview's reply already answered.
        wide.get_by_role("button", name="Start the self-assessment", exact=True).click()
        wide.get_by_role("heading", name="Self-assessment").wait_for()
        _idle(wide)
        expect(wide.get_by_text("from your replies in the diagnosis chat")).to_contain_text("Governance (2)")
        expect(wide.get_by_text("Question 1 of 8")).to_be_visible()
        _shot(wide, "interview-assessment")
        browser.close()
