"""A corpus with known stories over several days, for the front page tests (issue 15).

Relative to ``now`` (the corpus's "morning", an hour ahead of the wall clock so that edits stored while the
corpus is built fall inside the window):
- story CB (central bank): first by tass.ru 3 h ago, the same text at mirror.example and kommersant.ru, a
  rewrite by ria.ru (one sentence added, one left out), all translated; then tass.ru edits its article.
- story GAS: first by iz.ru 20 h ago, the same text at lenta.ru: two outlets, older.
- story OLD: three outlets two days ago: outside 24 h, inside 3 days.
- filler: one article a day for 30 days by rotating outlets, mentioning Vladimir Putin (steady) and, once, Sergei
  Shoigu; today Sergei Shoigu is in six articles (the surge), and he is on the watchlist "defence".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dragoman.acquire.alerts import AlertEngine, add_watch
from dragoman.acquire.dedupe import StoryIndex
from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.search import open_index
from dragoman.store import open_store

CB = [
    (
        "Центральный банк России сохранил ключевую ставку на уровне 16 процентов годовых.",
        "The Central Bank of Russia kept its key rate at 16 percent a year.",
    ),
    (
        "Решение совет директоров регулятора принял единогласно в пятницу.",
        "The regulator's board of directors took the decision unanimously on Friday.",
    ),
    ("Инфляция в стране замедлилась до 7,5 процента.", "Inflation in the country slowed to 7.5 percent."),
    ("Следующее заседание по ставке запланировано на июль.", "The next rate meeting is scheduled for July."),
]
CB_ADDED = ("Аналитики ожидали именно такого решения регулятора.", "Analysts had expected exactly this decision.")
GAS = [
    (
        "Газпром возобновил поставки газа по трубопроводу после планового ремонта компрессорной станции.",
        "Gazprom resumed gas supplies through the pipeline after scheduled repairs of a compressor station.",
    ),
    (
        "Объем прокачки вернулся к прежнему уровню, сообщили в компании.",
        "The volume of pumping returned to its previous level, the company said.",
    ),
]
OLD = [
    (
        "В Москве открылся международный книжный фестиваль с участием трехсот издательств.",
        "An international book festival with three hundred publishers opened in Moscow.",
    ),
    ("Фестиваль продлится до воскресенья на Красной площади.", "The festival will last until Sunday on Red Square."),
]
FILLER_TOPICS = [
    "Правительство обсудило бюджет регионов",
    "В Сибири выпал первый снег",
    "Аэропорт открыл новый терминал",
    "Ученые представили новый вакцинный препарат",
    "Футбольный клуб сменил главного тренера",
    "В Петербурге прошел марафон",
    "Минфин разместил облигации",
    "Музей получил в дар коллекцию картин",
]
PUTIN = {"key": "Q7747", "name": "Vladimir Putin", "type": "PER", "mentions": 1}
SHOIGU = {"key": "Q313011", "name": "Sergei Shoigu", "type": "PER", "mentions": 2}
CBR = {"key": "Q1141036", "name": "Central Bank of Russia", "type": "ORG", "mentions": 1}
MOSCOW = {"key": "Q649", "name": "Moscow", "type": "LOC", "mentions": 1}
WATCHLIST = "defence"


@dataclass
class FrontCorpus:
    db: str
    now: datetime
    ids: dict[str, int] = field(default_factory=dict)  # name -> article id
    stories: dict[str, int] = field(default_factory=dict)  # name -> story id


def translation(pairs: list[tuple[str, str]], title: tuple[str, str]) -> Translation:
    return Translation(
        engine="reference",
        model_id="reference/1",
        translated_at=datetime(2026, 1, 1, tzinfo=UTC),
        title=TranslatedSegment("title", 0, [SentencePair(*title)]),
        blocks=[TranslatedSegment("block", 0, [SentencePair(r, e) for r, e in pairs])],
    )


def make(
    url: str,
    outlet: str,
    title: tuple[str, str],
    pairs: list[tuple[str, str]],
    published: datetime,
    rubric: str = "Экономика",
) -> Article:
    article = Article(
        url=url,
        title=title[0],
        outlet=outlet,
        rubric=rubric,
        blocks=[Block(BlockKind.PARAGRAPH, " ".join(r for r, _ in pairs))],
        published_at=published,
        timezone="Europe/Moscow",
        extractor_version="front-corpus/1",
    )
    article.translation = translation(pairs, title)
    return article


def analysis(entities: list[dict[str, Any]], quote: tuple[str, str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"analyzer_version": "front/1", "entities": entities, "mentions": [], "events": []}
    if quote is not None:
        found["quotes"] = [
            {
                "speaker": "Шойгу",
                "speaker_entity": SHOIGU["key"],
                "verb": "заявил",
                "text": quote[0],
                "text_en": quote[1],
                "sentence": 0,
                "kind": "direct",
            }
        ]
    return found


def build_front_corpus(db: str | Path, now: datetime | None = None) -> FrontCorpus:
    now = (now or datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    corpus = FrontCorpus(str(db), now)
    store = open_store(db)
    try:
        add_watch(store, "entity", SHOIGU["name"], label=WATCHLIST)
        stories = StoryIndex(store)
        alerts = AlertEngine(store)

        def put(
            name: str,
            article: Article,
            entities: list[dict[str, Any]],
            quote: tuple[str, str] | None = None,
            story: bool = True,
        ) -> int:
            english = article.translation
            article.translation = None
            result = store.ingest(article)
            if story:
                assignment = stories.assign(result.article_id, article)
                corpus.stories.setdefault(name.split(":")[0], assignment.story_id)
            assert english is not None
            store.save_translation(result.revision_id, english)
            found = analysis(entities, quote)
            store.save_analysis(result.revision_id, found, "front/1")
            article.translation, article.analysis = english, found
            alerts.check(result.article_id, article)
            corpus.ids[name] = result.article_id
            return result.article_id

        cb_title = ("ЦБ сохранил ключевую ставку на уровне 16%", "Central Bank keeps key rate at 16%")
        t0 = now - timedelta(hours=3)
        put("cb:tass", make("https://tass.ru/ekonomika/1", "tass.ru", cb_title, CB, t0), [CBR, MOSCOW])
        put(
            "cb:mirror",
            make("https://mirror.example/cb", "mirror.example", cb_title, CB, t0 + timedelta(minutes=20)),
            [CBR, MOSCOW],
        )
        put(
            "cb:kommersant",
            make("https://kommersant.ru/doc/1", "kommersant.ru", cb_title, CB, t0 + timedelta(minutes=40)),
            [CBR],
        )
        rewrite = [CB[0], CB_ADDED, CB[1], CB[2]]  # adds one sentence, leaves out the last
        put(
            "cb:ria",
            make(
                "https://ria.ru/economy/1",
                "ria.ru",
                ("Банк России оставил ключевую ставку без изменений", "Bank of Russia leaves key rate unchanged"),
                rewrite,
                t0 + timedelta(hours=1),
            ),
            [CBR],
        )
        # tass.ru edits its article after publication: a second revision of the same URL.
        edited = make(
            "https://tass.ru/ekonomika/1",
            "tass.ru",
            cb_title,
            [*CB, ("Ставка не менялась с марта.", "The rate has not changed since March.")],
            t0,
        )
        english = edited.translation
        edited.translation = None
        revised = store.ingest(edited)
        stories(revised.article_id, edited, revised)
        assert english is not None
        store.save_translation(revised.revision_id, english)
        store.save_analysis(revised.revision_id, analysis([CBR, MOSCOW]), "front/1")

        gas_title = ("Газпром возобновил поставки газа", "Gazprom resumes gas supplies")
        g0 = now - timedelta(hours=20)
        put("gas:iz", make("https://iz.ru/news/gas", "iz.ru", gas_title, GAS, g0), [MOSCOW])
        put(
            "gas:lenta",
            make("https://lenta.ru/news/gas", "lenta.ru", gas_title, GAS, g0 + timedelta(hours=1)),
            [MOSCOW],
        )

        old_title = ("В Москве открылся книжный фестиваль", "Book festival opens in Moscow")
        o0 = now - timedelta(days=2)
        for i, outlet in enumerate(("tass.ru", "ria.ru", "iz.ru")):
            put(
                f"old:{outlet}",
                make(
                    f"https://{outlet}/culture/fest",
                    outlet,
                    old_title,
                    OLD,
                    o0 + timedelta(minutes=10 * i),
                    rubric="Культура",
                ),
                [MOSCOW],
            )

        outlets = ("iz.ru", "ria.ru", "tass.ru", "lenta.ru")
        for day in range(1, 31):  # the baseline: one article a day, Putin every day, Shoigu once
            topic = FILLER_TOPICS[day % len(FILLER_TOPICS)]
            title = (f"{topic} ({day})", f"Daily report number {day}")
            pairs = [(f"{topic}, сообщает корреспондент, выпуск {day}.", f"Correspondent report, issue {day}.")]
            entities = [PUTIN, SHOIGU] if day == 17 else [PUTIN]
            put(
                f"filler:{day}",
                make(
                    f"https://{outlets[day % 4]}/daily/{day}",
                    outlets[day % 4],
                    title,
                    pairs,
                    now - timedelta(days=day, hours=5),
                    rubric="Общество",
                ),
                entities,
                story=False,
            )
        for i in range(6):  # today: Shoigu in six articles of four outlets, each quoting him
            outlet = outlets[i % 4]
            words = ["учения", "флот", "армия", "ракеты", "границы", "авиация"][i]
            pairs = [
                (
                    f"Министр обороны провел совещание, тема: {words}, номер {i}.",
                    f"The defence minister held a meeting on {words}, number {i}.",
                )
            ]
            put(
                f"shoigu:{i}",
                make(
                    f"https://{outlet}/army/{i}",
                    outlet,
                    (f"Шойгу: {words}", f"Shoigu on drills {i}"),
                    pairs,
                    now - timedelta(hours=2 + i),
                    rubric="Армия",
                ),
                [SHOIGU, PUTIN],
                quote=(f"Мы готовы ({i})", f"We are ready ({i})"),
                story=False,
            )
        open_index(store).sync()
    finally:
        store.close()
    return corpus
