"""The search query language, shared by every search backend: parsing (words, "phrases", prefix*, AND, OR,
NOT and -word, parentheses), name expansion into the other language, and the records a search takes and gives
(``SearchQuery``, ``SearchResults``, hits and snippets). Each backend compiles a parsed query for its database:
``dragoman.search.sqlite`` to an FTS5 MATCH, ``dragoman.search.postgres`` to a tsquery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import Stemmer

from dragoman.errors import DragomanError
from dragoman.names.variants import name_variants

_RU = Stemmer.Stemmer("russian")
_EN = Stemmer.Stemmer("porter")  # the algorithm FTS5's porter tokenizer implements, for highlighting
_WORD = re.compile(r"\w+")


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


class QueryError(DragomanError):
    reason = "bad_query"


# Limits on what one query may ask for: the parser and the tree walkers recurse once per nesting level, so an
# unbounded depth ends in RecursionError (issue 13, item 6); the length cap matches the web form's.
MAX_QUERY_CHARS = 2000
MAX_QUERY_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Any  # only valid inside And, where it subtracts from the positive items


_QUERY_TOKEN = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<paren>[()])|(?P<word>[^\s()"]+))')


def parse_query(query: str) -> Any | None:
    """Parse the user's query into a small tree; None for an empty query. Raises QueryError for a malformed
    query (an operator without a word on each side, an unclosed parenthesis or quotation mark, a stray ``)``,
    nothing but operators or punctuation): such a query used to match the whole corpus or a word it did not
    mean. Also for a query longer than MAX_QUERY_CHARS or with parentheses nested deeper than MAX_QUERY_DEPTH."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
    tokens: list[tuple[str, str]] = []
    for match in _QUERY_TOKEN.finditer(query):
        if match["phrase"] is not None:
            phrase = match["phrase"]
            if len(phrase) < 2 or not phrase.endswith('"'):
                raise QueryError(f"a quotation mark is not closed: {_clip(phrase)} needs a closing '\"'")
            tokens.append(("phrase", phrase[1:-1]))
        elif match["paren"] is not None:
            tokens.append((match["paren"], match["paren"]))
        elif match["word"] is not None:
            word = match["word"]
            if word in ("AND", "OR", "NOT"):
                tokens.append((word, word))
            else:
                tokens.append(("word", word))
    pos = 0
    depth = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def parse_or() -> Any:
        items = [parse_and()]
        while peek() == "OR":
            take()
            items.append(parse_and())
            if items[-2] is None or items[-1] is None:
                raise QueryError("OR needs a word on each side: write `a OR b`")
        if any(isinstance(i, Not) for i in items):
            raise QueryError("NOT needs something to exclude from: write `a NOT b` or `a -b`")
        if items[0] is None:
            return None
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and() -> Any:
        items: list[Any] = []
        while peek() not in (None, ")", "OR"):
            if peek() == "AND":
                take()
                if not items or peek() in (None, ")", "OR", "AND"):
                    raise QueryError("AND needs a word on each side: write `a AND b`")
                continue
            if peek() == "NOT":
                take()
                if not items:
                    raise QueryError("NOT needs something to exclude from: write `a NOT b` or `a -b`")
                if peek() in (None, ")", "OR"):  # `a NOT` would read past the last word
                    raise QueryError("NOT needs a word after it: write `a NOT b` or `a -b`")
                negated = parse_unary()
                if negated is not None:
                    items.append(Not(negated))
                continue
            item = parse_unary()
            if item is not None:
                items.append(item)
        if not items:
            return None
        if all(isinstance(i, Not) for i in items):
            raise QueryError("a query needs at least one word that must be present")
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary() -> Any:
        nonlocal depth
        kind, value = take()
        if kind == "(":
            depth += 1
            if depth > MAX_QUERY_DEPTH:
                raise QueryError(f"the query nests parentheses more than {MAX_QUERY_DEPTH} deep")
            inner = parse_or()
            depth -= 1
            if peek() != ")":
                raise QueryError("a parenthesis is not closed: add `)`")
            take()
            if inner is None:
                raise QueryError("the parentheses hold no word to search for")
            return inner
        if kind == "phrase":
            return Phrase(value) if _WORD.search(value) else None
        if kind == "word":
            negate = value.startswith("-") and len(value) > 1
            value = value.lstrip("+-") if negate or value.startswith("+") else value
            prefix = value.endswith("*")
            value = value.rstrip("*")
            if not _WORD.search(value):
                return None  # punctuation typed between words (a dash) is not a word to search for
            term = Term(value, prefix)
            return Not(term) if negate else term
        raise QueryError(f"{value} needs a word on each side")  # an operator where a word must be

    tree = parse_or()
    if pos < len(tokens):  # parse_or stops only at the end or at a ")" that no "(" opened
        raise QueryError("`)` has no matching `(`")
    if tree is None and query.strip():
        raise QueryError(f"the query has no words to search for: {_clip(query.strip())}")
    return tree


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- names across languages --------------------------------------------------------------------------

MAX_NAME_VARIANTS = 3  # forms of one name added to a query (the shortest: «Путин» covers «Владимир Путин»)


@dataclass(frozen=True, slots=True)
class Expansion:
    """A name in the query searched in its other language's forms too (Lavrov -> Лавров)."""

    term: str
    forms: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.term} -> {' | '.join(self.forms)}"


def expand_names(tree: Any) -> tuple[Any, list[Expansion]]:
    """The query with every known name also searched in the other language (through the entity registry and
    the glossary: names/variants.py), so an English name finds untranslated Russian articles and a Russian
    name finds English documents; and what was added, to show the user."""
    expansions: list[Expansion] = []

    def variants_of(text: str) -> list[Any]:
        kept: list[str] = []
        for form in name_variants(text):
            words = set(_WORD.findall(_fold(form)))
            if any(set(_WORD.findall(_fold(k))) <= words for k in kept):
                continue  # a longer form of a kept one adds no match
            kept.append(form)
            if len(kept) == MAX_NAME_VARIANTS:
                break
        if kept:
            expansions.append(Expansion(text, tuple(kept)))
        return [Phrase(k) if len(_WORD.findall(k)) > 1 else Term(k) for k in kept]

    def walk(node: Any) -> Any:
        if isinstance(node, (Term, Phrase)) and not (isinstance(node, Term) and node.prefix):
            extra = variants_of(node.text)
            return Or((node, *extra)) if extra else node
        if isinstance(node, Not):
            return Not(walk(node.item))
        if isinstance(node, Or):
            return Or(tuple(walk(i) for i in node.items))
        if isinstance(node, And):
            words = [i for i in node.items if isinstance(i, Term) and not i.prefix]
            if len(words) == len(node.items):  # Sergei Lavrov, unquoted: the whole name first
                extra = variants_of(" ".join(w.text for w in words))
                if extra:
                    return Or((node, *extra))
            return And(tuple(walk(i) for i in node.items))
        return node

    return walk(tree), expansions


def _lang_words(text: str, lang: str) -> list[str]:
    words = _WORD.findall(_fold(text))
    return _RU.stemWords(words) if lang == "ru" else words


PREFIX_STEM_SLACK = {"ru": 1, "en": 3}


def highlight_terms(node: Any) -> list[tuple[str, bool]]:
    """Positive words of the query as (folded text, is_prefix), for marking hits in snippets."""
    out: list[tuple[str, bool]] = []
    if isinstance(node, Term):
        words = _WORD.findall(_fold(node.text))
        out.extend((w, node.prefix and i == len(words) - 1) for i, w in enumerate(words))
    elif isinstance(node, Phrase):
        out.extend((w, False) for w in _WORD.findall(_fold(node.text)))
    elif isinstance(node, (And, Or)):
        for item in node.items:
            out.extend(highlight_terms(item))
    return out


# -- results ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SearchQuery:
    text: str = ""
    outlets: list[str] = field(default_factory=list)
    rubric: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entities: list[str] = field(default_factory=list)
    unnamed_sources: bool = False
    qa_flagged: bool = False
    sort: str = "newest"  # newest | relevance
    limit: int = 20
    offset: int = 0


@dataclass(slots=True)
class Fragment:
    text: str
    hit: bool


@dataclass(slots=True)
class Snippet:
    lang: str
    fragments: list[Fragment]


@dataclass(slots=True)
class SearchHit:
    article_id: int
    title: str
    title_en: str | None
    outlet: str | None
    rubric: str | None
    published_at: str | None
    unnamed_sources: int
    qa_flags: int
    snippets: list[Snippet]
    score: float | None = None
    published_utc: str | None = None  # the same instant in UTC (``published_at`` is the outlet's local time)
    rubric_en: str | None = None  # the rubric's English name from the outlet table (never a model's)


@dataclass(slots=True)
class SearchResults:
    total: int
    total_is_capped: bool
    hits: list[SearchHit]
    outlet_counts: dict[str, int]
    outlet_counts_sampled: bool
    fts_query: str | None
    elapsed_ms: float = 0.0
    expanded: list[Expansion] = field(default_factory=list)  # names also searched in the other language
    entity_keys: list[str] = field(default_factory=list)  # the entity filter's names as the keys they matched


# -- the index ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An article the index could not take (its record is unreadable or breaks indexing), with the reason."""

    article_id: int
    reason: str
    message: str

    def __str__(self) -> str:
        return f"article {self.article_id}: {self.message} [{self.reason}]"


def split_negatives(tree: Any) -> tuple[Any, list[Any]]:
    """A query's top level as (what must match, what must not): ``a b NOT c`` -> (a b, [c])."""
    if isinstance(tree, And) and any(isinstance(i, Not) for i in tree.items):
        kept = [i for i in tree.items if not isinstance(i, Not)]
        return (kept[0] if len(kept) == 1 else And(tuple(kept))), [i.item for i in tree.items if isinstance(i, Not)]
    return tree, []
