"""Real saved pages from ``../shared/data`` as fixtures for the extract tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dragoman.article import RawPage

from .helpers import KOMMERSANT_URL, read_page


@pytest.fixture(scope="session")
def kommersant_bytes(data_dir: Path) -> bytes:
    return read_page(data_dir / "html_ru" / "fundus" / "ru" / "Kommersant_2025_05_14.html.gz")


@pytest.fixture(scope="session")
def kommersant_gold(data_dir: Path) -> dict:
    return json.loads((data_dir / "html_ru" / "fundus" / "ru" / "Kommersant.json").read_text("utf-8"))["V1"]


@pytest.fixture
def kommersant_page(kommersant_bytes: bytes) -> RawPage:
    return RawPage(url=KOMMERSANT_URL, body=kommersant_bytes)


@pytest.fixture(scope="session")
def htmldate_pages(data_dir: Path) -> list[tuple[str, bytes, str]]:
    """(url, bytes, gold date) for the 10 pages of htmldate's evaluation set."""
    folder = data_dir / "html_ru" / "htmldate_eval"
    gold = json.loads((folder / "gold_dates.json").read_text("utf-8"))
    return [(url, (folder / "pages" / item["file"]).read_bytes(), item["date"]) for url, item in gold.items()]


@pytest.fixture(scope="session")
def benchmark_dir(data_dir: Path) -> Path:
    return data_dir / "article_extraction_benchmark"
