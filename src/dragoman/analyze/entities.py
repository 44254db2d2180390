"""People, organizations and places: natasha's NER, corrected by the registry and a few measured rules.

Rules on top of natasha (each checked on factRuEval's devset and NEREL's dev split, see bench/ner_eval.py):
registry names in any case form are one mention (МИД РФ, Совет Федерации, Совет Россия-НАТО);
an ORG followed by a place in the genitive is one ORG (Минобороны России); all-caps headlines and agency
datelines are not tagged; a lone surname is linked to the full name earlier in the article; every mention
is normalized to the nominative (Лаврова -> Лавров) and given one canonical English name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dragoman.analyze.registry import Registry, RegistryEntry, fold, person_word_matches, stem_word, stems_match
from dragoman.analyze.sentences import Sentence
from dragoman.analyze.translit import transliterate

# "МОСКВА, 26 января. /ТАСС/." or "МОСКВА, 26 янв — РИА Новости." at the start of a wire story.
DATELINE = re.compile(
    r"^\s*[А-ЯЁ][А-ЯЁ\- ]{2,}(?:\s*\([^)]*\))?\s*,\s*\d{1,2}\s+[а-яё]+\.?(?:\s*\d{4})?\s*"
    r"(?:[.—–-]\s*)?(?:/[^/]{2,30}/\.?|[—–-]?\s*(?:РИА Новости|ТАСС|Интерфакс|Прайм|RT|РБК)\.?)?"
)
_CAPS_RATIO = 0.6
# Places that stand for the Russian state when they act ("Москва заявила", "Кремль ответил").
STATE_METONYMS = {"Russia", "Moscow", "Kremlin", "Washington", "United States", "Kyiv", "Beijing", "Brussels"}
_STATE_OF = {
    "Moscow": "Russia",
    "Kremlin": "Russia",
    "Washington": "United States",
    "Kyiv": "Ukraine",
    "Beijing": "China",
    "Brussels": "European Union",
}
_GENITIVE_PLACES = {
    "Russia",
    "United States",
    "Ukraine",
    "Belarus",
    "China",
    "Germany",
    "France",
    "United Kingdom",
    "Moscow",
    "Kyiv",
    "European Union",
}


@dataclass(slots=True)
class Mention:
    start: int  # offsets in the joined article text
    stop: int
    type: str
    text: str
    normal: str
    source: str  # natasha | registry | rule
    kind: str = "name"  # name | descriptor (альянс, внешнеполитическое ведомство)
    entry: RegistryEntry | None = None
    sentence: int = 0
    entity: str = ""  # key of the entity it refers to
    state_actor: bool = False
    tokens: list[Any] = field(default_factory=list)
    same_as: Mention | None = None  # "(Joel Simon)" after "Джоэл Саймон": the same entity

    def to_dict(self, sentence_start: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entity": self.entity,
            "type": self.type,
            "text": self.text,
            "normal": self.normal,
            "sentence": self.sentence,
            "start": self.start - sentence_start,
            "stop": self.stop - sentence_start,
            "source": self.source,
            "kind": self.kind,
        }
        if self.state_actor:
            out["state_actor"] = True
        return out


def _is_caps_sentence(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) >= _CAPS_RATIO


def _sub_tokens(tokens: list[Any]) -> list[tuple[int, int, str, int]]:
    """Tokens split at hyphens (Россия-НАТО -> Россия, -, НАТО) with their offsets and owning token index."""
    out: list[tuple[int, int, str, int]] = []
    for i, tok in enumerate(tokens):
        if "-" in tok.text and len(tok.text) > 1:
            pos = tok.start
            for part in re.split(r"(-)", tok.text):
                if part:
                    out.append((pos, pos + len(part), part, i))
                pos += len(part)
        else:
            out.append((tok.start, tok.stop, tok.text, i))
    return out


def registry_matches(tokens: list[Any], registry: Registry, text: str) -> list[Mention]:
    """Registry names found in the token stream in any grammatical case, longest first, no overlaps."""
    index = registry.stem_index()
    subs = _sub_tokens(tokens)
    stems = [stem_word(s[2]) for s in subs]
    found: list[Mention] = []
    i = 0
    while i < len(subs):
        candidates = index.get(stems[i][:3], [])
        match = None
        for form_stems, entry, lowercase, form_words in candidates:
            n = len(form_stems)
            if i + n > len(subs):
                continue
            if all(
                stems_match(stems[i + k], form_stems[k])
                if form_stems[k].isalpha() and not subs[i + k][2].isupper()
                else stems[i + k] == form_stems[k]
                for k in range(n)
            ):
                first = subs[i][2]
                if not lowercase and not first[:1].isupper():
                    continue
                if entry.type == "PER" and not all(
                    person_word_matches(subs[i + k][2], form_words[k]) for k in range(n) if form_words[k].isalpha()
                ):
                    continue
                if lowercase and first[:1].isupper() and i > 0:
                    # "Альянс" mid-sentence with a capital is some other name; only the sentence start is ok.
                    prev = subs[i - 1][2]
                    if prev not in '.!?…«"':
                        continue
                match = (n, entry, lowercase)
                break
        if match is None:
            i += 1
            continue
        n, entry, lowercase = match
        start, stop = subs[i][0], subs[i + n - 1][1]
        found.append(
            Mention(
                start,
                stop,
                entry.type,
                text[start:stop],
                entry.ru[0] if entry.ru else entry.en,
                "registry",
                kind="descriptor" if lowercase else "name",
                entry=entry,
            )
        )
        i += n
    return found


def extract_entities(
    doc: Any, sentences: list[Sentence], registry: Registry, *, morph_vocab: Any
) -> tuple[list[Mention], dict[str, dict[str, Any]]]:
    """Mentions (linked and normalized) and the entities they refer to, keyed by entity key."""
    text = doc.text
    sentence_of = _sentence_locator(sentences)
    blocked: list[tuple[int, int]] = []
    caps_sentences: set[int] = set()
    for s in sentences:
        if _is_caps_sentence(s.text):
            caps_sentences.add(s.index)
        m = DATELINE.match(s.text) if s.index <= 2 else None
        if m and m.end() > 0:
            blocked.append((s.start, s.start + m.end()))

    natasha: list[Mention] = []
    for span in doc.spans or []:
        if any(a <= span.start < b for a, b in blocked):
            continue
        if not span.text[:1].isupper() and not span.text[:1].isdigit():
            continue  # natasha's rare lowercase spans are common nouns
        span.normalize(morph_vocab)
        natasha.append(
            Mention(
                span.start,
                span.stop,
                span.type,
                span.text,
                span.normal or span.text,
                "natasha",
                tokens=list(span.tokens),
            )
        )
    regs = [m for m in registry_matches(doc.tokens, registry, text) if not any(a <= m.start < b for a, b in blocked)]

    mentions = _merge(natasha, regs)
    mentions = _tidy_org_spans(mentions, text)
    if JOIN_ORG_WITH_PLACE:
        mentions = _join_org_with_place(mentions, text, registry)
    for m in mentions:
        m.sentence = sentence_of(m.start)
    # Headlines in capitals: natasha tags every capitalized word; keep only names the registry knows.
    mentions = [m for m in mentions if m.sentence not in caps_sentences or m.entry is not None]

    _mark_state_actors(mentions, doc)
    entities = _link(mentions, registry)
    return mentions, entities


# Not names of one body: the press at large, platforms, a disease (natasha tags them ORG).
_NOT_ORGS = {
    "сми",
    "жж",
    "twitter",
    "facebook",
    "instagram",
    "weibo",
    "wechat",
    "youtube",
    "telegram",
    "covid-19",
    "пао",
    "оао",
    "зао",
    "ооо",
    "гу",
}
_LEGAL_FORM = re.compile(
    r"^(?:(?:ОАО|ПАО|ЗАО|ООО|АО|ГУП|МУП|ФГУП|НКО|АНО|УК|ГК|НПО|ОДО|концерн|компания|Концерн|Компания|банк|Банк)\s+)+"
    r"[«\"„“](?P<name>[^»\"”“]+)[»\"”“]?$"
)
_PAREN_ABBR = re.compile(r"^(?P<name>.+?)\s*\((?P<abbr>[A-ZА-ЯЁ][A-ZА-ЯЁa-zа-яё\-]{1,12})\)$")
# "Джоэл Саймон (Joel Simon)": the original spelling in brackets is a second mention of the same name
_PAREN_ALT = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<abbr>[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ.'\- ]{1,60})\)?$")
JOIN_ORG_WITH_PLACE = True


def _tidy_org_spans(mentions: list[Mention], text: str) -> list[Mention]:
    """Legal forms and quotes off names (ОАО «Газпром» -> Газпром), "Name (ABBR)" as two mentions."""
    out: list[Mention] = []
    split: list[Mention] = []
    for m in mentions:
        # natasha runs bulleted lists together ("Йемен • Замбия"): one mention per item
        if "•" in m.text and m.source == "natasha":
            pos = m.start
            for part in m.text.split("•"):
                lead = len(part) - len(part.lstrip(" )("))
                core = part.strip(" )(")
                if core:
                    start = pos + lead
                    split.append(
                        Mention(
                            start,
                            start + len(core),
                            m.type,
                            core,
                            core,
                            m.source,
                            tokens=[t for t in m.tokens if start <= t.start < start + len(core)],
                        )
                    )
                pos += len(part) + 1
            continue
        split.append(m)
    for m in split:
        stripped = m.text.rstrip(".,;: ")
        if stripped != m.text:
            m.stop = m.start + len(stripped)
            m.text = stripped
        if m.type == "ORG" and fold(m.text) in _NOT_ORGS:
            continue
        if m.type == "ORG" and (legal := _LEGAL_FORM.match(m.text)):
            start = m.start + legal.start("name")
            m = Mention(
                start,
                start + len(legal.group("name")),
                "ORG",
                legal.group("name"),
                m.normal if m.entry else legal.group("name"),
                m.source,
                entry=m.entry,
                tokens=[t for t in m.tokens if t.start >= start],
            )
        paren = _PAREN_ABBR.match(m.text) if m.type == "ORG" else None
        paren = paren or _PAREN_ALT.match(m.text)
        if paren is None and m.text.endswith(("(", ")")) and "(" not in m.text.rstrip("(")[:-1]:
            stripped = m.text.rstrip(" ()")
            m.stop, m.text = m.start + len(stripped), stripped
        if m.type == "PER" and paren is None and ", " in m.text and m.source == "natasha":
            # "Овечкин, Фёдоров": natasha ran a list of names together
            pos = m.start
            for part in m.text.split(", "):
                if part.strip():
                    out.append(
                        Mention(
                            pos,
                            pos + len(part),
                            "PER",
                            part,
                            part,
                            m.source,
                            tokens=[t for t in m.tokens if pos <= t.start < pos + len(part)],
                        )
                    )
                pos += len(part) + 2
            continue
        if paren is not None:
            name_stop = m.start + paren.end("name")
            abbr_start = m.start + paren.start("abbr")
            out.append(
                Mention(
                    m.start,
                    name_stop,
                    m.type,
                    paren.group("name"),
                    _strip_paren(m.normal),
                    m.source,
                    entry=m.entry,
                    tokens=[t for t in m.tokens if t.stop <= name_stop],
                )
            )
            alt = Mention(
                abbr_start,
                abbr_start + len(paren.group("abbr")),
                m.type,
                paren.group("abbr"),
                paren.group("abbr"),
                m.source,
                entry=m.entry,
            )
            alt.same_as = out[-1]
            out.append(alt)
            continue
        out.append(m)
    return out


def _strip_paren(normal: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", normal)


def _sentence_locator(sentences: list[Sentence]) -> Any:
    starts = [s.start for s in sentences]

    def locate(offset: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    return locate


def _merge(natasha: list[Mention], regs: list[Mention]) -> list[Mention]:
    """Registry names win over natasha where they overlap and are at least as long; natasha keeps the rest."""
    chosen: list[Mention] = []
    for reg in regs:
        overlapping = [n for n in natasha if n.start < reg.stop and reg.start < n.stop]
        longer = [n for n in overlapping if (n.stop - n.start) > (reg.stop - reg.start)]
        if reg.kind == "descriptor" and overlapping:
            continue
        if longer:
            # natasha's span is longer (e.g. a full ministry name): keep it, take the registry's link if same type.
            for n in longer:
                if n.entry is None and n.type == reg.type and n.start == reg.start:
                    n.entry = reg.entry
            continue
        for n in overlapping:
            natasha.remove(n)
        chosen.append(reg)
    chosen.extend(natasha)
    chosen.sort(key=lambda m: m.start)
    return chosen


def _join_org_with_place(mentions: list[Mention], text: str, registry: Registry) -> list[Mention]:
    """ "МВД" + "России" -> one ORG "МВД России": a body of the state is named with its state in the genitive."""
    out: list[Mention] = []
    for m in mentions:
        if out:
            prev = out[-1]
            gap = text[prev.stop : m.start]
            if (
                prev.type == "ORG"
                and m.type == "LOC"
                and gap == " "
                and m.kind == "name"
                and prev.kind == "name"
                and _looks_genitive(m)
                and (m.entry is None or m.entry.en in _GENITIVE_PLACES or m.entry.type == "LOC")
                and "\n" not in gap
            ):
                joined = text[prev.start : m.stop]
                entry = registry.lookup_ru(joined)
                if entry is None and prev.entry is not None and m.entry is not None and m.entry.en == "Russia":
                    entry = prev.entry  # "Минобороны России" is the registry's Russian ministry
                # a registry acronym's normal form names Russia's body ("МИД России"); use the words as written
                head = prev.text if prev.source == "registry" else prev.normal
                normal = entry.ru[0] if entry is not None and entry.ru else f"{head} {m.text}"
                out[-1] = Mention(
                    prev.start, m.stop, "ORG", joined, normal, "rule", entry=entry, tokens=prev.tokens + m.tokens
                )
                continue
        out.append(m)
    return out


def _looks_genitive(m: Mention) -> bool:
    if m.text.isupper():
        return True  # РФ, США: indeclinable, the position says genitive
    if m.tokens:
        return all((t.feats or {}).get("Case") == "Gen" for t in m.tokens if t.pos in ("PROPN", "NOUN", "ADJ"))
    return m.text.endswith(("ии", "ы", "и", "а", "я"))


def _mark_state_actors(mentions: list[Mention], doc: Any) -> None:
    """Россия/Москва/Кремль as the grammatical subject of a verb act for the state."""
    subj_tokens = {(t.start, t.stop) for t in doc.tokens if getattr(t, "rel", None) in ("nsubj", "nsubj:pass")}
    for m in mentions:
        if m.entry is None or m.entry.en not in STATE_METONYMS:
            continue
        if any(m.start <= a and b <= m.stop for a, b in subj_tokens):
            m.state_actor = True


def _link(mentions: list[Mention], registry: Registry) -> dict[str, dict[str, Any]]:
    """Give each mention an entity: registry entry, else an earlier full name, else its own normal form."""
    entities: dict[str, dict[str, Any]] = {}
    full_names: list[tuple[str, str]] = []  # (folded surname, entity key) of full PER names seen so far

    def ensure(key: str, **info: Any) -> dict[str, Any]:
        if key not in entities:
            entities[key] = {"key": key, "mentions": 0, **info}
        return entities[key]

    # Lone surnames may come before the full name (headlines): collect full names first, prefer earlier ones.
    all_full = [m for m in mentions if m.type == "PER" and len(m.normal.split()) >= 2]
    for m in mentions:
        if m.same_as is not None and m.same_as.entity in entities:
            m.entity = m.same_as.entity
            entities[m.entity]["mentions"] += 1
            continue
        entry = m.entry or registry.lookup_ru(m.normal, m.type)
        if entry is not None and entry.type != m.type and "PER" in (entry.type, m.type):
            entry = None
        if entry is not None:
            m.entry = entry
            m.type = entry.type
            key = entry.key
            ensure(
                key,
                name=entry.en,
                type=entry.type,
                ru=entry.ru[0] if entry.ru else m.normal,
                wikidata=entry.wikidata,
                country=entry.country,
                role=entry.role,
                source="registry",
            )
            if entry.type == "PER":
                full_names.append((fold(entry.ru[0].split()[-1]) if entry.ru else fold(entry.en), key))
        elif m.type == "PER":
            parts = m.normal.split()
            key = ""
            if len(parts) == 1:
                surname = fold(parts[0])
                for known_surname, known_key in reversed(full_names):
                    if known_surname == surname or stems_match(stem_word(parts[0]), stem_word(known_surname)):
                        key = known_key
                        break
                if not key:
                    later = next((f for f in all_full if fold(f.normal.split()[-1]) == surname), None)
                    if later is not None:
                        later_entry = later.entry or registry.lookup_ru(later.normal, "PER")
                        key = later_entry.key if later_entry else f"PER:{fold(later.normal)}"
                        if later_entry is None:
                            ensure(
                                key,
                                name=_english_person(later.normal),
                                type="PER",
                                ru=later.normal,
                                wikidata=None,
                                country=None,
                                role=None,
                                source="transliteration",
                            )
                        else:
                            ensure(
                                key,
                                name=later_entry.en,
                                type="PER",
                                ru=later_entry.ru[0] if later_entry.ru else later.normal,
                                wikidata=later_entry.wikidata,
                                country=later_entry.country,
                                role=later_entry.role,
                                source="registry",
                            )
            if not key:
                key = f"PER:{fold(m.normal)}"
                ensure(
                    key,
                    name=_english_person(m.normal),
                    type="PER",
                    ru=m.normal,
                    wikidata=None,
                    country=None,
                    role=None,
                    source="transliteration",
                )
                if len(parts) >= 2:
                    full_names.append((fold(parts[-1]), key))
        else:
            key = f"{m.type}:{fold(m.normal)}"
            ensure(
                key,
                name=transliterate(m.normal),
                type=m.type,
                ru=m.normal,
                wikidata=None,
                country=None,
                role=None,
                source="transliteration",
            )
        m.entity = key
        info = entities[key]
        info["mentions"] += 1
        if m.state_actor:
            info["state_actor"] = True
    return entities


def _english_person(normal: str) -> str:
    return " ".join(transliterate(p) for p in normal.split())


def state_of(entity: dict[str, Any]) -> str | None:
    """The state an entity acts for (Lavrov -> Russia, Kremlin -> Russia), for actor grouping."""
    if entity.get("type") == "LOC" and entity.get("name") in _STATE_OF:
        return _STATE_OF[entity["name"]]
    return entity.get("country") or (entity.get("name") if entity.get("type") == "LOC" else None)


_EN_NAME = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2}\b")


def names_from_translation(
    mentions: list[Mention], entities: dict[str, dict[str, Any]], sentences: list[Sentence]
) -> None:
    """Use the translation's spelling of a person the registry does not know (Юрий -> "Yuri", not "Yury").

    Only when the aligned English sentence has a capitalized name whose surname is close to our
    transliteration: the engine's rendering is what the reader sees next to the analysis.
    """
    from difflib import SequenceMatcher

    for key, info in entities.items():
        if info.get("source") != "transliteration" or info.get("type") != "PER":
            continue
        ours = info["name"].split()
        best: tuple[float, str] | None = None
        for m in mentions:
            if m.entity != key:
                continue
            english = sentences[m.sentence].en if m.sentence < len(sentences) else None
            for found in _EN_NAME.findall(english or ""):
                words = found.split()
                if len(words) != len(ours) and len(ours) > 1 and len(words) > 1:
                    continue
                score = SequenceMatcher(None, words[-1].lower(), ours[-1].lower()).ratio()
                if len(ours) > 1 and len(words) > 1:
                    score = min(score, SequenceMatcher(None, words[0].lower(), ours[0].lower()).ratio())
                if score >= 0.75 and (best is None or score > best[0]) and len(words) >= len(ours):
                    best = (score, found)
        if best is not None and best[1] != info["name"]:
            info["transliteration"] = info["name"]
            info["name"] = best[1]
            info["source"] = "translation"
