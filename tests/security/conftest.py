"""Fixtures shared with the acquire tests: the real HTTP server on 127.0.0.1 that serves saved pages."""

from __future__ import annotations

from acquire.conftest import server  # noqa: F401 (re-exported as a fixture of this folder)
