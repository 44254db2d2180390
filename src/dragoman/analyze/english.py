"""Analysis of articles that arrive in English (already translated): the registry plus rules.

No English NER model ships with our dependencies, so names come from the registry's English forms, from
"title + Name" patterns ("Deputy Foreign Minister Sergei Ryabkov", "NATO Secretary General Jens Stoltenberg"),
from "Name, role" appositions and from capitalized phrases with an organization word. Quotes, dates and
events use the same output shapes as the Russian analysis so that the store and pages treat both alike.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from dragoman.analyze.dates import DateMention, _infer_year, _month_end
from dragoman.analyze.sentences import Sentence
from dragoman.names.registry import Registry

_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_PERSON = rf"{_NAME}(?:\s+{_NAME}){{1,2}}"
_TITLE = (
    r"(?:(?:First|Acting|Former)\s+)?(?:Deputy\s+)?(?:Foreign|Defen[cs]e|Prime|Finance|Interior|Justice|Economy)?\s*"
    r"(?:Minister|Secretary of State|Secretary General|Secretary-General|Secretary|President|Vice President|"
    r"Ambassador|Permanent Representative|[Ss]pokes(?:man|woman|person)|Chairman|Chairwoman|Speaker|Senator|"
    r"Governor|Mayor|Director|Chancellor|Press Secretary|Prime Minister|Premier)"
)
_TITLED = re.compile(rf"(?P<title>(?:(?:[A-Z][A-Za-z.-]+|US|NATO|EU|UN)\s+)?{_TITLE})\.?\s+(?P<name>{_PERSON})")
_APPOSITION = re.compile(
    rf"(?P<name>{_PERSON}),\s+(?P<role>(?:the\s+)?(?:first\s+)?(?:deputy\s+)?"
    r"(?:head|chairman|chief|director|minister|spokes\w+|member|leader|secretary|ambassador)"
    r"[^,.;]{0,90})"
)
_ORG_WORDS = (
    "Ministry",
    "Council",
    "Committee",
    "Service",
    "Agency",
    "Office",
    "Bureau",
    "Organization",
    "Organisation",
    "Alliance",
    "Party",
    "Parliament",
    "Court",
    "Bank",
    "Union",
    "Commission",
    "Department",
    "Duma",
    "Assembly",
    "Foundation",
    "Institute",
    "Company",
    "Corporation",
)
_CAPS_PHRASE = re.compile(r"(?<![\w-])(?:the\s+)?((?:[A-Z][\w'-]+\s+(?:(?:of|for|and|on|the)\s+)*){1,6}[A-Z][\w'-]+)")
_PRONOUNS = {"he", "she", "they"}

REPORTING = (
    r"(?:said|says|stated|told|added|noted|stressed|emphasized|emphasised|explained|announced|warned|"
    r"confirmed|believes|believed|reported|declared|insisted|argued|claimed|recalled|pointed out|wrote)"
)
_UNNAMED = (
    ("outlet_interlocutor", re.compile(r"\binterlocutor\b", re.I)),
    ("informed_source", re.compile(r"\b(?:informed|knowledgeable|familiar with|close to)\b", re.I)),
    ("institutional_source", re.compile(r"\bsource\s+(?:in|at|from|within)\s+", re.I)),
    ("anonymous_source", re.compile(r"\bsources?\b", re.I)),
    ("unnamed_official", re.compile(r"\b(?:an?\s+)?(?:official|representative|diplomat)s?\b", re.I)),
    ("unnamed_expert", re.compile(r"\b(?:expert|analyst|observer)s?\b", re.I)),
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_M = r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December)"
_EN_DATES: list[tuple[str, re.Pattern[str]]] = [
    (
        "day_range",
        re.compile(
            r"(?:(?P<prep>[Oo]n|[Ff]rom|[Ss]ince|[Uu]ntil|[Bb]y)\s+)?"
            + _M
            + r"\s+(?P<d1>\d{1,2})\s+(?:and|-|–|to)\s+(?P<d2>\d{1,2})(?:,?\s+(?P<y>\d{4}))?"
        ),
    ),
    (
        "day",
        re.compile(
            r"(?:(?P<prep>[Oo]n|[Ff]rom|[Ss]ince|[Uu]ntil|[Bb]y)\s+)?"
            + _M
            + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?"
        ),
    ),
    (
        "month_part",
        re.compile(
            r"(?:(?P<prep>[Ii]n|[Ss]ince)\s+)?(?:the\s+)?(?P<part>early|mid|late|beginning of|end of|"
            r"middle of)[\s-]+" + _M + r"(?:\s+(?P<y>\d{4}))?"
        ),
    ),
    ("season", re.compile(r"(?:[Ii]n\s+)?the\s+(?P<season>spring|summer|fall|autumn|winter)\s+of\s+(?P<y>\d{4})")),
    ("month", re.compile(r"(?:(?P<prep>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y)\s+)" + _M + r"(?:\s+(?P<y>\d{4}))?")),
    (
        "year",
        re.compile(
            r"(?:(?P<prep>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Ff]rom|[Bb]efore|[Aa]fter)\s+)?(?<!\d)"
            r"(?P<y>(?:19|20)\d\d)(?!\d)"
        ),
    ),
    ("relative_unit", re.compile(r"(?P<rel>[Tt]his|[Ll]ast|[Nn]ext)\s+(?P<unit>week|month|year)")),
    ("relative_day", re.compile(r"\b(?P<word>[Tt]oday|[Yy]esterday|[Tt]omorrow)\b")),
]
_EN_MOD = {"since": "since", "from": "since", "until": "until", "by": "by", "before": "until", "after": "after"}


def analyze_english(sentences: list[Sentence], published: date | None, registry: Registry) -> dict[str, Any]:
    mentions, entities = _entities(sentences, registry)
    quotes = _quotes(sentences, mentions, entities)
    dates = [d for s in sentences for d in extract_english_dates(s.text, published, s.index)]
    quantities = [q for s in sentences for q in _quantities(s)]
    from dragoman.analyze.events_en import extract_english_events

    events = extract_english_events(sentences, mentions, entities, dates, quantities, published)
    return {
        "entities": sorted(entities.values(), key=lambda e: (-e["mentions"], e["name"])),
        "mentions": mentions,
        "quotes": quotes,
        "dates": [d.to_dict() for d in dates],
        "quantities": quantities,
        "events": events,
    }


def _entities(sentences: list[Sentence], registry: Registry) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    forms = registry.english_forms()
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f, _ in forms) + r")(?![\w-])")
    by_form = {f: e for f, e in forms}
    entities: dict[str, dict[str, Any]] = {}
    mentions: list[dict[str, Any]] = []
    surnames: dict[str, str] = {}

    def add(key: str, s: Sentence, start: int, stop: int, type_: str, name: str, source: str, **info: Any) -> None:
        if any(m["sentence"] == s.index and m["start"] < stop and start < m["stop"] for m in mentions):
            return
        if key not in entities:
            entities[key] = {
                "key": key,
                "name": name,
                "type": type_,
                "ru": info.get("ru"),
                "wikidata": info.get("wikidata"),
                "country": info.get("country"),
                "role": info.get("role"),
                "source": source,
                "mentions": 0,
            }
        entities[key]["mentions"] += 1
        mentions.append(
            {
                "entity": key,
                "type": type_,
                "text": s.text[start:stop],
                "normal": name,
                "sentence": s.index,
                "start": start,
                "stop": stop,
                "source": source,
                "kind": "name",
            }
        )
        if type_ == "PER" and " " in name:
            surnames.setdefault(name.split()[-1], key)

    for s in sentences:
        # titled people first: the title tells us the span is a person even when the registry does not know them
        for m in _TITLED.finditer(s.text):
            name = m.group("name")
            entry = registry.lookup_en(name)
            start = m.start("name")
            if entry is not None:
                add(
                    entry.key,
                    s,
                    start,
                    m.end("name"),
                    entry.type,
                    entry.en,
                    "registry",
                    wikidata=entry.wikidata,
                    country=entry.country,
                    role=entry.role or m.group("title"),
                    ru=entry.ru[0] if entry.ru else None,
                )
            else:
                add(f"PER:{name}", s, start, m.end("name"), "PER", name, "rule", role=m.group("title").strip())
        for m in _APPOSITION.finditer(s.text):
            name = m.group("name")
            if registry.lookup_en(name) is None and not any(w in name for w in _ORG_WORDS):
                add(f"PER:{name}", s, m.start("name"), m.end("name"), "PER", name, "rule", role=m.group("role"))
        for m in pattern.finditer(s.text):
            entry = by_form[m.group(0)]
            add(
                entry.key,
                s,
                m.start(),
                m.end(),
                entry.type,
                entry.en,
                "registry",
                wikidata=entry.wikidata,
                country=entry.country,
                role=entry.role,
                ru=entry.ru[0] if entry.ru else None,
            )
        for m in _CAPS_PHRASE.finditer(s.text):
            phrase = m.group(1)
            if any(w in phrase.split() for w in _ORG_WORDS) and m.start(1) > 0:
                add(f"ORG:{phrase}", s, m.start(1), m.end(1), "ORG", phrase, "rule")
        # lone surnames of people named in full earlier
        for surname, key in list(surnames.items()):
            for m in re.finditer(rf"(?<![\w-]){re.escape(surname)}(?![\w-])", s.text):
                add(key, s, m.start(), m.end(), "PER", entities[key]["name"], "coreference")
    mentions.sort(key=lambda m: (m["sentence"], m["start"]))
    return mentions, entities


def _unnamed(phrase: str, has_person: bool) -> str | None:
    if has_person:
        return None
    for name, pattern in _UNNAMED:
        if pattern.search(phrase):
            return name
    return None


def _speaker_info(
    s: Sentence,
    start: int,
    stop: int,
    mentions: list[dict[str, Any]],
    entities: dict[str, Any],
    last_person: str | None,
) -> dict[str, Any]:
    phrase = re.sub(r"^(?:[Aa]s|[Aa]nd|[Bb]ut)\s+", "", s.text[start:stop].strip(" ,"))
    inside = [m for m in mentions if m["sentence"] == s.index and m["start"] < stop and start < m["stop"]]
    persons = [m for m in inside if m["type"] == "PER"]
    entity = persons[0]["entity"] if persons else (inside[0]["entity"] if inside else None)
    if phrase.lower() in _PRONOUNS and last_person:
        entity = last_person
    unnamed = _unnamed(phrase, bool(persons))
    institution = None
    if unnamed:
        institution, entity = entity, None
    return {
        "speaker": phrase or None,
        "speaker_entity": entity,
        "unnamed_source": unnamed,
        "unnamed": unnamed is not None,
        "source_type": unnamed,
        "institution_entity": institution,
    }


def _quotes(
    sentences: list[Sentence], mentions: list[dict[str, Any]], entities: dict[str, Any]
) -> list[dict[str, Any]]:
    quotes: list[dict[str, Any]] = []
    last_person: str | None = None
    direct = re.compile(r"[“\"«](?P<q>[^”\"»]{10,})[”\"»],?\s*(?P<spk>[^.,]{2,120}?)\s+(?P<verb>" + REPORTING + r")\b")
    direct_after = re.compile(
        r"[“\"«](?P<q>[^”\"»]{10,})[”\"»],?\s*(?P<verb>" + REPORTING + r")\s+(?P<spk>[^.,]{2,80})"
    )
    indirect = re.compile(
        r"(?:^|[,;:]\s+|\bas\s+)(?P<spk>[A-Za-z][^,;:]{1,120}?)\s+(?P<verb>"
        + REPORTING
        + r")(?:\s+(?P<to>Izvestia|[A-Z][\w-]+|reporters|journalists))?(?:\s+[^.,;:\"“]{1,110}?)??"
        r"(?:\s+that\s+|,\s+|:\s+)(?P<q>.{10,})$"
    )
    according = re.compile(r"\b[Aa]ccording to (?P<spk>[^,]{2,100}),\s*(?P<q>.{10,})$")
    reported_by = re.compile(r"^This was (?P<verb>reported|said|stated|told) to (?P<to>\S+) by (?P<spk>[^.]+)")
    covered: set[int] = set()
    for block in _blocks(sentences):
        # dash dialogue: "- The idea is correct ..., Vladimir Dzhabarov ... told Izvestia. - But now ..."
        if not re.match(r"^\s*[-–—]\s", block[0].text):
            continue
        verb_at = next(
            ((s, m) for s in block for m in [re.search(r"\b(?P<verb>" + REPORTING + r")\b", s.text)] if m), None
        )
        if verb_at is None:
            continue
        verb_sentence, vm = verb_at
        persons = [
            x
            for x in mentions
            if x["type"] == "PER" and x["sentence"] == verb_sentence.index and x["stop"] <= vm.start()
        ]
        if not persons:
            continue
        speaker = persons[-1]
        text = " ".join(s.text for s in block).lstrip(" -–—")
        to = re.match(r"\s+(Izvestia|reporters|journalists)", verb_sentence.text[vm.end() :])
        quotes.append(
            {
                "kind": "dialogue",
                "text": text,
                "verb": vm.group("verb"),
                "addressee": to.group(1) if to else None,
                "speaker": speaker["text"],
                "speaker_entity": speaker["entity"],
                "unnamed": False,
                "unnamed_source": None,
                "source_type": None,
                "institution_entity": None,
                "sentences": [s.index for s in block],
                "sentence": block[0].index,
                "text_en": text,
            }
        )
        covered.update(s.index for s in block)
    for block in _blocks(sentences):
        block_text = " ".join(s.text for s in block)
        for m in list(direct.finditer(block_text)) + list(direct_after.finditer(block_text)):
            offsets, pos = [], 0
            for s in block:
                offsets.append(pos)
                pos += len(s.text) + 1
            inside = [
                s
                for s, off in zip(block, offsets, strict=True)
                if off < m.end("q") and m.start("q") < off + len(s.text)
            ]
            if not inside or any(s.index in covered for s in inside):
                continue
            spk_sentence = next(
                s for s, off in reversed(list(zip(block, offsets, strict=True))) if off <= m.start("spk")
            )
            off = offsets[block.index(spk_sentence)]
            info = _speaker_info(
                spk_sentence, m.start("spk") - off, m.end("spk") - off, mentions, entities, last_person
            )
            if not (info["speaker_entity"] or info["unnamed"]):
                continue
            sentences_of = sorted({s.index for s in inside} | {spk_sentence.index})
            covered.update(sentences_of)
            quotes.append(
                {
                    "kind": "direct",
                    "text": m.group("q").strip(" ,"),
                    "verb": m.group("verb"),
                    "addressee": None,
                    "sentences": sentences_of,
                    "sentence": sentences_of[0],
                    "text_en": m.group("q").strip(" ,"),
                    **info,
                }
            )
    for s in sentences:
        found: dict[str, Any] | None = None
        text = s.text
        if s.index in covered:
            pass
        elif (m := direct.search(text)) or (m := direct_after.search(text)):
            found = {
                "kind": "direct",
                "text": m.group("q").strip(" ,"),
                "verb": m.group("verb"),
                **_speaker_info(s, m.start("spk"), m.end("spk"), mentions, entities, last_person),
            }
        elif re.match(r"^\s*[-–—]\s", text) and (
            m := re.search(
                r",?\s*[-–—]?\s*(?P<spk>[^,.]*?)\s*,?\s*(?P<verb>" + REPORTING + r")\s+(?P<to>Izvestia)?", text
            )
        ):
            found = {
                "kind": "dialogue",
                "text": text.strip(" -–—"),
                "verb": m.group("verb"),
                **_speaker_info(s, m.start("spk"), m.end("spk"), mentions, entities, last_person),
            }
            # "..., Vladimir Dzhabarov, first deputy head of ..., told Izvestia": the named person
            persons = [x for x in mentions if x["sentence"] == s.index and x["type"] == "PER"]
            if persons and not found["speaker_entity"]:
                found["speaker_entity"] = persons[-1]["entity"]
                found["speaker"] = persons[-1]["text"]
                found["unnamed"], found["unnamed_source"], found["source_type"] = False, None, None
        elif m := according.search(text):
            found = {
                "kind": "according_to",
                "text": m.group("q").strip(" ."),
                "verb": "according to",
                **_speaker_info(s, m.start("spk"), m.end("spk"), mentions, entities, last_person),
            }
        elif (m := reported_by.search(text)) and quotes is not None and s.index > 0:
            prev = sentences[s.index - 1]
            found = {
                "kind": "indirect",
                "text": prev.text,
                "verb": m.group("verb"),
                "addressee": m.group("to"),
                **_speaker_info(s, m.start("spk"), m.end("spk"), mentions, entities, last_person),
            }
            found["sentences"] = [prev.index, s.index]
        elif m := indirect.search(text):
            found = {
                "kind": "indirect",
                "text": m.group("q").strip(" ."),
                "verb": m.group("verb"),
                "addressee": m.group("to"),
                **_speaker_info(s, m.start("spk"), m.end("spk"), mentions, entities, last_person),
            }
        if found is not None and (found.get("speaker_entity") or found.get("unnamed") or found.get("speaker")):
            found.setdefault("addressee", "Izvestia" if "Izvestia" in text and "told Izvestia" in text else None)
            found.setdefault("sentences", [s.index])
            found["sentence"] = found["sentences"][0]
            found["text_en"] = found["text"]
            quotes.append(found)
        persons = [m for m in mentions if m["sentence"] == s.index and m["type"] == "PER"]
        if persons:
            last_person = persons[-1]["entity"]
    return sorted(quotes, key=lambda q: q["sentence"])


def _blocks(sentences: list[Sentence]) -> list[list[Sentence]]:
    out: list[list[Sentence]] = []
    for s in sentences:
        if out and (out[-1][0].role, out[-1][0].block) == (s.role, s.block):
            out[-1].append(s)
        else:
            out.append([s])
    return out


def extract_english_dates(text: str, published: date | None, sentence: int = 0) -> list[DateMention]:
    taken: list[tuple[int, int]] = []
    out: list[DateMention] = []
    for kind, pattern in _EN_DATES:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            g = m.groupdict()
            dm = DateMention(
                sentence,
                m.start(),
                m.end(),
                m.group(0),
                None,
                "day",
                "absolute",
                modifier=_EN_MOD.get((g.get("prep") or "").lower()),
            )
            try:
                if kind in ("day", "day_range", "month", "month_part"):
                    month = _MONTHS.index(g["mon"].lower()) + 1
                    d1 = int(g.get("d1") or 15)
                    if g.get("y"):
                        year = int(g["y"])
                    elif published is not None:
                        year, dm.kind = _infer_year(month, d1, published), "partial"
                    else:
                        continue
                    if kind in ("month", "month_part"):
                        dm.precision, dm.value = "month", f"{year:04d}-{month:02d}"
                        dm.begin, dm.end = date(year, month, 1).isoformat(), _month_end(year, month).isoformat()
                        if g.get("part"):
                            dm.modifier = {
                                "early": "early",
                                "beginning of": "early",
                                "mid": "mid",
                                "middle of": "mid",
                                "late": "late",
                                "end of": "late",
                            }[g["part"]]
                    else:
                        d2 = int(g.get("d2") or d1)
                        dm.begin, dm.end = date(year, month, d1).isoformat(), date(year, month, d2).isoformat()
                        dm.value = dm.begin if d1 == d2 else f"{dm.begin}/{dm.end}"
                elif kind == "season":
                    y = int(g["y"])
                    season = {"fall": "autumn"}.get(g["season"], g["season"])
                    first = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}[season]
                    dm.precision, dm.value = "season", f"{y}-{season}"
                    dm.begin = date(y, first, 1).isoformat()
                    dm.end = _month_end(y + (first == 12), (first + 2 - 1) % 12 + 1).isoformat()
                elif kind == "year":
                    y = int(g["y"])
                    dm.precision, dm.value = "year", str(y)
                    dm.begin, dm.end = date(y, 1, 1).isoformat(), date(y, 12, 31).isoformat()
                elif kind == "relative_unit":
                    if published is None:
                        continue
                    dm.kind = "relative"
                    offset = {"this": 0, "last": -1, "next": 1}[g["rel"].lower()]
                    if g["unit"] == "week":
                        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=offset)
                        iso = monday.isocalendar()
                        dm.precision, dm.value = "week", f"{iso[0]}-W{iso[1]:02d}"
                        dm.begin, dm.end = monday.isoformat(), (monday + timedelta(days=6)).isoformat()
                    elif g["unit"] == "month":
                        idx = published.year * 12 + published.month - 1 + offset
                        y, mth = divmod(idx, 12)
                        dm.precision, dm.value = "month", f"{y:04d}-{mth + 1:02d}"
                        dm.begin, dm.end = date(y, mth + 1, 1).isoformat(), _month_end(y, mth + 1).isoformat()
                    else:
                        y = published.year + offset
                        dm.precision, dm.value = "year", str(y)
                        dm.begin, dm.end = date(y, 1, 1).isoformat(), date(y, 12, 31).isoformat()
                elif kind == "relative_day":
                    if published is None:
                        continue
                    dm.kind = "relative"
                    d = published + timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[g["word"].lower()])
                    dm.value = dm.begin = dm.end = d.isoformat()
            except ValueError:
                continue
            taken.append((m.start(), m.end()))
            out.append(dm)
    return sorted(out, key=lambda d: d.start)


_EN_NUM = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "hundred": 100,
    "dozens": None,
    "several": None,
}


def _quantities(s: Sentence) -> list[dict[str, Any]]:
    out = []
    words = "|".join(_EN_NUM)
    for m in re.finditer(
        rf"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)?|{words})\s+(?:more\s+)?(?P<unit>[a-z]{{3,}})", s.text, re.I
    ):
        unit = m.group("unit").lower()
        if (
            unit in ("and", "the", "of", "in", "to", "was", "were", "key", "is", "following", "more", "or")
            or unit in _MONTHS
        ):
            continue
        num = m.group("num").lower()
        value = _EN_NUM.get(num) if not num[0].isdigit() else float(num.replace(",", ""))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out.append(
            {"sentence": s.index, "start": m.start(), "stop": m.end(), "text": m.group(0), "value": value, "unit": unit}
        )
    return out
