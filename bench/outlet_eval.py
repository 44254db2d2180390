"""Extraction on the outlets analysts follow: every gold field of ../shared/data/outlet_pages (issue 16).

Run: .venv/bin/python bench/outlet_eval.py

Each page's extraction is compared with its gold.json entry, field by field:
  title      the extracted title equals the gold headline (whitespace-normalised)
  date       the publication instant equals gold's to the minute
  authors    the same people, in any order
  rubric     the stored rubric is gold's rubric or one of its alternatives (a section and its subsection)
  lead       gold has no lead: none extracted; gold has one: the extracted lead is it
  first      the gold first paragraph is the body's first paragraph (not swallowed into a lead)
  last       the gold last paragraph is the body's last paragraph
  clean      none of gold's must_not_contain strings is in the rendered text (lead and body)
  once       the rendered text holds the gold lead and first paragraph exactly once (nothing lost or repeated)
tests/extract/test_outlet_pages.py imports ``score_pages`` and holds each field's total to a floor.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from dragoman.article import Article, BlockKind, RawPage
from dragoman.errors import DragomanError
from dragoman.extract import extract

REPO = Path(__file__).resolve().parents[1]
OUTLET_PAGES = (REPO / ".." / "shared" / "data" / "outlet_pages").resolve()
FIELDS = ("title", "date", "authors", "rubric", "lead", "first", "last", "clean", "once")
_SPACE = re.compile(r"\s+")


def _norm(text: str | None) -> str:
    """Whitespace folded, typographic quotes and non-breaking spaces as on screen; final full stop dropped."""
    return _SPACE.sub(" ", (text or "").replace("\xa0", " ")).strip().rstrip(".").strip()


def _same_minute(extracted: datetime | None, gold: str) -> bool:
    if extracted is None:
        return False
    expected = datetime.fromisoformat(gold)
    return extracted.replace(second=0, microsecond=0) == expected.replace(second=0, microsecond=0)


def _paragraphs(article: Article) -> list[str]:
    return [_norm(b.text) for b in article.blocks if b.kind is BlockKind.PARAGRAPH]


def score_article(article: Article | None, gold: dict[str, Any]) -> dict[str, bool]:
    """Field -> right or wrong for one page (a page that failed to extract is wrong on every field)."""
    if article is None:
        return dict.fromkeys(FIELDS, False)
    paragraphs = _paragraphs(article)
    rendered = _norm(article.text)
    gold_lead = _norm(gold.get("lead"))
    rubrics = {_norm(r).casefold() for r in [gold.get("rubric"), *gold.get("rubric_alternatives", [])] if r}
    once = [t for t in (gold_lead, _norm(gold["first_paragraph"])) if t]
    return {
        "title": _norm(article.title) == _norm(gold["title"]),
        "date": _same_minute(article.published_at, gold["published"]),
        "authors": sorted(_norm(a) for a in article.authors) == sorted(_norm(a) for a in gold["authors"]),
        "rubric": _norm(article.rubric).casefold() in rubrics if rubrics else article.rubric is None,
        "lead": (_norm(article.lead) == gold_lead) if gold_lead else not article.lead,
        "first": bool(paragraphs) and paragraphs[0] == _norm(gold["first_paragraph"]),
        "last": bool(paragraphs) and paragraphs[-1] == _norm(gold["last_paragraph"]),
        "clean": not any(_norm(s) in rendered for s in gold["must_not_contain"]),
        "once": all(rendered.count(t) == 1 for t in once),
    }


def score_pages(folder: Path = OUTLET_PAGES) -> list[tuple[dict[str, Any], Article | None, dict[str, bool]]]:
    """(gold entry, extracted article or None, field scores) for every page of the set."""
    results = []
    for gold in json.loads((folder / "gold.json").read_text("utf-8")):
        page = RawPage(url=gold["url"], body=(folder / gold["file"]).read_bytes())
        try:
            article: Article | None = extract(page)
        except DragomanError:
            article = None
        results.append((gold, article, score_article(article, gold)))
    return results


def totals(results: list[tuple[dict[str, Any], Article | None, dict[str, bool]]]) -> dict[str, int]:
    return {name: sum(scores[name] for _, _, scores in results) for name in FIELDS}


def main() -> int:
    if not OUTLET_PAGES.is_dir():
        print(f"no outlet pages at {OUTLET_PAGES}", file=sys.stderr)
        return 1
    results = score_pages()
    print("| page | " + " | ".join(FIELDS) + " |")
    print("|---|" + "---|" * len(FIELDS))
    for gold, _, scores in results:
        print(f"| {gold['file']} | " + " | ".join("ok" if scores[f] else "**miss**" for f in FIELDS) + " |")
    total = totals(results)
    print(f"| total ({len(results)}) | " + " | ".join(str(total[f]) for f in FIELDS) + " |")
    for gold, article, scores in results:
        misses = [f for f in FIELDS if not scores[f]]
        if misses and article is not None:
            print(f"\n{gold['file']}: missed {', '.join(misses)}")
            print(f"  rubric {article.rubric!r} (gold {gold['rubric']!r}); published {article.published_at}")
            print(f"  lead {(article.lead or '')[:90]!r}")
        elif article is None:
            print(f"\n{gold['file']}: not extracted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
