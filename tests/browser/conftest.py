"""Browser-test fixtures: one app server per test session (its own cache, sessions and profile folders)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect, sync_playwright

from .harness import CHROMIUM, OUTPUT_DIR, REPO, StreamlitServer

# Two shared cores, other work running: give every page change up to 30 s instead of Playwright's 5 s.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/dev.sh test does)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def app_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("app")
    return {name: root / name for name in ("cache", "sessions", "profiles")}


@pytest.fixture(scope="session")
def app_server(app_dirs: dict[str, Path]) -> Iterator[StreamlitServer]:
    shutil.rmtree(OUTPUT_DIR, ignore_errors=True)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        "STRETCHGUARD_ANALYSIS_DIR": str(app_dirs["cache"]),
        "STRETCHGUARD_SESSIONS_DIR": str(app_dirs["sessions"]),
        "STRETCHGUARD_PROFILES_DIR": str(app_dirs["profiles"]),
    }
    server = StreamlitServer(REPO / "app.py", env)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()
