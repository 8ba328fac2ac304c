"""Start the app on a free localhost port and drive Debian's Chromium with Playwright.

Chromium gets a fake camera that plays a .y4m file (looped) and auto-accepts the camera prompt.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, FrameLocator, Page, Playwright, expect

REPO = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO / "test-output" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
WEBRTC_IFRAME_TITLE = "streamlit_webrtc.component.webrtc_streamer"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StreamlitServer:
    """`streamlit run <app>` with the README's flags on a free port; logs go to test-output/browser/."""

    def __init__(self, app: Path, env: dict[str, str], log_name: str = "streamlit.log") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = OUTPUT_DIR / log_name
        self._log = self.log_path.open("w")
        streamlit = Path(sys.executable).with_name("streamlit")
        self.process = subprocess.Popen(
            [str(streamlit), "run", str(app), "--server.headless=true", "--browser.gatherUsageStats=false",
             "--server.address=127.0.0.1", f"--server.port={self.port}", "--logger.level=info"],
            cwd=REPO, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"streamlit not healthy after {timeout_s} s; see {self.log_path}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def chromium(playwright: Playwright, fake_video: Path | None = None) -> Iterator[Browser]:
    args = list(CHROMIUM_ARGS)
    if fake_video is not None:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={fake_video}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        yield browser
    finally:
        browser.close()


def open_app(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(url)
    wait_idle(page)
    return page


def wait_idle(page: Page, timeout_ms: int = 60_000) -> None:
    """Wait until the app has rendered and no script run is in progress."""
    page.wait_for_timeout(300)  # a run just triggered by a click may not have shown its status yet
    page.locator("[data-testid='stApp']").wait_for(timeout=timeout_ms)
    page.wait_for_function(
        "() => { const w = document.querySelector(\"[data-testid='stStatusWidget']\");"
        " return !w || !/Running|Connecting/i.test(w.innerText); }",
        timeout=timeout_ms,
    )


def webrtc_frame(page: Page) -> FrameLocator:
    return page.frame_locator(f"iframe[title='{WEBRTC_IFRAME_TITLE}']")


def start_camera(page: Page) -> None:
    frame = webrtc_frame(page)
    start = frame.get_by_role("button", name=re.compile("^start$", re.IGNORECASE))
    start.click(timeout=30_000)
    stop = frame.get_by_role("button", name=re.compile("^stop$", re.IGNORECASE))
    expect(stop).to_be_visible(timeout=30_000)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page: Streamlit scrolls inside its own container, so grow the viewport to fit it."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"{name}.png"
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        "() => { const m = document.querySelector(\"[data-testid='stMain']\");"
        " return m ? m.scrollHeight : 0; }")
    page.set_viewport_size({"width": size["width"], "height": int(min(max(height, size["height"]), 8000))})
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
    return path
