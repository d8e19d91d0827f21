"""Shared test settings: hypothesis runs derandomized (the same examples every run)."""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "100")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Chromium's flags for the browser tests: headless, and nothing that reaches for the network."""


def require(available: bool, what: str) -> None:
    """Skip a test whose tool is missing, saying why; in CI (CI=true) fail instead of skipping."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI (CI=true) but missing; run `make system-deps`")
    pytest.skip(f"{what} is missing (run `make system-deps`)")


@pytest.fixture
def needs_dot() -> None:
    """For tests that render with Graphviz's dot."""
    require(shutil.which("dot") is not None, "Graphviz's dot")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system's, driven by Playwright), one per test module."""
    import importlib.util

    require(importlib.util.find_spec("playwright") is not None, "the playwright Python package")
    require(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
