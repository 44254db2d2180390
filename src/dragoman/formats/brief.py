"""The daily brief as Markdown (for e-mail and chat), from ``Brief.to_dict()``: every item links to the reader
(``base_url`` + /articles/ID) and to the original. Scraped text is made inert: Markdown's link and emphasis
characters are escaped, so a headline cannot become a link or break the layout."""

from __future__ import annotations

import re
from typing import Any

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md_text(value: Any) -> str:
    """Untrusted text for a Markdown line: one line, special characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value or "").split()))


def md_url(value: Any) -> str:
    """A URL for a Markdown link target: only http(s), with the characters that would end the target escaped."""
    url = str(value or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        return ""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def _links(base_url: str, article_id: Any, url: Any) -> str:
    parts = [f"[reader]({base_url}/articles/{int(article_id)})"]
    original = md_url(url)
    if original:
        parts.append(f"[original]({original})")
    return " · ".join(parts)


def _when(iso: Any) -> str:
    text = str(iso or "")
    return text[:16].replace("T", " ") + " UTC" if text else ""


def brief_markdown(brief: dict[str, Any], *, base_url: str = "") -> str:
    lines = [f"# Daily brief: {_when(brief['since'])} to {_when(brief['until'])}"]
    if brief.get("watchlist"):
        lines.append(f"Watchlist: {md_text(brief['watchlist'])}")
    lines += ["", "## Top stories", ""]
    for s in brief["top_stories"]:
        headline = md_text(s["headline"]) + (" (Russian)" if s["headline_lang"] == "ru" else "")
        outlets = ", ".join(f"{md_text(o['outlet'])} {o['articles']}" for o in s["outlets"])
        target = s["path"] if s["story_id"] else f"/articles/{s['article_id']}"
        lines.append(f"{s['rank']}. **{headline}** ({s['outlet_count']} outlets: {outlets})")
        if s["lead_en"]:
            lines.append(f"   {md_text(s['lead_en'])}")
        lines.append(
            f"   first {_when(s['first_seen'])}, last {_when(s['last_seen'])} · [story]({base_url}{target})"
            + (f" · [original]({md_url(s['first_url'])})" if md_url(s["first_url"]) else "")
        )
    if not brief["top_stories"]:
        lines.append("No stories in this window.")
    lines += ["", "## New quotes by watched people", ""]
    for q in brief["quotes"]:
        said = md_text(q.get("text_en") or q.get("text_ru"))
        lines.append(
            f"- **{md_text(q.get('speaker_name') or q['watched'])}**: “{said}” "
            f"({md_text(q.get('outlet'))}, {_when(q.get('published_at'))}) · "
            f"[reader]({base_url}/articles/{int(q['article_id'])})"
        )
    if not brief["quotes"]:
        lines.append("None.")
    lines += ["", "## Surging", ""]
    surging = brief["surging"]
    for item in surging["entities"] + surging["terms"]:
        ratio = f"×{item['ratio']}" if item["ratio"] is not None else "new"
        lines.append(
            f"- **{md_text(item['label'])}** ({item['kind']}): {item['window_count']} articles, "
            f"expected {item['expected']:.1f} ({ratio}, p={item['p_value']:.1e})"
        )
        for a in item["articles"]:
            lines.append(
                f"  - {md_text(a.get('title_en') or a.get('title'))} · {_links(base_url, a['article_id'], a['url'])}"
            )
    if not surging["entities"] and not surging["terms"]:
        lines.append(f"Nothing stands out against the last {surging['baseline_days']} days.")
    lines += ["", "## Edited after publication", ""]
    for e in brief["edited"]:
        lines.append(
            f"- {md_text(e.get('title_en') or e.get('title'))} ({md_text(e.get('outlet'))}, "
            f"{e['revision_count']} versions, changed {_when(e.get('updated_at'))}) · "
            f"[what changed]({base_url}/articles/{int(e['article_id'])}/diff) · "
            f"{_links(base_url, e['article_id'], e['url'])}"
        )
    if not brief["edited"]:
        lines.append("None.")
    lines += ["", "## Watchlist hits", ""]
    for h in brief["watchlist_hits"]:
        lines.append(
            f"- [{md_text(h.get('watch_label') or h['watch_value'])}] "
            f"{md_text(h.get('title_en') or h.get('title'))} ({md_text(h.get('outlet'))}, "
            f"{_when(h.get('published_at'))}) · {_links(base_url, h['article_id'], h['url'])}"
        )
    if not brief["watchlist_hits"]:
        lines.append("None.")
    return "\n".join(lines) + "\n"
