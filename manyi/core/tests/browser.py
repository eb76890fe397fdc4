"""Scaffolding of the browser tests (Debian's chromium through Playwright): the `browser`
fixture, logging a user in, and screenshots for a human to look at.

A test module gets the `browser` fixture by importing it under its function's name (so that
tests taking a `browser` argument do not shadow the import):

    from manyi.core.tests.browser import browser_fixture  # noqa: F401

Screenshots go to `screenshots/` at the repository root (gitignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told it is safe, which it is here (one thread, no concurrent coroutines).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[3] / "screenshots"
PASSWORD = "pass-1234"  # the factories' password
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(name="browser")
def browser_fixture() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    """Log `username` in through the login page and wait for the home page."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#id_password")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base}/")


def shot(page: Any, name: str) -> None:
    """A full-page screenshot to `screenshots/<name>.png`."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
