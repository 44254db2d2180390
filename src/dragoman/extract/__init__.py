"""Extract: fetched page bytes -> a filled ``Article`` (metadata, ordered body blocks, outlet, time)."""

from __future__ import annotations

from dragoman.extract.extractor import EXTRACTOR_VERSION, MAX_INPUT_BYTES, extract
from dragoman.names.outlets import Outlet, lookup_outlet, translate_rubric

__all__ = ["EXTRACTOR_VERSION", "MAX_INPUT_BYTES", "Outlet", "extract", "lookup_outlet", "translate_rubric"]
