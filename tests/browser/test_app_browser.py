"""The app in a real browser: Debian's Chromium, headless, driven by Playwright; screenshots in test-output/.

Live streams a fake webcam made from a faulty sample video and must show that fault's warning; Review
processes a faulty sample and must list its warning; Tune moves that check's threshold and the warning
count must change; a bad upload must give a clear error while the app keeps working.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from appkit.y4m import write_y4m
from stretches.catalog import get_stretch
from stretches.render_clip import load_truth

from .harness import REPO, chromium, open_app, screenshot, start_camera, wait_idle

SAMPLES = Path(os.environ.get("STRETCHGUARD_SAMPLES_DIR") or REPO / "sample_videos")
LIVE_SAMPLE = "standing_backbend_fault"  # upright people, a clear depth fault: the live path's showcase
REVIEW_SAMPLE = "standing_backbend_fault"
LEAD_IN_S = 4.0  # fake-camera clip starts this long before the hold that contains the fault
LEAD_OUT_S = 2.0  # and ends this long after the fault
CAMERA_START_S = 0.5  # about when the first frame arrives after START (the probe measured ~1 s)
LIVE_PASSES = 6  # the clip loops: early passes may go to loading the model and finding both people
TIMING_SLACK_S = 2.5  # clip-time uncertainty: camera start, processing delay, the panel's 0.5 s refresh


def sample(name: str) -> tuple[Path, object]:
    video = SAMPLES / f"{name}.mp4"
    if not video.is_file():
        pytest.fail(f"sample video missing: {video} (build it with python -m stretches.samples)")
    truth = load_truth(video)
    assert truth.faults, f"{name} has no fault in its ground truth"
    return video, truth


def choose(page: Page, label: str, option: str, timeout_s: float = 60.0) -> None:
    """Pick `option` in the Streamlit selectbox labelled `label`.

    A dropdown opened while a script run is still redrawing the page can show the previous options, so
    close it and try again until the option is there.
    """
    box = page.locator("[data-testid='stSelectbox']").filter(
        has=page.get_by_text(label, exact=True)).first
    wanted = page.get_by_role("option", name=option, exact=True)
    deadline = time.monotonic() + timeout_s
    while True:
        wait_idle(page)
        box.click()
        try:
            wanted.click(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            if time.monotonic() > deadline:
                raise
    wait_idle(page)


def no_exceptions(page: Page) -> None:
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()


@dataclass(frozen=True)
class LiveClip:
    path: Path
    check_id: str
    duration_s: float
    fault_s: tuple[float, float]  # the fault's span in clip time


@pytest.fixture(scope="module")
def live_clip(tmp_path_factory: pytest.TempPathFactory) -> LiveClip:
    video, truth = sample(LIVE_SAMPLE)
    fault = truth.faults[0]
    hold_start = max((h["start_s"] for h in truth.holds if h["start_s"] <= fault.start_s), default=0.0)
    start_s = max(0.0, hold_start - LEAD_IN_S)
    end_s = min(truth.duration_s, fault.end_s + LEAD_OUT_S)
    out = tmp_path_factory.mktemp("y4m") / f"{LIVE_SAMPLE}.y4m"
    frames = write_y4m(video, out, width=640, height=480, fps=30, start_s=start_s, end_s=end_s)
    return LiveClip(out, fault.check_id, frames / 30, (fault.start_s - start_s, fault.end_s - start_s))


def test_live_shows_the_fault_warning_and_records(app_server, playwright_instance, live_clip,
                                                  app_dirs) -> None:
    stretch = get_stretch(live_clip.check_id.split(".")[0])
    with chromium(playwright_instance, live_clip.path) as browser:
        page = open_app(browser, app_server.url)
        choose(page, "Stretch", stretch.name)
        start_camera(page)
        started = time.monotonic()  # the fake camera starts its file when the stream starts
        expect(page.get_by_text(re.compile(r"[1-9]\d* people"))).to_be_visible(timeout=30_000)
        record = page.get_by_role("button", name="Start recording")
        expect(record).to_be_enabled(timeout=10_000)
        record.click()
        expect(page.get_by_text("Recording to")).to_be_visible(timeout=10_000)
        # The warning must show while the looping clip is in its fault, within LIVE_PASSES passes.
        warning = page.locator(".sg-banner").filter(has_text=live_clip.check_id)
        low, high = live_clip.fault_s[0] - TIMING_SLACK_S, live_clip.fault_s[1] + TIMING_SLACK_S
        seen_at: list[float] = []
        in_fault = False
        while not in_fault and time.monotonic() - started < LIVE_PASSES * live_clip.duration_s + 15:
            if warning.count():
                clip_t = (time.monotonic() - started - CAMERA_START_S) % live_clip.duration_s
                seen_at.append(round(clip_t, 1))
                in_fault = low <= clip_t <= high
            time.sleep(0.25)
        captions = page.locator("[data-testid='stCaptionContainer']").filter(has_text="frames/s")
        stats = captions.first.inner_text()
        report = f"{live_clip.check_id} seen at clip times {seen_at}; fault {live_clip.fault_s}; {stats}"
        print(report)
        screenshot(page, "live_warning")
        assert in_fault, f"no warning during the fault: {report}"
        no_exceptions(page)
        page.get_by_role("button", name="Stop recording").click()
        expect(page.get_by_text("Saved:")).to_be_visible(timeout=30_000)
    sessions = [p for p in app_dirs["sessions"].iterdir() if p.is_dir()]
    assert len(sessions) == 1
    saved = sessions[0]
    meta = json.loads((saved / "session.json").read_text())
    assert meta["stretch"] == stretch.id and meta["complete"] is True
    assert (saved / "track.npz").is_file() and (saved / "video.mp4").stat().st_size > 0
    assert live_clip.check_id in (saved / "events.jsonl").read_text()


def test_review_processes_a_sample_and_lists_its_warning(app_server, playwright_instance) -> None:
    video, truth = sample(REVIEW_SAMPLE)
    check_id = truth.faults[0].check_id
    with chromium(playwright_instance) as browser:
        page = open_app(browser, f"{app_server.url}/review")
        choose(page, "Sample", video.name)
        page.get_by_role("button", name="Process video").click()
        expect(page.get_by_text("Warnings and holds", exact=True)).to_be_visible(timeout=600_000)
        wait_idle(page)
        try:
            expect(page.locator(".sg-banner").filter(has_text=check_id).first).to_be_visible(timeout=30_000)
            expect(page.get_by_role("button", name="Events (JSON)")).to_be_visible()
        finally:
            screenshot(page, "review_warnings")
        no_exceptions(page)


def metric_value(page: Page, label: str) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().strip())


@pytest.fixture()
def processed_sample(app_dirs) -> tuple[Path, object]:
    """The Review sample in the app's cache (already there when the Review test ran: then no inference)."""
    from appkit import analysis

    video, truth = sample(REVIEW_SAMPLE)
    previous = os.environ.get(analysis.CACHE_ENV)
    os.environ[analysis.CACHE_ENV] = str(app_dirs["cache"])
    try:
        analysis.analyze_cached(video, truth.stretch, label=video.name)
    finally:
        if previous is None:
            os.environ.pop(analysis.CACHE_ENV)
        else:
            os.environ[analysis.CACHE_ENV] = previous
    return video, truth


def test_tune_moves_a_threshold_and_the_warning_count_changes(app_server, playwright_instance,
                                                              processed_sample, app_dirs) -> None:
    video, truth = processed_sample
    check = get_stretch(truth.stretch).check(truth.faults[0].check_id)
    with chromium(playwright_instance) as browser:
        page = open_app(browser, f"{app_server.url}/tune")
        choose(page, "Stretch", get_stretch(truth.stretch).name)
        choose(page, "Check", f"{check.title} ({check.id})")
        before = metric_value(page, "Warnings for this check")
        assert before >= 1, "the faulty sample should warn at the default threshold"
        slider = page.get_by_role("slider").first
        slider.focus()
        # Make the check as lenient as the slider allows: the fault no longer counts.
        page.keyboard.press("End" if check.direction == "above" else "Home")
        deadline = time.monotonic() + 30
        after = before
        while time.monotonic() < deadline and after == before:
            time.sleep(0.5)
            wait_idle(page)
            after = metric_value(page, "Warnings for this check")
        screenshot(page, "tune_threshold_moved")
        assert after < before
        no_exceptions(page)

        # Save it as a named profile (TOML), reset to defaults, load it back.
        page.get_by_label("Save these thresholds as").fill("lenient-test")
        page.get_by_label("Save these thresholds as").press("Enter")
        wait_idle(page)
        expect(page.get_by_role("button", name="Save profile")).to_be_enabled()
        page.get_by_role("button", name="Save profile").click()
        expect(page.locator("[data-testid='stAlert']").filter(has_text="lenient-test.toml")).to_be_visible()
        saved = (app_dirs["profiles"] / "lenient-test.toml").read_text()
        assert f"[{check.id}]" in saved and "threshold" in saved
        page.get_by_role("button", name="Reset all to defaults").click()
        wait_idle(page)
        expect(page.locator("[data-testid='stMetric']").filter(has_text="Warnings for this check")
               .locator("[data-testid='stMetricValue']")).to_have_text(str(before))
        choose(page, "Saved profiles", "lenient-test")
        expect(page.get_by_role("button", name="Load profile")).to_be_enabled()
        page.get_by_role("button", name="Load profile").click()
        wait_idle(page)
        expect(page.locator("[data-testid='stMetric']").filter(has_text="Warnings for this check")
               .locator("[data-testid='stMetricValue']")).to_have_text(str(after))
        screenshot(page, "tune_profile_loaded")
        no_exceptions(page)


def test_a_bad_upload_shows_a_clear_error_and_the_app_keeps_working(app_server, playwright_instance,
                                                                    tmp_path: Path) -> None:
    bogus = tmp_path / "holiday.mp4"
    bogus.write_bytes(b"this is a text file wearing a video's name\n" * 200)
    with chromium(playwright_instance) as browser:
        page = open_app(browser, f"{app_server.url}/review")
        page.get_by_text("Upload", exact=True).click()
        wait_idle(page)
        page.locator("input[type='file']").set_input_files(str(bogus))
        error = page.locator("[data-testid='stAlert']").filter(has_text="cannot be read as a video")
        expect(error).to_be_visible(timeout=30_000)
        screenshot(page, "bad_upload")
        no_exceptions(page)
        # Still working: another source and another page respond normally.
        page.get_by_text("Sample video", exact=True).click()
        wait_idle(page)
        expect(page.get_by_text("Sample", exact=True)).to_be_visible()
        page.get_by_role("link", name="Screening").click()
        wait_idle(page)
        page.get_by_text("Are you pregnant?").click()
        page.get_by_role("button", name="Check stretches").click()
        wait_idle(page)
        expect(page.locator(".sg-banner").filter(has_text="Not suitable").first).to_be_visible()
        no_exceptions(page)
