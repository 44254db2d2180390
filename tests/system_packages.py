"""Tests that need a system package (Chromium, PostgreSQL) skip without it, naming the install command.

``make test`` installs these as root (scripts/test-deps.sh); a user who cannot install packages still gets a
green run, with the skipped tests and the install command in the summary. Under CI=true they are required.
"""

from __future__ import annotations

import os

import pytest


def missing_system_package(what: str, package: str) -> None:
    """Skip (or, under CI, fail) the running test because Debian's ``package`` is not installed."""
    message = f"{what} needs Debian's {package}: sudo apt-get install --no-install-recommends {package}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)
