"""People, organizations and places: natasha's NER, corrected by the registry and a few measured rules.

Rules on top of natasha (each checked on factRuEval's devset and NEREL's dev split, see bench/ner_eval.py):
registry names in any case form are one mention (МИД РФ, Совет Федерации, Совет Россия-НАТО);
an ORG followed by a place or body in the genitive is one ORG (Минобороны России, Генштаба ВС РФ), and so is
a body's head noun with the name it governs (посольство США, пресс-служба МВД), each keeping its named
``parts``; all-caps headlines and agency datelines are not tagged; titles and capitalized common words are
not names (Император Акихито -> Акихито); a lone surname is tagged and linked to the full name in the
article; every mention is normalized to the nominative (Лаврова -> Лавров) and given one English name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dragoman.analyze.nlp import word_lemma
from dragoman.analyze.sentences import Sentence
from dragoman.names.place_names import place_name
from dragoman.names.registry import Registry, RegistryEntry, fold, person_word_matches, stem_word, stems_match
from dragoman.names.translit import transliterate

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
    # a joined name's own named parts (start, stop, type): "МИД России" = ORG "МИД" + LOC "России"
    parts: list[tuple[int, int, str]] = field(default_factory=list)

    def piece(self, start: int, text: str, type_: str, entry: RegistryEntry | None = None) -> Mention:
        """The mention of ``text``, a piece of this one at ``start`` (two names run together, a list of names),
        its own normal form, with this one's tokens that fall inside it."""
        stop = start + len(text)
        tokens = [t for t in self.tokens if start <= t.start < stop]
        return Mention(start, stop, type_, text, text, self.source, entry=entry, tokens=tokens)

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
        if self.parts:
            out["parts"] = [
                {"type": t, "start": a - sentence_start, "stop": b - sentence_start} for a, b, t in self.parts
            ]
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
                if any(len(subs[i + k][2]) < len(form_stems[k]) for k in range(n)):
                    continue  # a shorter word is another word (Кан is not Канада), whatever its stem
                if entry.type != "PER" and any(
                    stems[i + k] != form_stems[k]
                    and form_words[k].isalpha()
                    and word_lemma(subs[i + k][2]) != word_lemma(form_words[k])
                    for k in range(n)
                ):
                    continue  # stems close but lemmas differ: Известно is not Известия
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
    mentions = _tidy_person_spans(mentions, text, [s.start for s in sentences], morph_vocab)
    _repair_normal_forms(mentions, morph_vocab)
    mentions = _propagate_surnames(mentions, doc.tokens, blocked)
    _merge_inflected_people(mentions)
    if JOIN_ORG_WITH_PLACE:
        mentions = _join_org_with_place(mentions, text, registry)
    mentions = _org_heads_with_names(mentions, doc.tokens, text)
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
_PAREN_ABBR = re.compile(r"^(?P<name>.+?)\s*\((?P<abbr>[A-ZА-ЯЁ][A-ZА-ЯЁa-zа-яё\-]{1,12}(?: [A-ZА-ЯЁ]{2,4})?)\)$")
# "Джоэл Саймон (Joel Simon)": the original spelling in brackets is a second mention of the same name
_PAREN_ALT = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<abbr>[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ.'\- ]{1,60})\)?$")
_PAREN_PERSON = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<abbr>[А-ЯЁ][а-яё]+(?:[ -][А-ЯЁ][а-яё]+)?)\)?$")
_PAREN_ORG = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<abbr>[A-ZА-ЯЁ][^()]{1,80}?)\)?$")
JOIN_ORG_WITH_PLACE = True
JOIN_ORG_WITH_ORG = True


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
                    split.append(m.piece(start, core, m.type))
                pos += len(part) + 1
            continue
        split.append(m)
    for m in split:
        stripped = m.text.rstrip(".,;: ")
        if stripped != m.text:
            m.stop = m.start + len(stripped)
            m.text = stripped
        if m.type != "PER" and "\n" in m.text:
            # a name does not run over a line break (a headline into the first line)
            first_line = m.text.split("\n")[0].rstrip()
            m.stop, m.text = m.start + len(first_line), first_line
            m.tokens = [t for t in m.tokens if t.stop <= m.stop]
            if not first_line:
                continue
        for opening, closing in (("«", "»"), ('"', '"'), ("„", "“")):
            opened = m.text.count(opening) if opening != closing else m.text.count(opening) % 2
            closed = m.text.count(closing) if opening != closing else 0
            if opening != closing and closed > opened and m.text.endswith(closing):
                m.stop, m.text = m.stop - 1, m.text[:-1]  # "Исламское государство»": a stray closing quote
            elif opened > closed and text[m.stop : m.stop + 1] == closing and m.text[:1] != opening:
                m.stop, m.text = m.stop + 1, m.text + closing  # Ассоциации "Совет ...": close the quote
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
        # "Хитли (Гецлаф)": natasha ran two people together over a bracket; two mentions, not one person
        other_person = None if paren is not None or m.type != "PER" else _PAREN_PERSON.match(m.text)
        paren = paren or other_person
        if paren is None and m.type == "ORG" and (org_paren := _PAREN_ORG.match(m.text)):
            # "ОПЕК (Организацией стран - экспортеров нефти)": an abbreviation and its expansion, two mentions
            paren = org_paren
            if not (org_paren.group("name").isupper() or org_paren.group("abbr").isupper()):
                other_person = org_paren  # not the same body written two ways: no same_as link
        if paren is None and m.text.endswith(("(", ")")) and "(" not in m.text.rstrip("(")[:-1]:
            stripped = m.text.rstrip(" ()")
            m.stop, m.text = m.start + len(stripped), stripped
        if m.type == "PER" and paren is None and ", " in m.text and m.source == "natasha":
            # "Овечкин, Фёдоров": natasha ran a list of names together
            pos = m.start
            for part in m.text.split(", "):
                if part.strip():
                    out.append(m.piece(pos, part, "PER"))
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
            alt.same_as = out[-1] if other_person is None else None
            out.append(alt)
            continue
        out.append(m)
    return out


_NAME_GRAMMEMES = {"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr", "Init"}
_INITIAL_BEFORE = re.compile(r"(?:\b[А-ЯЁA-Z][а-яёa-z]?\.\s?){1,2}$")


# Titles natasha tags as part of the name (Принц Уильям, Шейх Хамад) even where it calls them PROPN.
_TITLES = {
    "принц",
    "принцесса",
    "кронпринц",
    "король",
    "королева",
    "император",
    "императрица",
    "шейх",
    "эмир",
    "султан",
    "папа",
    "герцог",
    "герцогиня",
    "граф",
    "графиня",
    "барон",
    "мадам",
    "мистер",
    "миссис",
    "сэр",
    "леди",
    "патриарх",
    "митрополит",
    "президент",
    "премьер",
    "генерал",
    "доктор",
    "аятолла",
    "маршал",
}


def _is_common_word(word: str, morph_vocab: Any) -> bool:
    """A dictionary word that is never a name (Внук, Свергнутый, Император): capitalized only by position."""
    if morph_vocab is None or not word.isalpha() or word.isupper():
        return False
    parses = morph_vocab.parse(word.lower())
    return bool(parses) and all(p.is_known and not (_NAME_GRAMMEMES & set(p.tag.grammemes)) for p in parses)


def _tidy_person_spans(
    mentions: list[Mention], text: str, sentence_starts: list[int], morph_vocab: Any
) -> list[Mention]:
    """PER spans cut at line breaks, without a leading title or descriptor, with initials glued on (Б.Обама)."""
    starts = set(sentence_starts)

    def sentence_initial(offset: int) -> bool:
        before = text[:offset].rstrip(' \t\xa0«"„“—–-')
        return offset in starts or not before or before[-1] in ".!?…\n:"

    out: list[Mention] = []
    for m in mentions:
        if m.type != "PER":
            out.append(m)
            continue
        pieces = [m]
        if "\n" in m.text and m.source != "registry":
            pieces = []
            pos = m.start
            for part in m.text.split("\n"):
                core = part.strip()
                if core[:1].isupper():
                    start = pos + part.index(core)
                    pieces.append(m.piece(start, core, "PER", m.entry))
                pos += len(part) + 1
        for piece in pieces:
            stripped = piece.text.rstrip(" \xa0—–-.,;:")
            piece.stop, piece.text = piece.start + len(stripped), stripped
            first, _, rest = piece.text.partition(" ")
            first_pos = piece.tokens[0].pos if piece.tokens and piece.tokens[0].text == first else None
            titled = first_pos not in ("PROPN", None) or first.lower() in _TITLES
            if (
                piece.source != "registry"
                and rest
                and titled
                and _is_common_word(first, morph_vocab)
                and rest[:1].isupper()
            ):
                start = piece.start + len(first) + 1
                piece = Mention(
                    start,
                    piece.stop,
                    "PER",
                    rest,
                    rest,
                    piece.source,
                    entry=piece.entry,
                    tokens=[t for t in piece.tokens if t.start >= start],
                )
            initials = _INITIAL_BEFORE.search(text, max(0, piece.start - 8), piece.start)
            if (
                initials
                and initials.end() == piece.start
                and not any(o.start < piece.start and initials.start() < o.stop for o in out)
            ):
                piece.start, piece.text = initials.start(), text[initials.start() : piece.stop]
            out.append(piece)
    # a lone sentence-initial common word tagged as a name ("Внук", "Известный") is kept only if it is a
    # name elsewhere in the article
    named_inside = {fold(m.text) for m in out if not sentence_initial(m.start)}
    return [
        m
        for m in out
        if not (
            m.source != "registry"
            and " " not in m.text
            and sentence_initial(m.start)
            and _is_common_word(m.text, morph_vocab)
            and fold(m.text) not in named_inside
        )
    ]


# Oblique endings of a Russian adjective (longest first) and the nominative ending of each gender and number.
_ADJ_OBLIQUE = ("ого", "его", "ому", "ему", "ыми", "ими", "ым", "им", "ом", "ем", "ой", "ей", "ую", "юю", "ых", "их")
_ADJ_NOMINATIVE = {"Masc": "ый", "Fem": "ая", "Neut": "ое", "Plur": "ые"}
_SOFT_STEM = "гкхжшчщ"  # stems that take -ий / -ие (Высший, Высшие); -ая / -ое after them is unchanged
# A man's surname in an oblique case (the case of his given name), back to the nominative (Вовка -> Вовк).
_SURNAME_CASE_ENDINGS = {"Gen": ("а", "я"), "Acc": ("а", "я"), "Dat": ("у", "ю"), "Ins": ("ом", "ем"), "Loc": ("е",)}


def _repair_normal_forms(mentions: list[Mention], morph_vocab: Any) -> None:
    """Fix natasha's nominative where its lemmatizer is wrong or gives up.

    Names of places and bodies: an adjective keeps its own stem (Высшей -> Высшая, not pymorphy's
    Высочайшая) and an adjective natasha left in an oblique case agrees with its noun (Малахитовом фойе ->
    Малахитовое фойе). People: a surname natasha left inflected takes the case of the given name before
    it (Павла Вовка -> Павел Вовк, Павлу Вовку -> Павел Вовк), since pymorphy reads Вовка as a first name.
    """
    for m in mentions:
        if m.source == "registry" or m.entry is not None:
            continue
        words = m.normal.split()
        tokens = [t for t in m.tokens if any(c.isalnum() for c in t.text)]
        if len(words) != len(tokens) or len(words) < 2:
            continue
        if m.type == "PER":
            first = tokens[0].feats or {}
            case = first.get("Case")
            surname, surname_text = words[-1], tokens[-1].text
            if (
                first.get("Gender") == "Masc"
                and case in _SURNAME_CASE_ENDINGS
                and fold(words[0]) != fold(tokens[0].text)  # the given name itself was inflected
                and fold(surname) == fold(surname_text)
                and not surname.endswith(("ий", "ый", "ой", "ого", "ому", "им", "ым"))  # adjectival: pymorphy's
            ):
                for ending in _SURNAME_CASE_ENDINGS[case]:
                    if surname.endswith(ending) and len(surname) - len(ending) >= 3:
                        stem = surname[: -len(ending)]
                        words[-1] = stem + "й" if ending in ("я", "ю", "ем") and stem[-1] in "аеоуэ" else stem
                        break
            m.normal = " ".join(words)
            continue
        adjectives = [t.pos == "ADJ" or (t.pos == "PROPN" and _is_adjective(t.text, morph_vocab)) for t in tokens]
        nouns = [t for t, adj in zip(tokens, adjectives, strict=True) if t.pos in ("NOUN", "PROPN") and not adj]
        head_gender = _gender_of(nouns[0].text, morph_vocab) if nouns else None
        for i, (word, tok) in enumerate(zip(words, tokens, strict=True)):
            if not adjectives[i] or not word[:1].isalpha():
                continue
            text_word = tok.text
            ending = next((e for e in _ADJ_OBLIQUE if text_word.lower().endswith(e)), None)
            if ending is None:
                continue
            stem = text_word[: -len(ending)]
            if fold(word) == fold(text_word):
                gender = "Plur" if (tok.feats or {}).get("Number") == "Plur" else head_gender
                if gender is None or (tok.feats or {}).get("Case") == "Nom":
                    continue
                nominative = _ADJ_NOMINATIVE[gender]
            elif not fold(word).startswith(fold(stem)):
                nominative = word[-2:]  # natasha's gender and number, on the word's own stem
            else:
                continue
            if stem[-1:].lower() in _SOFT_STEM and nominative in ("ый", "ые"):
                nominative = "и" + nominative[1]
            words[i] = stem + nominative
        m.normal = " ".join(words)


def _is_adjective(word: str, morph_vocab: Any) -> bool:
    """natasha tags Малахитовом in «Малахитовом фойе» PROPN; pymorphy knows it for an adjective."""
    parses = morph_vocab.parse(word.lower())
    return bool(parses) and "ADJF" in parses[0].tag


def _gender_of(noun: str, morph_vocab: Any) -> str | None:
    for parse in morph_vocab.parse(noun.lower()):
        tag = parse.tag
        if "NOUN" in tag:
            if "plur" in tag and "Pltm" in tag:
                return "Plur"
            return {"masc": "Masc", "femn": "Fem", "neut": "Neut"}.get(tag.gender or "")
    return None


def _merge_inflected_people(mentions: list[Mention]) -> None:
    """Full names that differ only by a case ending of the surname are one person: the shortest form wins.

    "Павел Вовк", "Павел Вовка", "Павел Вовку": the last two are case forms of the first (the person_word_matches
    rule the registry uses), so all three take its normal form.
    """
    people = [m for m in mentions if m.type == "PER" and m.entry is None and len(m.normal.split()) >= 2]
    by_given: dict[str, set[str]] = {}
    for m in people:
        by_given.setdefault(fold(m.normal.split()[0]), set()).add(m.normal.split()[-1])
    for m in people:
        words = m.normal.split()
        bases = [
            s
            for s in by_given[fold(words[0])]
            if len(s) < len(words[-1]) and person_word_matches(words[-1], s) and not s.endswith(("а", "я"))
        ]
        if bases:
            words[-1] = min(bases, key=len)
            m.normal = " ".join(words)


def _propagate_surnames(mentions: list[Mention], tokens: list[Any], blocked: list[tuple[int, int]]) -> list[Mention]:
    """Untagged capitalized words that are the surname of a full name in the article are that person ("Кан")."""
    surnames: set[str] = set()
    for m in mentions:
        words = m.normal.split()
        if m.type == "PER" and words and words[-1][:1].isupper() and len(words[-1]) >= 3:
            surnames.add(fold(words[-1]))
    if not surnames:
        return mentions
    taken = sorted((m.start, m.stop) for m in mentions)
    added: list[Mention] = []
    for i, tok in enumerate(tokens):
        word = tok.text
        if not (word[:1].isupper() and word.isalpha() and not word.isupper() and len(word) >= 3):
            continue
        if any(a < tok.stop and tok.start < b for a, b in taken) or any(a <= tok.start < b for a, b in blocked):
            continue
        surname = next((s for s in surnames if person_word_matches(word, s)), None)
        if surname is None:
            continue
        # a capitalized neighbour means a longer name natasha missed; leave it alone
        following = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if following[:1].isupper() and following.isalpha():
            continue
        added.append(Mention(tok.start, tok.stop, "PER", word, surname.capitalize(), "rule", tokens=[tok]))
    if not added:
        return mentions
    return sorted(mentions + added, key=lambda m: m.start)


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
            # "Палата депутатов" + "Национального конгресса": a body of a body in the genitive is one ORG too
            body_of_body = (
                JOIN_ORG_WITH_ORG
                and m.type == "ORG"
                and re.search("[А-ЯЁа-яё]", m.text) is not None
                and not prev.text.isupper()
            )
            if (
                prev.type == "ORG"
                and (m.type == "LOC" or body_of_body)
                and gap == " "
                and m.kind == "name"
                and prev.kind == "name"
                and _looks_genitive(m)
                and (m.entry is None or m.entry.en in _GENITIVE_PLACES or m.entry.type in ("LOC", "ORG"))
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
                    prev.start,
                    m.stop,
                    "ORG",
                    joined,
                    normal,
                    "rule",
                    entry=entry,
                    tokens=prev.tokens + m.tokens,
                    parts=(prev.parts or [(prev.start, prev.stop, "ORG")]) + (m.parts or [(m.start, m.stop, m.type)]),
                )
                continue
        out.append(m)
    return out


# Common nouns that head the name of a body: "посольство США", "пресс-служба МВД", "министерство юстиции США".
ORG_HEADS = {
    "правительство",
    "министерство",
    "ведомство",
    "посольство",
    "консульство",
    "представительство",
    "пресс-служба",
    "служба",
    "мэрия",
    "администрация",
    "суд",
    "комитет",
    "прокуратура",
    "управление",
    "департамент",
    "парламент",
    "полиция",
    "агентство",
    "университет",
    "партия",
    "штаб",
    "генштаб",
    "академия",
    "совет",
    "палата",
    "сенат",
    "конгресс",
    "кабинет",
    "трибунал",
    "армия",
    "флот",
    "милиция",
    "разведка",
    "власть",
    "госдепартамент",
    "минздрав",
    "минобороны",
    "спецслужба",
}
_MAX_GEN_WORDS = 3
_APPOSITION_HEADS = {"агентство", "партия", "университет", "академия"}


def _org_heads_with_names(mentions: list[Mention], tokens: list[Any], text: str) -> list[Mention]:
    """A body's common-noun head, its adjectives and genitive words, and the name that follows: one ORG.

    "посольство США", "пресс-служба МВД России", "министерства юстиции США"; the head alone (правительство)
    names no one and is left out. The named part stays listed in ``parts``.
    """
    by_start = {m.start: m for m in mentions}
    covered = [(m.start, m.stop) for m in mentions]
    out = list(mentions)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        lemma = (getattr(tok, "lemma", None) or "").lower()
        if (
            lemma not in ORG_HEADS
            or tok.pos != "NOUN"
            or any(a <= tok.start < b for a, b in covered)
            or (lemma == "власть" and (tok.feats or {}).get("Number") != "Plur")
        ):
            i += 1
            continue
        case = (tok.feats or {}).get("Case")
        first = i
        while (
            first > 0
            and tokens[first - 1].pos == "ADJ"
            and (tokens[first - 1].feats or {}).get("Case") == case
            and text[tokens[first - 1].stop : tokens[first].start] == " "
            and not any(a <= tokens[first - 1].start < b for a, b in covered)
        ):
            first -= 1
        j, gen_words = i + 1, 0
        named: Mention | None = None
        while j < len(tokens) and text[tokens[j - 1].stop : tokens[j].start] == " ":
            nxt = tokens[j]
            m = by_start.get(nxt.start)
            if m is not None:
                # a following org in the genitive belongs to the head (пресс-служба МВД); a Latin or
                # nominative one is an apposition (агентство Reuters, партия «Яблоко»): the name alone
                apposition = m.type == "ORG" and (
                    lemma in _APPOSITION_HEADS or not re.search("[А-ЯЁа-яё]", m.text) or not _looks_genitive(m)
                )
                if m.kind == "name" and m.type in ("ORG", "LOC") and _looks_genitive(m) and not apposition:
                    named = m
                break
            feats = nxt.feats or {}
            if (
                nxt.pos in ("NOUN", "ADJ")
                and feats.get("Case") == "Gen"
                and feats.get("Animacy") != "Anim"  # пресс-служба президента: a person's office, not a body
                and nxt.text.islower()
                and gen_words < _MAX_GEN_WORDS
            ):
                gen_words += 1
                j += 1
                continue
            break
        if named is None:
            i += 1
            continue
        start, stop = tokens[first].start, named.stop
        phrase = text[start:stop]
        joined = Mention(
            start,
            stop,
            "ORG",
            phrase,
            phrase,
            "rule",
            tokens=[t for t in tokens[first:j]] + named.tokens,
            parts=named.parts or [(named.start, named.stop, named.type)],
        )
        out = [m for m in out if m is not named] + [joined]
        covered.append((start, stop))
        i = j + 1
    return sorted(out, key=lambda m: m.start)


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

    def ensure_registered(entry: RegistryEntry, kind: str, normal: str) -> None:
        """The entity of a registry entry; ``normal`` is its Russian name when the entry gives none."""
        ru = entry.ru[0] if entry.ru else normal
        ensure(entry.key, name=entry.en, type=kind, ru=ru, wikidata=entry.wikidata, country=entry.country,
               role=entry.role, source="registry")  # fmt: skip

    def ensure_unlisted(key: str, name: str, kind: str, normal: str, source: str) -> None:
        """The entity of a name the registry does not know: what the text says is all there is of it."""
        ensure(key, name=name, type=kind, ru=normal, wikidata=None, country=None, role=None, source=source)

    # Lone surnames may come before the full name (headlines): collect full names first, prefer earlier ones.
    all_full = [m for m in mentions if m.type == "PER" and len(m.normal.split()) >= 2]
    names_seen: dict[str, str] = {}  # folded normal form of a place or body -> its entity key
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
            ensure_registered(entry, entry.type, m.normal)
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
                            ensure_unlisted(key, _english_person(later.normal), "PER", later.normal, "transliteration")
                        else:
                            ensure_registered(later_entry, "PER", later.normal)
            if not key:
                key = f"PER:{fold(m.normal)}"
                ensure_unlisted(key, _english_person(m.normal), "PER", m.normal, "transliteration")
                if len(parts) >= 2:
                    full_names.append((fold(parts[-1]), key))
        else:
            # one name, one entity: «Малахитовое фойе» tagged LOC in one sentence and ORG in the next is one place
            key = names_seen.get(fold(m.normal)) or f"{m.type}:{fold(m.normal)}"
            names_seen.setdefault(fold(m.normal), key)
            if key not in entities:
                name, source = english_name_of(m.normal, m.type, m.text)
                ensure_unlisted(key, name, m.type, m.normal, source)
            m.type = entities[key]["type"]
        m.entity = key
        info = entities[key]
        info["mentions"] += 1
        if m.state_actor:
            info["state_actor"] = True
    return entities


def _english_person(normal: str) -> str:
    """The person's name as translation writes it (and the authors line): one romanization corpus-wide.

    translate.names knows the usual English forms of Russian given names (Андрей -> Andrei, not Andrey);
    without the translate stage installed, BGN/PCGN word by word.
    """
    try:
        from dragoman.names.personal import transliterate_name
    except ImportError:  # pragma: no cover - the translate stage is part of every install we test
        return " ".join(transliterate(p) for p in normal.split())
    return transliterate_name(normal)


def english_name_of(normal: str, type_: str, text: str = "") -> tuple[str, str]:
    """(English name, where it came from) for a place or body the registry does not know.

    Place names first (CLDR countries, ISO 3166-2 subdivisions, GeoNames cities: Мексика -> Mexico), then
    the outlet table for a newspaper named in its own text («Ъ» -> Kommersant), then BGN/PCGN. Never
    empty: a name with no Latin rendering («Ъ» alone transliterates to nothing) keeps its Russian form.
    """
    if type_ == "LOC":
        # natasha's normal form can be off (Коста-Рике -> Коста-Рика): the text as written is tried too
        place = place_name(normal, word_lemma=word_lemma) or (
            place_name(text, word_lemma=word_lemma) if text and text != normal else None
        )
        if place is not None:
            return place.english, "place names"
    if type_ == "ORG":
        from dragoman.names.outlets import outlet_named

        outlet = outlet_named(normal) or (outlet_named(text) if text else None)
        if outlet is not None:
            return outlet.name, "outlets"
    name = transliterate(normal)
    if not any(c.isalnum() for c in name):
        return normal, "original"
    return name, "transliteration"


def state_of(entity: dict[str, Any]) -> str | None:
    """The state an entity acts for (Lavrov -> Russia, Kremlin -> Russia), for actor grouping."""
    if entity.get("type") == "LOC" and entity.get("name") in _STATE_OF:
        return _STATE_OF[entity["name"]]
    return entity.get("country") or (entity.get("name") if entity.get("type") == "LOC" else None)


_EN_NAME = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2}\b")
# A run of capitalized English words, with the small words names keep inside (Gulf of Finland, Al Hilal)
_EN_WORD = re.compile(r"[A-Za-z][\w'’.-]*")
_NAME_CONNECTORS = {"of", "the", "de", "del", "da", "al", "el", "la", "le", "von", "van", "and", "on", "upon"}
# Latin spellings of one Russian sound (Джобар = Jobar, Хомс = Homs): compared on a common skeleton
_SKELETON = (
    ("shch", "sh"), ("dzh", "j"), ("zh", "j"), ("kh", "h"), ("ts", "z"), ("tz", "z"), ("ch", "c"), ("ck", "k"),
    ("ph", "f"), ("th", "t"), ("ou", "u"), ("oo", "u"), ("ee", "i"), ("ey", "ei"), ("w", "v"), ("q", "k"),
    ("x", "ks"), ("y", "i"), ("c", "k"), ("'", ""), ("’", ""), ("-", " "),
)  # fmt: skip
TRANSLATION_MATCH = 0.8  # skeleton similarity a span needs to stand for a place or body (tuned on newstest)


def latin_skeleton(name: str) -> str:
    """A Latin name reduced to its sounds, so that BGN/PCGN and English spellings compare (Dzhobar ~ Jobar)."""
    out = name.casefold()
    out = re.sub(r"'s\b|’s\b", "", out)
    for a, b in _SKELETON:
        out = out.replace(a, b)
    out = re.sub(r"(\w)\1+", r"\1", out)  # doubled letters: Fussell ~ Fassel
    return " ".join(out.split())


def _capitalized_spans(english: str) -> list[str]:
    """Every run of capitalized words (and each shorter run inside it) in an English sentence."""
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = 0
    for match in _EN_WORD.finditer(english):
        word = match.group(0).rstrip(".'’")
        if english[last_end : match.start()].strip():  # punctuation between: "Homs, Syria" is two names
            runs.append(current)
            current = []
        last_end = match.end()
        if word[:1].isupper() or (current and word in _NAME_CONNECTORS):
            current.append(word)
        else:
            runs.append(current)
            current = []
    runs.append(current)
    spans: set[str] = set()
    for run in runs:
        for a in range(len(run)):
            for b in range(a + 1, min(len(run), a + 6) + 1):
                piece = run[a:b]
                if piece[0] in _NAME_CONNECTORS or piece[-1] in _NAME_CONNECTORS:
                    continue
                spans.add(" ".join(piece))
    return sorted(spans)


def names_from_translation(
    mentions: list[Mention], entities: dict[str, dict[str, Any]], sentences: list[Sentence]
) -> None:
    """Take the English name as the article's translation renders it, where the evidence is good.

    For an entity the registry and the name tables do not know, the aligned English sentence of each of its
    mentions is searched for the span that stands for it: a person's capitalized name whose surname (and
    given name) is close to our transliteration (Юрий Горлачёв -> "Yuri Gorlachev"); a place's or a body's
    run of capitalized words that sounds like our transliteration (Хомс -> "Homs", Аль-Хиляль -> "Al
    Hilal"). A span that is not close is never taken: a bad engine's words do not become names, and a body
    named by description (Лига арабских государств: "Arab League") keeps its transliteration.
    """
    from difflib import SequenceMatcher

    for key, info in entities.items():
        if info.get("source") not in ("transliteration", "original"):
            continue
        english_sentences = [
            sentences[m.sentence].en
            for m in mentions
            if m.entity == key and m.sentence < len(sentences) and sentences[m.sentence].en
        ]
        if not english_sentences:
            continue
        russian = str(info.get("ru") or "")
        if info.get("type") == "PER":
            found = _person_from_translation(info["name"], english_sentences)
        elif russian.isupper() and 2 <= len(russian) <= 6 and " " not in russian:
            found = _acronym_from_translation(russian, english_sentences)
        else:
            ours = latin_skeleton(transliterate(str(info.get("ru") or info["name"])))
            best: tuple[float, str] | None = None
            for english in english_sentences:
                for span in _capitalized_spans(str(english)):
                    score = SequenceMatcher(None, latin_skeleton(span), ours).ratio()
                    if score >= TRANSLATION_MATCH and (best is None or score > best[0]):
                        best = (score, span)
            found = best[1] if best is not None else None
        if found is not None and found != info["name"]:
            info["transliteration"] = info["name"]
            info["name"] = found
            info["source"] = "translation"


# Latin letters a Cyrillic letter of an acronym stands for in English (ЦСКА = CSKA, ПСЖ = PSG)
_ACRONYM_LETTERS = {
    "А": "A", "Б": "B", "В": "VW", "Г": "GH", "Д": "D", "Е": "EY", "Ё": "EY", "Ж": "ZGJ", "З": "Z", "И": "IY",
    "Й": "YI", "К": "KC", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "SC", "Т": "T",
    "У": "U", "Ф": "F", "Х": "KH", "Ц": "CTZ", "Ч": "C", "Ш": "S", "Щ": "S", "Э": "E", "Ю": "UY", "Я": "YA",
}  # fmt: skip
_EN_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")


def _acronym_from_translation(russian: str, english_sentences: list[str | None]) -> str | None:
    """An English acronym letter for letter the Russian one (ЦСКА -> CSKA); a translated one (МИД: MFA) is not."""
    for english in english_sentences:
        for found in _EN_ACRONYM.findall(english or ""):
            if len(found) == len(russian) and all(
                latin in _ACRONYM_LETTERS.get(cyr, "") for cyr, latin in zip(russian, found, strict=True)
            ):
                return found
    return None


def _person_from_translation(name: str, english_sentences: list[str | None]) -> str | None:
    from difflib import SequenceMatcher

    ours = name.split()
    best: tuple[float, str] | None = None
    for english in english_sentences:
        for found in _EN_NAME.findall(english or ""):
            found = re.sub(r"['’]s?$", "", found)  # "Andrei Malakhov's point of view"
            words = found.split()
            if len(words) != len(ours) and len(ours) > 1 and len(words) > 1:
                continue
            score = SequenceMatcher(None, latin_skeleton(words[-1]), latin_skeleton(ours[-1])).ratio()
            if len(ours) > 1 and len(words) > 1:
                score = min(score, SequenceMatcher(None, latin_skeleton(words[0]), latin_skeleton(ours[0])).ratio())
            if score >= 0.75 and (best is None or score > best[0]) and len(words) >= len(ours):
                best = (score, found)
    return best[1] if best is not None else None
