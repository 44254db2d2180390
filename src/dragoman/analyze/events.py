"""Events in a PLOVER-like scheme: who did what to whom, where, when, how sure, with the evidence sentence.

A trigger word (verb or noun lemma) gives the type and mode; natasha's syntax gives the actor (subject) and
target (object or the noun's dependents); adjectives of states ("российско-американские консультации")
name parties too. Status comes from tense, negation, modality and reported-speech context.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from dragoman.analyze.dates import DateMention
from dragoman.analyze.entities import STATE_METONYMS, Mention, state_of
from dragoman.analyze.sentences import Sentence
from dragoman.article import attributes

TRIGGER_FILE = "event_triggers.toml"


@lru_cache(maxsize=1)
def load_triggers() -> dict[str, dict[str, tuple[str, str | None]]]:
    """The trigger lexicon (``data/event_triggers.toml``): language -> lemma -> (type, mode)."""
    raw = tomllib.loads(resources.files("dragoman.data").joinpath(TRIGGER_FILE).read_text(encoding="utf-8"))
    out: dict[str, dict[str, tuple[str, str | None]]] = {}
    for language, types in raw.items():
        if language == "requires":
            continue
        table = out.setdefault(language, {})
        for etype, modes in types.items():
            for mode, lemmas in modes.items():
                for lemma in lemmas:
                    table[lemma] = (etype, None if mode == "_" else mode)
    return out


@lru_cache(maxsize=1)
def load_requirements() -> dict[str, tuple[str, ...]]:
    """Russian trigger lemmas that count only with one of these word stems in the sentence (``[requires]``)."""
    raw = tomllib.loads(resources.files("dragoman.data").joinpath(TRIGGER_FILE).read_text(encoding="utf-8"))
    return {lemma: tuple(stems) for lemma, stems in raw.get("requires", {}).items()}


# Russian lemma -> (type, mode)
TRIGGERS: dict[str, tuple[str, str | None]] = load_triggers()["ru"]
# A mission, office or embassy is what "закрыть" closes for it to be a diplomatic sanction.
_MISSION_WORDS = (
    "представительств",
    "постпредств",
    "миссию",
    "миссии",
    "посольств",
    "консульств",
    "бюро",
    "офис",
    "дипмисси",
)
_STATE_ADJECTIVES = {
    "российск": "Russia",
    "американск": "United States",
    "украинск": "Ukraine",
    "натовск": "NATO",
    "китайск": "China",
    "белорусск": "Belarus",
    "британск": "United Kingdom",
    "германск": "Germany",
    "немецк": "Germany",
    "французск": "France",
    "европейск": "European Union",
    "турецк": "Turkey",
    "японск": "Japan",
    "иранск": "Iran",
    "израильск": "Israel",
    "польск": "Poland",
    "сирийск": "Syria",
    "пакистанск": "Pakistan",
    "австрийск": "Austria",
    "бельгийск": "Belgium",
    "ирландск": "Ireland",
    "шведск": "Sweden",
    "голландск": "Netherlands",
    "испанск": "Spain",
    "итальянск": "Italy",
    "канадск": "Canada",
}
_EARLIER = re.compile(r"(?:^|\W)(?:ранее|прежде|в прошлом|напомним)(?:\W|$)", re.I)
_PLANNED = {
    "планировать", "намереваться", "собираться", "намерен", "готовый", "готов", "пообещать", "обещать", "желание",
    "намерение", "готовность", "хотеть",
}  # fmt: skip
# "может обсудить в пятницу": possible, not done; read like an expected event (its weekday is the coming one)
_EXPECTED = {"ожидаться", "ожидать", "должный", "должен", "предстоять", "мочь"}
_DEMANDING = {"потребовать", "требовать", "призвать", "призывать", "попросить", "предложить", "предлагать"}
_ANNOUNCING = {"объявить", "заявить", "сообщить", "анонсировать"}


# What an event keeps of the date mention that dates it, in the Russian and the English reader alike.
DATE_FIELDS = "text value precision begin end modifier start stop"


@dataclass(slots=True)
class Event:
    sentence: int
    type: str
    mode: str | None
    trigger: str
    actor: dict[str, Any] | None = None
    target: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    date: dict[str, Any] | None = None
    status: str = "happened"
    negated: bool = False
    quantity: dict[str, Any] | None = None
    evidence_ru: str = ""
    evidence_en: str | None = None
    extra_participants: list[dict[str, Any]] = field(default_factory=list)
    trigger_start: int | None = None  # offset of the trigger in its sentence
    source: dict[str, Any] | None = None  # who reports it ("заявил, что ...": the speaker, not the actor)
    sentences: list[int] = field(default_factory=list)  # every sentence of the article that tells it
    dated_by: str | None = None  # "text" (its own clause) or "context" (the sentence before, the quote's)
    told_as_earlier: bool = False  # "ранее сообщалось", "earlier": before the publication, day unknown
    background_notes: list[dict[str, Any]] = field(default_factory=list)  # "This was the first ... since 2019"

    def date_basis(self) -> str | None:
        """Where the event's time comes from: "text", "context", "publication" (no date of its own; told as the
        day's news, so the publication day is the best one can say, and says only that), or None (no date at
        all: planned, hypothetical, demanded, or told as earlier news; it must stay undated)."""
        if self.date:
            return self.dated_by or "text"
        if self.status in ("happened", "reported", "announced", "denied") and not self.told_as_earlier:
            return "publication"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            **attributes(self, "sentence type mode trigger actor target location date status negated quantity"),
            "evidence": {"ru": self.evidence_ru, "en": self.evidence_en},
            "trigger_start": self.trigger_start,
            "source": self.source,
            "participants": self.extra_participants,
            "sentences": self.sentences or [self.sentence],
            "dated_by": self.date_basis(),
            "background": self.background_notes,
        }


def _party(entity: dict[str, Any] | None, text: str | None = None) -> dict[str, Any] | None:
    if entity is None:
        return None
    return {"entity": entity["key"], "name": entity["name"], "state": state_of(entity), "text": text}


def _state_party(state: str, text: str) -> dict[str, Any]:
    return {"entity": None, "name": state, "state": state, "text": text}


def _lemma(token: Any) -> str:
    return (getattr(token, "lemma", None) or token.text).lower().replace("ё", "е")


def extract_events(
    doc: Any,
    sentences: list[Sentence],
    mentions: list[Mention],
    entities: dict[str, dict[str, Any]],
    dates: list[DateMention],
    quantities: list[dict[str, Any]],
    quoted_sentences: set[int],
    published: date | None = None,
) -> list[Event]:
    """Events sentence by sentence, at most one per trigger, then one per fact in the article."""
    by_sentence: dict[int, list[Any]] = {}
    starts = [s.start for s in sentences]
    si = 0
    for tok in doc.tokens:
        while si + 1 < len(starts) and tok.start >= starts[si + 1]:
            si += 1
        by_sentence.setdefault(si, []).append(tok)
    events: list[Event] = []
    salient = _subject_mentions(by_sentence, mentions)
    for s in sentences:
        tokens = by_sentence.get(s.index, [])
        if not tokens or s.role == "title":
            continue
        if any(t.id is None for t in tokens):
            continue  # not parsed: no trigger here (see pipeline._needs_syntax)
        by_id = {t.id: t for t in tokens}
        children: dict[str, list[Any]] = {}
        for t in tokens:
            children.setdefault(t.head_id, []).append(t)
        sent_mentions = [m for m in mentions if m.sentence == s.index]
        sent_dates = [d for d in dates if d.sentence == s.index]
        sent_quantities = [q for q in quantities if q["sentence"] == s.index]
        earlier = [m for m in mentions if m.sentence < s.index or (m.sentence == s.index)]
        seen_types: set[tuple[str, str | None]] = set()
        for tok in tokens:
            lemma = _lemma(tok)
            if lemma not in TRIGGERS or not _trigger_pos_ok(lemma, tok):
                continue
            etype, mode = TRIGGERS[lemma]
            if lemma == "арест" and "наложи" in s.text.lower():
                etype, mode = "SANCTION", "freeze"  # "наложил арест на акции": assets, not people
            if etype == "SANCTION" and mode == "close_mission" and not _closes_mission(tok, tokens, children):
                continue
            if etype == "PROTEST" and lemma == "акция" and "протест" not in s.text.lower():
                continue
            if lemma == "возбудить" and "дело" not in s.text.lower():
                continue  # "возбуждено уголовное дело": a case opened, not any arousal
            required = load_requirements().get(lemma)
            if required and not any(stem in s.text.lower() for stem in required):
                continue  # "предупредил о непогоде", "поставки газа": not a threat, not aid
            if lemma == "заблокировать" and _blocks_roads(tok, children):
                etype, mode = "PROTEST", "blockade"  # "заблокировали основные дороги": a protest action
            if _is_content_of_other_event(tok, by_id) or _undone(tok, by_id, children):
                continue  # "пригрозил санкциями", "отвергала обвинения", "отмена приговора": not a fact of its own
            if _asks(tok, by_id, children):
                continue  # "будет ли обсуждаться ...": a question reports no event
            if (etype, mode) in seen_types:
                continue
            ev = Event(s.index, etype, mode, tok.text, evidence_ru=s.text, evidence_en=s.en)
            ev.trigger_start = tok.start - s.start
            _fill_parties(ev, tok, tokens, by_id, children, sent_mentions, entities, s, earlier, salient)
            if ev.actor is None and ev.target is None:
                continue  # an event nobody does is a topic word, not an event
            ev.status, ev.negated = _status(tok, tokens, by_id, children, s.index in quoted_sentences)
            if ev.negated and etype in ("COOPERATE", "AGREE"):
                ev.type, ev.mode = "REJECT", f"no_{mode or etype.lower()}"
                if ev.status == "denied":
                    ev.status = "happened"  # "не восстановит" is a refusal that stands, not a denial of one
            ev.told_as_earlier = bool(_EARLIER.search(s.text[: tok.start - s.start]))
            ev.source = _reporter(tok, by_id, children, sent_mentions, entities)
            if ev.source is not None and ev.status == "happened" and ev.source != ev.actor:
                ev.status = "reported"
            best = _clause_date(tok, tokens, by_id, children, sent_dates, s)
            if best is not None:
                ev.date = attributes(best, DATE_FIELDS)
                if (
                    best.kind == "relative"
                    and best.precision == "day"
                    and ev.status in ("planned", "expected", "announced")
                    and published is not None
                    and best.begin
                    and best.begin < published.isoformat()
                ):
                    # "обсудит в пятницу": a weekday in a future clause is the coming one, not the last
                    ahead = (date.fromisoformat(best.begin) + timedelta(days=7)).isoformat()
                    ev.date.update(value=ahead, begin=ahead, end=ahead)
            if sent_quantities:
                q = sent_quantities[0]
                ev.quantity = {"value": q["value"], "unit": q["unit"], "text": q["text"]}
            seen_types.add((etype, mode))
            events.append(ev)
    return merge_events(events)


def _party_key(party: dict[str, Any] | None) -> str:
    if not party:
        return ""
    return str(party.get("state") or party.get("entity") or party.get("name") or "")


def _same_time(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same month, or the same day when both are told to the day (January 12 and 21 are two meetings)."""
    if a.get("precision") == "day" and b.get("precision") == "day":
        return (a.get("begin") or "") == (b.get("begin") or "")
    return (a.get("begin") or "")[:7] == (b.get("begin") or "")[:7]


def merge_events(events: list[Event]) -> list[Event]:
    """One event per fact: the same type, mode and parties at a compatible date is told once, in its first
    sentence (with the others listed); a later telling fills in what the first one lacked."""
    kept: list[Event] = []
    for ev in events:
        same = next(
            (
                k
                for k in kept
                if k.type == ev.type
                and k.mode == ev.mode
                and _party_key(k.actor) == _party_key(ev.actor)
                and (_party_key(k.target) == _party_key(ev.target) or not k.target or not ev.target)
                and (k.date is None or ev.date is None or _same_time(k.date, ev.date))
                and (k.status == ev.status or {k.status, ev.status} <= {"planned", "announced", "happened", "reported"})
            ),
            None,
        )
        if same is None:
            ev.sentences = [ev.sentence]
            kept.append(ev)
            continue
        same.sentences.append(ev.sentence)
        if ev.status == "happened" and same.status in ("planned", "announced"):
            same.status = "happened"  # "will close from November 1" ... "has closed": it was done
        if same.date is None and ev.date is not None:
            same.dated_by = ev.dated_by
        same.target = same.target or ev.target
        same.date = same.date or ev.date
        same.background_notes.extend(ev.background_notes)
        same.location = same.location or ev.location
    return kept


def _trigger_pos_ok(lemma: str, tok: Any) -> bool:
    """A verb lemma fires as a verb (or its participle), a noun lemma as a noun: "помощь" as an adverb
    ("с помощью") or "акция" in another part of speech is not an event."""
    if tok.pos not in ("VERB", "NOUN", "ADJ"):
        return False
    return not (tok.pos == "ADJ" and (tok.feats or {}).get("VerbForm") != "Part")


def _clause_of(trig: Any, by_id: dict[str, Any]) -> Any:
    """The head of the clause the trigger belongs to (through xcomp/obj/obl/nmod chains of one clause)."""
    cur, seen = trig, {trig.id}
    while cur.rel in ("xcomp", "obj", "obl", "nmod", "amod", "nsubj", "nsubj:pass") and cur.head_id in by_id:
        nxt = by_id[cur.head_id]
        if nxt.id in seen:
            break
        seen.add(nxt.id)
        cur = nxt
    return cur


def _clause_date(
    trig: Any,
    tokens: list[Any],
    by_id: dict[str, Any],
    children: dict[str, list[Any]],
    sent_dates: list[DateMention],
    s: Sentence,
) -> DateMention | None:
    """The date attached to the trigger's clause: "с 2018 года" in a background clause dates that clause, not
    the sentence's main event. A date in another clause of the sentence is not this event's date."""
    if not sent_dates:
        return None
    head = _clause_of(trig, by_id)
    clause = _subtree(head, children, ("ccomp", "advcl", "parataxis", "acl:relcl", "conj", "csubj"))
    if head is not trig:
        clause += [t for t in _subtree(trig, children, ("ccomp", "advcl", "parataxis", "acl:relcl")) if t not in clause]
    offsets = {t.start - s.start for t in clause}
    inside = [d for d in sent_dates if any(d.start <= o < d.stop for o in offsets)]
    if inside:
        return min(inside, key=lambda d: abs(d.start - (trig.start - s.start)))
    if len(sent_dates) == 1 and not any(t.rel in ("ccomp", "advcl", "parataxis", "acl:relcl") for t in tokens):
        return sent_dates[0]  # one clause (as parsed), one date
    return None


_PERSON_PRONOUNS = {"он", "она", "его", "ее", "ему", "ей", "им", "ним", "нее", "него"}
_PERSON_DESCRIPTORS = {
    "дипломат", "министр", "глава", "политик", "президент", "премьер", "премьер-министр", "посол", "канцлер",
    "лидер", "адвокат", "председатель", "спикер", "госсекретарь", "генсек", "генсекретарь", "губернатор", "мэр",
}  # fmt: skip
# «ведомство», «лоукостер»: a body named by what it is; the last organization named before it
_ORG_DESCRIPTORS = {
    "ведомство", "министерство", "компания", "авиакомпания", "авиаперевозчик", "перевозчик", "лоукостер",
    "концерн", "партия", "организация", "альянс", "блок", "холдинг", "корпорация", "банк", "группировка",
}  # fmt: skip
_STATE_DESCRIPTORS = {"страна", "государство", "республика", "королевство"}
_REFERENCE_REACH = 4  # sentences back a description or pronoun may reach


@dataclass(slots=True)
class _Salient:
    sentence: int
    start: int
    mention: Mention
    subject: bool  # the subject of its clause (or, unparsed, in the nominative)


def _subject_mentions(by_sentence: dict[int, list[Any]], mentions: list[Mention]) -> list[_Salient]:
    """Every named mention with whether it is a clause's subject: «он» refers back to the subject that was
    talked about ("сказал Туск ... он отметил"), not to any name in between ("с господином Дэвисом")."""
    out = []
    for m in mentions:
        toks = [t for t in by_sentence.get(m.sentence, []) if m.start <= t.start < m.stop]
        subject = False
        for t in toks:
            if t.id is not None and t.rel is not None:
                subject = (
                    subject
                    or t.rel in ("nsubj", "nsubj:pass")
                    or (
                        t.rel in ("appos", "flat:name", "flat")
                        and any(h.id == t.head_id and h.rel in ("nsubj", "nsubj:pass") for h in by_sentence[m.sentence])
                    )
                )
            else:
                subject = subject or (t.feats or {}).get("Case") == "Nom"
        out.append(_Salient(m.sentence, m.start, m, subject))
    return out


def _resolve_reference(
    tok: Any,
    mentions: list[Mention],
    entities: dict[str, dict[str, Any]],
    salient: list[_Salient] | None = None,
    sentence: int | None = None,
) -> dict[str, Any] | None:
    """«он», «дипломат», «премьер» as a subject: the last person that was a subject before it (up to
    three sentences back), else the last person named; «ведомство», «авиаперевозчик»: the last organization;
    «страна»: the last state. None when the article names no such party before it."""
    lemma = _lemma(tok)
    if lemma in _PERSON_PRONOUNS or lemma in _PERSON_DESCRIPTORS:
        kinds = {"PER"}
    elif lemma in _ORG_DESCRIPTORS:
        kinds = {"ORG"}
    elif lemma in _STATE_DESCRIPTORS:
        kinds = {"LOC"}
    else:
        return None
    candidates = [
        x
        for x in (salient or [_Salient(m.sentence, m.start, m, False) for m in mentions])
        if x.start < tok.start
        and x.mention.entity in entities
        and x.mention.type in kinds
        and (sentence is None or x.sentence >= sentence - _REFERENCE_REACH)
        and (x.mention.type != "LOC" or _can_act(_party(entities[x.mention.entity]) or {}, entities))
    ]
    # the subject of the sentence being read is the speaker, not the one referred to
    candidates = [x for x in candidates if not (x.mention.start <= tok.start < x.mention.stop)]
    if not candidates:
        return None
    subjects = [x for x in candidates if x.subject]
    if not subjects and sentence is not None:
        # no subject to continue: only a name just before may be meant
        candidates = [x for x in candidates if x.sentence >= sentence - 1]
        if not candidates:
            return None
    last = max(subjects or candidates, key=lambda x: x.start)
    return _party(entities[last.mention.entity], tok.text)


def _reporter(
    trig: Any,
    by_id: dict[str, Any],
    children: dict[str, list[Any]],
    mentions: list[Mention],
    entities: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    """The speaker of "X заявил, что ...", "по словам X" for an event told in a reported clause."""
    from dragoman.analyze.quotes import REPORTING_VERBS

    cur, seen = trig, {trig.id}
    while cur.head_id in by_id and cur.rel in ("ccomp", "xcomp", "obj", "obl", "nmod", "conj", "parataxis"):
        nxt = by_id[cur.head_id]
        if nxt.id in seen:
            break
        seen.add(nxt.id)
        if _lemma(nxt) in REPORTING_VERBS and cur.rel in ("ccomp", "parataxis", "obj"):
            subj = next((c for c in children.get(nxt.id, []) if c.rel == "nsubj"), None)
            if subj is None:
                return None
            found = _parties_in(_subtree(subj, children, ("acl", "acl:relcl")), mentions, entities, False)
            return found[0] if found else {"entity": None, "name": None, "state": None, "text": subj.text}
        cur = nxt
    return None


def _closes_mission(tok: Any, tokens: list[Any], children: dict[str, list[Any]]) -> bool:
    window = " ".join(t.text.lower() for t in tokens[tokens.index(tok) : tokens.index(tok) + 6])
    return any(w in window for w in _MISSION_WORDS)


def _mention_at(token: Any, mentions: list[Mention]) -> Mention | None:
    for m in mentions:
        if m.start <= token.start < m.stop:
            return m
    return None


def _subtree(
    token: Any,
    children: dict[str, list[Any]],
    stop_rels: tuple[str, ...] = (),
    keep: Callable[[Any], bool] | None = None,
) -> list[Any]:
    """``token`` and its dependents, not entering a dependent by a ``stop_rels`` relation nor one ``keep``
    turns down (neither is it nor anything below it in the result)."""
    out, stack = [token], [token]
    seen = {token.id}
    while stack:
        cur = stack.pop()
        for child in children.get(cur.id, []):
            if child.rel in stop_rels or child.id in seen:
                continue
            seen.add(child.id)
            if keep is not None and not keep(child):
                continue
            out.append(child)
            stack.append(child)
    return out


def _parties_in(
    tokens: list[Any],
    mentions: list[Mention],
    entities: dict[str, dict[str, Any]],
    exclude_locations: bool = True,
    adjective_ids: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Entities (or state adjectives) named inside a phrase, in text order, each once."""
    found: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for t in sorted(tokens, key=lambda t: t.start):
        m = _mention_at(t, mentions)
        if m is not None and m.entity in entities and m.entity not in seen:
            if exclude_locations and m.type == "LOC" and not m.state_actor and _is_place_phrase(t, tokens):
                continue
            seen.add(m.entity)
            party = _party(entities[m.entity], m.text) or {}
            if party.get("state") is None:
                party["state"] = _state_named_inside(m, tokens)
            found.append((t.start, party))
            continue
        low = t.text.lower()
        if adjective_ids is not None and t.id not in adjective_ids:
            continue
        for stem, state in _STATE_ADJECTIVES.items():
            parts = re.split(r"[-–]", low)
            for part in parts:
                if part.startswith(stem) and state not in seen:
                    seen.add(state)
                    found.append((t.start, _state_party(state, t.text)))
    return [p for _, p in sorted(found, key=lambda x: x[0])]


def _state_named_inside(mention: Mention, tokens: list[Any]) -> str | None:
    """ "национального совета Австрии", "власти США": a body named after its state acts for that state."""
    from dragoman.names.registry import load_registry

    registry = load_registry()
    for t in tokens:
        if mention.start <= t.start < mention.stop and t.pos == "PROPN":
            entry = registry.lookup_ru(_lemma(t), "LOC")
            if entry is not None and entry.country == entry.en:
                return entry.en
    return None


def _is_place_phrase(token: Any, tokens: list[Any] | None = None) -> bool:
    """ "в Женеве", "в Европу", "на Украине": a place where or whither, not a party."""
    if (token.feats or {}).get("Case") == "Loc":
        return True
    if tokens:
        ordered = sorted(tokens, key=lambda t: t.start)
        i = ordered.index(token) if token in ordered else -1
        if i > 0 and ordered[i - 1].text.lower() in ("в", "во", "на", "из") and ordered[i - 1].stop <= token.start:
            return True
    return False


def _direct_adjectives(root: Any, children: dict[str, list[Any]]) -> set[str]:
    """Ids of adjectives that modify ``root`` itself (not words deeper in its phrase)."""
    ids = {c.id for c in children.get(root.id, []) if c.rel == "amod"}
    # "сотрудников российского постпредства": the adjective of a genitive dependent names the owner
    for c in children.get(root.id, []):
        if c.rel == "nmod":
            ids.update(g.id for g in children.get(c.id, []) if g.rel == "amod")
    if root.pos == "ADJ":
        ids.add(root.id)
    return ids


_TOPIC_PREPOSITIONS = {"о", "об", "обо", "про", "по поводу", "насчет"}
_CAUSE_PREPOSITIONS = {"из-за", "в связи с", "вследствие", "по причине", "ввиду", "в результате"}
# a noun event framed by a place or occasion the governing verb's subject takes part in ("на встрече заявил"),
# or that the subject performs ("выступил с призывом", "обратился с просьбой")
_FRAME_PREPOSITIONS = {"на", "в", "во", "в ходе", "во время", "по итогам", "в рамках", "по результатам", "с"}
_TARGET_PREPOSITIONS = {"против", "на", "в отношении", "в адрес"}
_CONTENT_PREPOSITIONS = {"к"}  # "призвали к убийству": what is asked for, not whom
_RECEIVING = {"получить", "получать"}  # "Болгария получает предупреждение": the subject is the target
# "Мэй и правительству удалось согласовать": the dative of an impersonal verb is who does it
_IMPERSONAL = {"удаться", "удаваться", "прийтись", "приходиться", "нужно", "надо", "необходимо", "следовать"}
# "пилоты Ryanair грозили забастовками": the staff act against their employer, who is the target
_STAFF = {
    "пилот", "работник", "сотрудник", "член", "экипаж", "персонал", "служащий", "профсоюз", "бортпроводник",
    "рабочий", "шахтер", "водитель", "врач", "учитель",
}  # fmt: skip
_LABOUR_TYPES = {"PROTEST", "THREATEN", "DEMAND"}
_SUBJECTS = ("nsubj", "nsubj:pass")


def _preposition(token: Any, children: dict[str, list[Any]]) -> str | None:
    """ "в связи с" for a noun introduced by it (natasha parses the compound as case + fixed)."""
    case = next((c for c in children.get(token.id, []) if c.rel == "case"), None)
    if case is None:
        return None
    fixed = [f.text.lower() for f in children.get(case.id, []) if f.rel == "fixed"]
    return " ".join([case.text.lower(), *fixed])


def _name_chain(root: Any, children: dict[str, list[Any]]) -> set[str]:
    """The phrase's head with its appositions, name parts and coordinated heads in the same case: "посол ...
    Ричард Гренелл", "Мэй и правительству"; not a genitive owner mis-parsed as apposition ("Муж ... Асии")."""
    case = (root.feats or {}).get("Case")
    ids, stack = {root.id}, [root]
    while stack:
        cur = stack.pop()
        for c in children.get(cur.id, []):
            if c.id in ids or c.rel not in ("appos", "flat", "flat:name", "conj"):
                continue
            other = (c.feats or {}).get("Case")
            if c.rel in ("appos", "conj") and case and other and other != case and c.pos != "PROPN":
                continue
            if c.rel == "appos" and c.pos == "PROPN" and case and other and other != case:
                continue
            ids.add(c.id)
            stack.append(c)
    return ids


def _phrase_tokens(root: Any, children: dict[str, list[Any]], stop_rels: tuple[str, ...] = ()) -> list[Any]:
    """The phrase of ``root`` without its prepositional modifiers: "посол США в Германии" names the envoy of
    the US (Germany is where), "координатор на переговорах" is no party to the talks."""
    return _subtree(root, children, stop_rels, keep=lambda child: _preposition(child, children) in (None, "со стороны"))


def _phrase_parties(
    root: Any,
    children: dict[str, list[Any]],
    mentions: list[Mention],
    entities: dict[str, dict[str, Any]],
    exclude_locations: bool = False,
    stop_rels: tuple[str, ...] = ("acl", "acl:relcl", "parataxis"),
    drop_prepositional: bool = True,
) -> list[dict[str, Any]]:
    """Parties a phrase names, the head's own name first ("Муж Асии Биби ... Ашик Масих": Masih), then the
    others in text order."""
    tokens = _phrase_tokens(root, children, stop_rels) if drop_prepositional else _subtree(root, children, stop_rels)
    adjectives = _direct_adjectives(root, children)
    found = _parties_in(tokens, mentions, entities, exclude_locations, adjectives)
    chain = _name_chain(root, children)
    head = _parties_in([t for t in tokens if t.id in chain], mentions, entities, exclude_locations, adjectives)
    out = head + [p for p in found if p not in head]
    if out and out[0].get("state") is None and out[0].get("entity"):
        # "главой национального совета Австрии Вольфганом Соботкой": the person acts for Austria
        out[0] = {**out[0], "state": next((p["state"] for p in out[1:] if p.get("state")), None)}
    return out


def _fill_parties(
    ev: Event,
    trig: Any,
    tokens: list[Any],
    by_id: dict[str, Any],
    children: dict[str, list[Any]],
    mentions: list[Mention],
    entities: dict[str, dict[str, Any]],
    s: Sentence,
    earlier: list[Mention] | None = None,
    salient: list[_Salient] | None = None,
) -> None:
    # The clause head: for "будет восстанавливать" / "намерен закрыть" the subject hangs on the governing verb.
    head = trig
    seen = {trig.id}
    while head.rel in ("xcomp", "conj", "csubj") and head.head_id in by_id and head.head_id not in seen:
        head = by_id[head.head_id]
        seen.add(head.id)  # natasha's parses can contain cycles
    subjects = [c for c in children.get(head.id, []) if c.rel in _SUBJECTS]
    if not subjects and trig is not head:
        subjects = [c for c in children.get(trig.id, []) if c.rel in _SUBJECTS]
    # two subjects: one is a mis-attached apposition ("Муж ..., Ашик Масих просит"); the name is the subject
    subjects.sort(key=lambda c: c.pos != "PROPN")
    subj = subjects[0] if subjects else None
    if subj is not None and subj.start > trig.start and any(c.rel == "cc" for c in children.get(subj.id, [])):
        # "закроет представительство и бюро": a coordinated object after the verb, mis-parsed as subject
        subj = None
    if subj is None and trig.pos == "VERB" and trig.rel in ("ccomp", "advcl", "conj", "xcomp"):
        # "Россия объявила, что закроет ...": a clause without its own subject shares its governor's
        governor = by_id.get(trig.head_id)
        if governor is not None and governor is not trig:
            subj = next((c for c in children.get(governor.id, []) if c.rel in _SUBJECTS), None)
    infinitive = trig.pos == "VERB" and (trig.feats or {}).get("VerbForm") == "Inf"
    if subj is None and infinitive and trig.rel in ("acl", "nmod"):
        # "заявил о своем желании сотрудничать": the infinitive of a wish or plan is the wisher's
        cur, seen_ids = trig, {trig.id}
        while cur.rel in ("acl", "nmod", "obl", "obj") and cur.head_id in by_id and cur.head_id not in seen_ids:
            cur = by_id[cur.head_id]
            seen_ids.add(cur.id)
            if cur.pos == "VERB":
                subjects = [c for c in children.get(cur.id, []) if c.rel in _SUBJECTS]
                subj = subjects[0] if subjects else None
                break
    actors: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    passive = _is_passive(trig, subj)
    if subj is None and _lemma(head) in _IMPERSONAL:
        dative = next(
            (
                c
                for c in children.get(head.id, [])
                if c.rel in ("iobj", "obl")
                and (c.feats or {}).get("Case") == "Dat"
                and not _has_preposition(c, children)
            ),
            None,
        )
        if dative is not None:
            actors = _phrase_parties(dative, children, mentions, entities)
    if trig.pos in ("VERB", "ADJ") and subj is not None:
        actors = []
        for candidate in subjects if subj in subjects else [subj]:
            actors = _phrase_parties(candidate, children, mentions, entities)
            if actors:
                subj = candidate
                break
        if not actors:
            # «он заявил», «премьер заявил», «авиаперевозчик предупредил»: the party referred to
            for word in [subj] + [c for c in children.get(subj.id, []) if c.rel == "nmod"]:
                resolved = _resolve_reference(word, earlier or mentions, entities, salient, s.index)
                if resolved:
                    actors = [resolved]
                    break
        if _lemma(subj) in _STAFF and ev.type in _LABOUR_TYPES:
            employers = [p for p in actors if entities.get(p.get("entity") or "", {}).get("type") == "ORG"]
            targets.extend(employers)
            actors = [p for p in actors if p not in employers]
    if passive:
        # "были задержаны полицией": the subject undergoes it, the instrumental agent (if any) does it
        targets, actors = actors + targets, []
        for c in children.get(trig.id, []):
            if c.rel == "obl" and (c.feats or {}).get("Case") == "Ins" and not _has_preposition(c, children):
                actors.extend(_parties_in(_subtree(c, children), mentions, entities, False))
    participle = trig.pos in ("VERB", "ADJ") and trig.rel in ("acl", "amod") and trig.head_id in by_id
    if participle:
        # a participle: "задержанный в Москве журналист" (passive: the noun undergoes it), "напавший" (does it)
        noun_parties = _parties_in([by_id[trig.head_id]], mentions, entities, False)
        if (trig.feats or {}).get("Voice") == "Pass":
            targets = noun_parties + targets
        elif not actors:
            actors = noun_parties
    own = [
        c
        for c in children.get(trig.id, [])
        if c.rel not in ("nsubj", "nsubj:pass", "punct", "advcl", "parataxis", "ccomp", "conj", "amod", "acl:relcl")
        and not (passive and c.rel == "obl" and (c.feats or {}).get("Case") == "Ins")
    ]
    target_only: list[dict[str, Any]] = []
    for child in own:
        prep = _preposition(child, children)
        if prep in _TOPIC_PREPOSITIONS or prep in _CAUSE_PREPOSITIONS:
            continue  # "переговоры о выходе Великобритании", "из-за газопровода": what about, why; not who
        if prep in _CONTENT_PREPOSITIONS and ev.type in ("REQUEST", "DEMAND"):
            continue
        if ev.type == "CONSULT" and trig.pos == "VERB" and child.rel == "obj":
            continue  # "обсудил вопросы строительства газопровода": the topic
        found = _phrase_parties(child, children, mentions, entities, True, ("acl:relcl", "parataxis"), False)
        targets.extend(found)
        if prep in _TARGET_PREPOSITIONS or (prep is None and (child.feats or {}).get("Case") == "Dat"):
            target_only.extend(found)
    # The trigger itself may carry a state adjective ("российско-американские консультации").
    if trig.pos == "NOUN":
        adjs = [c for c in children.get(trig.id, []) if c.rel == "amod"]
        states = _parties_in(adjs, mentions, entities)
        # nouns: participants are the adjectives and the genitive/"с"/"между" dependents
        participants = states + [p for p in targets if p not in states]
        prep = _preposition(trig, children)
        governor = by_id.get(trig.head_id) if trig.head_id in by_id else None
        link = trig
        while (
            governor is not None
            and governor.pos == "NOUN"
            and governor.rel in ("obj", "nsubj:pass")
            and link.rel == "nmod"
            and prep in (None, "с")
            and governor.head_id in by_id
        ):
            # "принял резолюцию с призывом": the appeal is the resolution's, the resolution the subject's
            link, governor, prep = governor, by_id[governor.head_id], _preposition(governor, children)
        if governor is not None and not actors and subj is None and link.rel in ("obl", "obj", "iobj", "nmod"):
            gov_subj = next((c for c in children.get(governor.id, []) if c.rel in _SUBJECTS), None)
            gov_agent = next(
                (
                    c
                    for c in children.get(governor.id, [])
                    if c.rel == "obl" and (c.feats or {}).get("Case") == "Ins" and not _has_preposition(c, children)
                ),
                None,
            )
            doer = gov_subj if gov_subj is not None and not _is_passive(governor, gov_subj) else gov_agent
            gov_parties: list[dict[str, Any]] = []
            if doer is not None:
                gov_parties = _phrase_parties(doer, children, mentions, entities)
                if not gov_parties:
                    resolved = _resolve_reference(doer, earlier or mentions, entities, salient, s.index)
                    gov_parties = [resolved] if resolved else []
            if prep in _CAUSE_PREPOSITIONS or _lemma(governor) in _RECEIVING:
                # "Ryanair отменила рейсы из-за забастовки": the airline is hit by the strike, not its striker
                if gov_subj is not None and _lemma(governor) in _RECEIVING:
                    gov_parties = _phrase_parties(gov_subj, children, mentions, entities)
                participants = participants + [p for p in gov_parties if p not in participants]
                target_only.extend(gov_parties)
            elif prep is None or prep in _FRAME_PREPOSITIONS:
                # "Украина готова к диалогу", "ввели санкции": the subject of the governing word does it
                actors = gov_parties
        if ev.type == "COERCE" or ev.mode in _PATIENT_MODES:
            # "задержание Ривзи", "высылка дипломатов": the genitive undergoes it
            for c in children.get(trig.id, []):
                if c.rel == "nmod" and (c.feats or {}).get("Case") == "Gen" and not _has_preposition(c, children):
                    target_only.extend(_phrase_parties(c, children, mentions, entities))
        if not actors and participants:
            doers = [p for p in participants if p not in target_only]
            actors = doers[:1]
            targets = [p for p in participants if p not in actors]
    targets = [t for t in targets if t not in actors and t.get("name") not in {a.get("name") for a in actors}]
    # locations: a place in the locative ("в Женеве") anywhere in the sentence
    for m in mentions:
        if m.type == "LOC" and not m.state_actor:
            tok = next((t for t in tokens if m.start <= t.start < m.stop), None)
            before = s.text[max(0, m.start - s.start - 4) : m.start - s.start].lower()
            if tok is not None and before.endswith((" в ", " во ", "в ", " на ")) and not before.endswith("ив "):
                ev.location = {"entity": m.entity, "name": entities[m.entity]["name"], "text": m.text}
                targets = [t for t in targets if t.get("entity") != m.entity]
                break
    if not actors and trig.pos == "VERB" and not passive and not participle:
        # fall back: a named subject-like entity before the trigger in the nominative
        for m in mentions:
            if m.start < trig.start and m.entity in entities:
                tok = next((t for t in tokens if m.start <= t.start < m.stop), None)
                acts = m.type != "LOC" or (m.entry is not None and m.entry.en in STATE_METONYMS)
                if tok is not None and (tok.feats or {}).get("Case") == "Nom" and acts:
                    actors = [_party(entities[m.entity], m.text) or {}]
                    break
    if not actors and ev.type not in _PLACE_TYPES:
        # "в США будут готовы санкции", "в Кремле заявили": a state named as where it is decided acts
        clause_head = _clause_of(trig, by_id)
        for c in children.get(clause_head.id, []) + children.get(trig.id, []):
            if c.rel == "obl" and _preposition(c, children) == "в" and (c.feats or {}).get("Case") == "Loc":
                states = [p for p in _parties_in([c], mentions, entities, False) if _can_act(p, entities)]
                states = [p for p in states if entities.get(p.get("entity") or "", {}).get("type") == "LOC"]
                if states:
                    actors = states[:1]
                    targets = [t for t in targets if t.get("name") != states[0].get("name")]
                    if ev.location and ev.location.get("name") == states[0].get("name"):
                        ev.location = None
                    break
    # "премьер-министр Великобритании Тереза Мэй": the person acts, the country only qualifies her
    # a city in a noun phrase ("аэропорт Стокгольма") does not act; states and their capitals used for them do
    actors = [p for p in actors if _can_act(p, entities)]
    rank = {"PER": 0, "ORG": 1}
    actors.sort(key=lambda p: rank.get(entities.get(p.get("entity") or "", {}).get("type", ""), 2))
    ev.actor = actors[0] if actors else None
    ev.target = targets[0] if targets else None
    if ev.actor and ev.target and ev.actor.get("name") == ev.target.get("name"):
        ev.target = None
    ev.extra_participants = actors[1:] + targets[1:]


_PATIENT_MODES = {"kill", "expel_diplomats"}
# where "в X" says where it happens, not who does it
_PLACE_TYPES = {"MEET", "CONSULT", "PROTEST", "ASSAULT", "MOBILIZE", "COERCE"}
# an event told as what another event is about: "пригрозил санкциями", "призвал к переговорам"
_CONTENT_TYPES = {"REQUEST", "DEMAND", "THREATEN", "REJECT", "ACCUSE", "DISAPPROVE"}
_UNDOING = {"отмена", "отменить", "отменять", "оправдание", "оправдать", "снятие", "снять"}
_ACQUITTAL = {"оправдательный"}
_ROAD_STEMS = ("дорог", "трасс", "улиц", "мост", "шоссе", "проезд", "магистрал")


def _governors(trig: Any, by_id: dict[str, Any]) -> list[Any]:
    """The words a trigger is the object or complement of, up to its clause's verb."""
    out, cur, seen = [], trig, {trig.id}
    while cur.rel in ("obj", "obl", "nmod", "iobj", "xcomp") and cur.head_id in by_id:
        gov = by_id[cur.head_id]
        if gov.id in seen:
            break
        seen.add(gov.id)
        out.append(gov)
        if gov.pos == "VERB" and gov.rel not in ("xcomp",):
            break
        cur = gov
    return out


def _is_content_of_other_event(trig: Any, by_id: dict[str, Any]) -> bool:
    for gov in _governors(trig, by_id):
        lemma = _lemma(gov)
        if lemma in TRIGGERS and _trigger_pos_ok(lemma, gov):
            return TRIGGERS[lemma][0] in _CONTENT_TYPES
    return False


def _undone(trig: Any, by_id: dict[str, Any], children: dict[str, list[Any]]) -> bool:
    """ "отмена приговора", "оправдательный приговор": a sentence undone or an acquittal is no sentence."""
    if any(c.rel == "amod" and _lemma(c) in _ACQUITTAL for c in children.get(trig.id, [])):
        return True
    governor = by_id.get(trig.head_id)
    if governor is None or trig.rel not in ("obj", "nmod", "nsubj:pass") or _has_preposition(trig, children):
        return False  # "отменила рейсы из-за забастовки": the strike is the cause, not what is cancelled
    return _lemma(governor) in _UNDOING


def _asks(trig: Any, by_id: dict[str, Any], children: dict[str, list[Any]]) -> bool:
    chain = [trig, *_governors(trig, by_id)]
    if trig.head_id in by_id and trig.rel in ("xcomp", "conj"):
        chain.append(by_id[trig.head_id])
    return any(c.text.lower() == "ли" for x in chain for c in children.get(x.id, []))


def _blocks_roads(trig: Any, children: dict[str, list[Any]]) -> bool:
    objs = [c for c in children.get(trig.id, []) if c.rel in ("obj", "nsubj:pass")]
    return any(_lemma(o).startswith(_ROAD_STEMS) for o in objs)


def _has_preposition(token: Any, children: dict[str, list[Any]]) -> bool:
    return any(c.rel == "case" for c in children.get(token.id, []))


def _is_passive(trig: Any, subj: Any | None) -> bool:
    """ "был задержан", "задержаны", "были высланы": a passive verb or short participle with its subject."""
    feats = trig.feats or {}
    if subj is not None and subj.rel == "nsubj:pass":
        return True
    return feats.get("Voice") == "Pass" and feats.get("VerbForm") == "Part" and trig.rel not in ("acl", "amod")


def _can_act(party: dict[str, Any], entities: dict[str, dict[str, Any]]) -> bool:
    info = entities.get(party.get("entity") or "")
    if info is None or info.get("type") != "LOC":
        return True  # persons, bodies and state adjectives ("российская сторона")
    return (
        info.get("name") in STATE_METONYMS or info.get("country") == info.get("name") or bool(info.get("state_actor"))
    )


_CONDITION_MARKS = {"если", "бы", "б", "ежели"}
_DENYING = {"отрицать", "опровергнуть", "опровергать"}


def _status(
    trig: Any, tokens: list[Any], by_id: dict[str, Any], children: dict[str, list[Any]], in_quote: bool
) -> tuple[str, bool]:
    """happened | reported | announced | planned | demanded | expected | conditional | denied, and whether the
    trigger is negated. "не задержали" is denied; "если ... введут", "ввели бы" conditional."""
    status, negated = _modality(trig, tokens, by_id, children, in_quote)
    clause = [trig] + ([by_id[trig.head_id]] if trig.rel in ("xcomp", "obj", "obl") and trig.head_id in by_id else [])
    marks = {c.text.lower() for x in clause for c in children.get(x.id, []) if c.rel in ("mark", "aux", "advmod")}
    if marks & _CONDITION_MARKS:
        return "conditional", negated
    governor = by_id.get(trig.head_id)
    if governor is not None and _lemma(governor) in _DENYING:
        return "denied", negated
    if negated and status == "happened":
        return "denied", negated
    return status, negated


def _modality(
    trig: Any, tokens: list[Any], by_id: dict[str, Any], children: dict[str, list[Any]], in_quote: bool
) -> tuple[str, bool]:
    chain = [trig]
    cur = trig
    while (
        cur.head_id in by_id
        and cur.rel in ("xcomp", "conj", "ccomp", "obj", "nmod", "obl", "csubj")
        and by_id[cur.head_id] not in chain
    ):
        cur = by_id[cur.head_id]
        chain.append(cur)
    negated = any(c.text.lower() == "не" and c.head_id in {x.id for x in chain[:2]} for c in tokens) or any(
        t.text.lower() == "не" for t in tokens[max(0, tokens.index(trig) - 2) : tokens.index(trig)]
    )
    lemmas = [_lemma(c) for c in chain]
    aux_future = any(
        c.text.lower() in ("будет", "будут", "буду", "будем", "станет", "станут")
        for x in chain[:2]
        for c in children.get(x.id, [])
    )
    feats = [(c.feats or {}) for c in chain if c.pos in ("VERB", "AUX")]
    if any(lemma in _DEMANDING for lemma in lemmas[1:]):
        return "demanded", negated
    if any(lemma in _EXPECTED for lemma in lemmas):
        return "expected", negated
    if any(lemma in _PLANNED for lemma in lemmas) or aux_future or any(f.get("Tense") == "Fut" for f in feats[:1]):
        if any(lemma in _ANNOUNCING for lemma in lemmas[1:]):
            return "announced", negated
        return "planned", negated
    if trig.pos == "NOUN":
        verb = next((c for c in chain[1:] if c.pos == "VERB"), None)
        if verb is not None and (verb.feats or {}).get("Tense") == "Fut":
            return "planned", negated
    if in_quote and any(lemma in _ANNOUNCING for lemma in lemmas[1:]):
        return "announced", negated
    return "happened", negated
