"""Bilingual full-text search: stemming on both sides, query syntax, filters, order, snippets, index sync."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import Stemmer
from serve_corpus import Corpus, article_chunks, article_of, build_corpus, translation_of

from dragoman.search import open_index
from dragoman.search.index import SearchIndex, make_docid, stem_russian
from dragoman.search.query import QueryError, SearchQuery, parse_query
from dragoman.search.sqlite import compile_query
from dragoman.store import open_store


@pytest.fixture
def index(corpus: Corpus):  # type: ignore[no-untyped-def]
    store = open_store(corpus.db)
    yield open_index(store)
    store.close()


def ids(index: SearchIndex, **kwargs: object) -> list[int]:
    return [h.article_id for h in index.search(SearchQuery(limit=200, **kwargs)).hits]  # type: ignore[arg-type]


def containing(corpus: Corpus, needle: str, *, english: bool = False) -> set[int]:
    """Ground truth without the index: articles with a word whose stem is the needle's (or the phrase)."""
    stemmer = Stemmer.Stemmer("porter" if english else "russian")
    wanted = [stemmer.stemWord(w.lower()) for w in re.findall(r"\w+", needle)]
    found = set()
    for article_id, article in corpus.articles.items():
        if english:
            tr = article.translation
            text = " ".join([tr.title.text, *(b.text for b in tr.blocks)]) if tr else ""
        else:
            text = " ".join([article.title, *(b.text for b in article.blocks)])
        stems = [stemmer.stemWord(w.lower()) for w in re.findall(r"\w+", text)]
        if any(stems[i : i + len(wanted)] == wanted for i in range(len(stems))):
            found.add(article_id)
    return found


def test_russian_query_matches_every_inflected_form(corpus: Corpus, index: SearchIndex) -> None:
    # "Путина", "Путину", "Путин" all stem to one form: the nominative query finds them all.
    expected = containing(corpus, "Путин")
    assert len(expected) >= 10
    assert set(ids(index, text="Путин")) == expected
    assert set(ids(index, text="путину")) == expected  # any case form of the query works too


def test_english_query_uses_porter_stemming_and_searches_translations(corpus: Corpus, index: SearchIndex) -> None:
    expected = containing(corpus, "regions", english=True)
    assert len(expected) >= 3
    assert set(ids(index, text="regions")) == expected
    assert set(ids(index, text="region")) == expected


def test_query_in_either_language_searches_both_sides(corpus: Corpus, index: SearchIndex) -> None:
    # Latin "regions" occurs only in the English translations, Cyrillic words only in the Russian originals.
    results = index.search(SearchQuery(text="regions"))
    assert results.hits and all(s.lang == "en" for h in results.hits for s in h.snippets)
    results = index.search(SearchQuery(text="Путиным OR Путина"))
    assert results.hits and all(h.snippets[0].lang == "ru" for h in results.hits)


def test_a_name_is_searched_in_both_languages_and_the_expansion_is_reported(corpus: Corpus, index: SearchIndex) -> None:
    """Issue 14 §4: "Putin" finds the untranslated Russian articles that «Путин» finds, and the other way round."""
    english_side = containing(corpus, "Putin", english=True)
    russian_side = set(ids(index, text="Путиным OR Путина OR Путин OR Путину"))
    latin = index.search(SearchQuery(text="Putin", limit=200))
    assert {h.article_id for h in latin.hits} == english_side | russian_side
    assert [(e.term, "Путин" in e.forms) for e in latin.expanded] == [("Putin", True)]
    cyrillic = index.search(SearchQuery(text="Путин", limit=200))
    assert {h.article_id for h in cyrillic.hits} == english_side | russian_side
    assert [(e.term, "Putin" in e.forms) for e in cyrillic.expanded] == [("Путин", True)]
    assert index.search(SearchQuery(text="regions")).expanded == []  # not a name: nothing added


def test_phrase_and_boolean_operators(corpus: Corpus, index: SearchIndex) -> None:
    putin = set(ids(index, text="Путин"))
    president = set(ids(index, text="президент"))
    assert set(ids(index, text="Путин AND президент")) == putin & president
    assert set(ids(index, text="Путин президент")) == putin & president  # AND is implicit
    assert set(ids(index, text="Путин OR президент")) == putin | president
    assert set(ids(index, text="Путин NOT президент")) == putin - president
    assert set(ids(index, text="Путин -президент")) == putin - president
    phrase = set(ids(index, text='"президент Владимир Путин"'))
    assert phrase and phrase <= putin & president
    assert phrase == containing(corpus, "президент Владимир Путин")


def test_prefix_query(corpus: Corpus, index: SearchIndex) -> None:
    assert set(ids(index, text="Путин*")) >= containing(corpus, "Путин")
    assert set(ids(index, text="presiden*")) >= containing(corpus, "president", english=True)


def test_bad_queries_are_clear_errors(index: SearchIndex) -> None:
    with pytest.raises(QueryError, match="at least one word"):
        index.search(SearchQuery(text="-Путин"))
    with pytest.raises(QueryError, match="NOT"):
        index.search(SearchQuery(text="NOT Путин"))
    # FTS5 syntax characters in user input are data, not syntax.
    assert index.search(SearchQuery(text='Путин "OR {title_en}: NEAR(a b) ^x"')).total >= 0
    assert index.search(SearchQuery(text="Путин {title_en}: NEAR(a b) ^x")).total >= 0
    assert parse_query("   ") is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("AND OR", "AND needs a word on each side"),
        ("(", "parenthesis is not closed"),
        (")", "`)` has no matching `(`"),
        ("OR", "OR needs a word on each side"),
        ("*", "no words to search for"),
        ('"unclosed', "quotation mark is not closed"),
        ("NOT", "NOT needs something to exclude from"),
        ("Путин OR", "OR needs a word on each side"),
        ("()", "hold no word"),
    ],
)
def test_malformed_queries_are_refused_not_read_as_the_whole_corpus(
    index: SearchIndex, query: str, message: str
) -> None:
    """Issue 14 §4: these returned the whole corpus (or searched the word "unclosed") without a word."""
    with pytest.raises(QueryError, match=re.escape(message)):
        index.search(SearchQuery(text=query))


def test_compiled_query_stems_russian_and_quotes_every_term() -> None:
    tree = parse_query('Путина AND "санкции ЕС" OR rest*')
    assert compile_query(tree, "ru") == '(("путин" AND "санкц ес") OR "rest"*)'
    # Prefixes also match stems shorter than the typed prefix, within a small slack.
    assert compile_query(parse_query("presiden*"), "en") == '("presiden"* OR "presi" OR "presid" OR "preside")'
    assert compile_query(parse_query("путин*"), "ru") == '("путин"* OR "пути")'
    assert stem_russian("Санкции Ёлки") == "санкц елк"


def test_newest_first_by_default_and_relevance_on_request(corpus: Corpus, index: SearchIndex) -> None:
    results = index.search(SearchQuery(text="Путин", limit=50))
    dates = [h.published_at for h in results.hits]
    assert dates == sorted(dates, reverse=True)
    relevant = index.search(SearchQuery(text="Путин", sort="relevance", limit=50))
    scores = [h.score for h in relevant.hits]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert {h.article_id for h in relevant.hits} == {h.article_id for h in results.hits}
    # The title is weighted: an article with the word in its title ranks first.
    titled = [a for a, art in corpus.articles.items() if "Путин" in art.title]
    if titled:
        assert relevant.hits[0].article_id in titled


def test_filters(corpus: Corpus, index: SearchIndex) -> None:
    iz = {i for i, a in corpus.articles.items() if a.outlet == "iz.ru"}
    assert set(ids(index, outlets=["iz.ru"])) == iz
    assert set(ids(index, text="Путин", outlets=["iz.ru"])) == iz & set(ids(index, text="Путин"))
    assert set(ids(index, rubric="Мир")) == iz  # Russian rubric
    assert set(ids(index, rubric="World")) == iz - {corpus.untranslated_id}  # English rubric of translated ones
    assert set(ids(index, entities=["Q7747"])) == set(corpus.putin_ids + corpus.unnamed_ids)
    assert set(ids(index, unnamed_sources=True)) == set(corpus.unnamed_ids)
    assert ids(index, qa_flagged=True) == [corpus.flagged_id]
    assert ids(index, entities=["Q0-no-such"]) == []
    since, until = datetime(2022, 1, 5, tzinfo=UTC), datetime(2022, 1, 9, tzinfo=UTC)
    in_window = {i for i, a in corpus.articles.items() if a.published_at and since <= a.published_at < until}
    assert in_window and set(ids(index, since=since, until=until)) == in_window


def test_counts_per_outlet(corpus: Corpus, index: SearchIndex) -> None:
    results = index.search(SearchQuery(text="Путин", limit=5))
    expected = containing(corpus, "Путин")
    assert results.total == len(expected) and len(results.hits) == 5
    per_outlet = {o: sum(1 for i in expected if corpus.articles[i].outlet == o) for o in ("iz.ru", "ria.ru")}
    for outlet, count in per_outlet.items():
        assert results.outlet_counts.get(outlet, 0) == count


def test_snippet_marks_the_hits_in_the_language_of_the_hit(index: SearchIndex) -> None:
    hit = index.search(SearchQuery(text="Путину")).hits[0]
    marked = [f.text for s in hit.snippets for f in s.fragments if f.hit]
    assert marked and all(m.startswith("Путин") for m in marked)
    assert hit.snippets[0].lang == "ru"


def test_docids_are_time_ordered() -> None:
    assert make_docid("2022-01-02T00:00:00+00:00", 1) > make_docid("2022-01-01T23:59:59+00:00", 999_999)
    assert make_docid(None, 5) == 5


def test_index_follows_ingest_revisions_translations_and_analysis(
    tmp_path: Path, data_dir: Path, store_url: str, open_db: Any
) -> None:
    corpus = build_corpus(store_url, data_dir, n_articles=4)
    store = open_db(corpus.db)
    index = open_index(store)
    chunk = article_chunks(data_dir, 40)[-1]
    article = article_of(chunk, 7)
    word = max((w for w in article.title.split() if w.isalpha()), key=len)
    before = len(ids(index, text=word))
    result = store.ingest(article)  # trigger queues it; the next search indexes it
    assert result.article_id in ids(index, text=word)
    assert len(ids(index, text=word)) == before + 1
    # A new revision replaces the old text in the index.
    article.title = "Совершенно новый заголовок про ледоколы"
    article.content_sha256 = ""
    revised = store.ingest(article)
    assert revised.revision == 2
    assert ids(index, text="ледокол") == [result.article_id]
    assert result.article_id not in ids(index, text=f'"{word}"') or word in " ".join(b.text for b in article.blocks)
    # A translation saved later makes the article findable in English.
    english_word = "icebreakers"
    translation = translation_of(chunk)
    translation.title.sentences[0].source = article.title
    translation.title.sentences[0].target = "An entirely new headline about icebreakers"
    store.save_translation(revised.revision_id, translation)
    assert ids(index, text=english_word) == [result.article_id]
    # Analysis saved later feeds the entity filter.
    store.save_analysis(revised.revision_id, {"entities": [{"key": "Q1", "name": "Icebreaker", "type": "ORG"}]}, "v")
    assert ids(index, entities=["Q1"]) == [result.article_id]
    # Reindex from scratch gives the same answers.
    assert index.reindex() == store.count()
    assert ids(index, text=english_word) == [result.article_id]
    assert ids(index, entities=["Q1"]) == [result.article_id]
    # A deleted article leaves the index.
    with store.transaction() as conn:
        conn.execute("DELETE FROM articles WHERE id = ?", (result.article_id,))
    assert ids(index, text="ледокол") == []
    assert store.connection.execute("SELECT count(*) FROM search_docs").fetchone()[0] == store.count()
    store.close()


def test_saving_results_twice_while_queued_does_not_fail(
    tmp_path: Path, data_dir: Path, store_url: str, open_db: Any
) -> None:
    # Regression: save_translation's upsert overrode the queue trigger's INSERT OR IGNORE, so a second save
    # of an article still waiting in the queue failed with a UNIQUE error.
    corpus = build_corpus(store_url, data_dir, n_articles=2)
    store = open_db(corpus.db)
    stored = store.get(corpus.ids[0])
    assert stored is not None and stored.article.translation is not None
    store.save_translation(stored.revision_id, stored.article.translation)
    store.save_translation(stored.revision_id, stored.article.translation)
    store.save_analysis(stored.revision_id, {"entities": []}, "v")
    store.save_analysis(stored.revision_id, {"entities": []}, "v")
    assert open_index(store).pending() >= 1
    assert ids(open_index(store), outlets=[corpus.articles[corpus.ids[0]].outlet or ""])  # indexed fine after
    store.close()
