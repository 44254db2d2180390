"""Issue 14, section 5: no dead ends in the browser (error pages in the site's layout, exports that keep the
search, the reader's canonical link and import provenance, charts on a real time axis)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/?q=NATO&since=2022-13-01", 400, "'2022-13-01' is not a date (use YYYY-MM-DD)"),
        ("/?q=NATO&page=999", 400, "bad parameter page"),
        ("/articles/abc", 400, "bad parameter article_id"),
        ("/export?format=xml", 400, "unknown format 'xml'"),
        ("/foo", 404, "there is no page at /foo"),
    ],
)
def test_browser_routes_show_an_error_page_in_the_site_layout(client: Any, path: str, status: int, says: str) -> None:
    page = client.get(path)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert "<nav" in page.text and 'href="/quotes"' in page.text  # the site's layout, with its navigation
    assert says in text_of(page.text)
    assert 'href="/">Back to search</a>' in page.text


@pytest.mark.parametrize(
    ("path", "status"), [("/api/foo", 404), ("/api/articles/abc", 422), ("/api/search?page=999", 400)]
)
def test_api_routes_keep_json_errors(client: Any, path: str, status: int) -> None:
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["detail"]
