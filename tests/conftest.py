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
