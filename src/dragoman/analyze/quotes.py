"""Who said what: direct quotes, dash dialogue and reported speech, with speaker, verb, addressee and source type.

The speaker is the grammatical subject of the reporting verb (natasha's syntax), widened to its noun
phrase and linked to an entity mention when one overlaps it; pronouns take the last person named before.
Unnamed sources ("информированный источник", "собеседник «Известий»", "источник в МИД") are typed so that
per article and per outlet we can count how many claims rest on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dragoman.analyze.entities import Mention
from dragoman.analyze.sentences import Sentence

# Reporting verbs (lemmas), each with its English for English views (the lemma stays in the record: it is what
# the text says). One table, so that no verb is recognised without an English word for it.
_VERB_ENGLISH = {
    "заявить": "stated", "заявлять": "states", "сообщить": "reported", "сообщать": "reports", "сказать": "said",
    "говорить": "says", "отметить": "noted", "отмечать": "notes", "подчеркнуть": "stressed",
    "подчеркивать": "stresses", "рассказать": "told", "рассказывать": "tells", "пояснить": "explained",
    "пояснять": "explains", "добавить": "added", "добавлять": "adds", "указать": "pointed out",
    "указывать": "points out", "считать": "believes", "полагать": "believes", "утверждать": "claims",
    "признать": "admitted", "признавать": "admits", "напомнить": "recalled", "напоминать": "recalls",
    "предупредить": "warned", "предупреждать": "warns", "уточнить": "specified", "уточнять": "specifies",
    "объявить": "announced", "объявлять": "announces", "пообещать": "promised", "обещать": "promises",
    "написать": "wrote", "писать": "writes", "ответить": "replied", "отвечать": "replies", "заверить": "assured",
    "заверять": "assures", "уверять": "assures", "подтвердить": "confirmed", "подтверждать": "confirms",
    "опровергнуть": "denied", "отрицать": "denies", "констатировать": "stated", "высказать": "expressed",
    "прокомментировать": "commented", "комментировать": "comments", "настаивать": "insists",
    "настоять": "insisted", "объяснить": "explained", "объяснять": "explains", "признаться": "confessed",
    "сетовать": "complains", "жаловаться": "complains", "пожаловаться": "complained", "выразить": "expressed",
    "выражать": "expresses", "уверить": "assured", "сообщаться": "is reported", "говориться": "is said",
    "заметить": "remarked", "замечать": "remarks", "посетовать": "complained", "допустить": "allowed",
    "допускать": "allows", "убежден": "is convinced", "рассказываться": "is told", "сознаться": "confessed",
    "предположить": "suggested", "предполагать": "suggests", "оценить": "assessed", "оценивать": "assesses",
    "резюмировать": "summed up", "парировать": "retorted", "возразить": "objected", "возражать": "objects",
    "высказаться": "spoke out", "призвать": "called on", "призывать": "calls on", "потребовать": "demanded",
    "требовать": "demands", "предложить": "proposed", "предлагать": "proposes", "спросить": "asked",
    "спрашивать": "asks", "анонсировать": "announced", "пригрозить": "threatened", "грозить": "threatens",
    "проинформировать": "informed", "информировать": "informs", "уведомить": "notified",
    "отчитаться": "reported", "разъяснить": "clarified", "разъяснять": "clarifies", "описать": "described",
    "описывать": "describes", "поделиться": "shared", "возмутиться": "protested", "рассуждать": "reasons",
    "вспоминать": "recalls", "вспомнить": "recalled", "подытожить": "summed up",
}  # fmt: skip
REPORTING_VERBS = frozenset(_VERB_ENGLISH)
# The verb of an attribution ("по словам министра") is the phrase itself.
ENGLISH_VERBS = {
    **_VERB_ENGLISH,
    "по словам": "according to", "по мнению": "in the view of", "по данным": "according to the data of",
    "по информации": "according to", "по оценке": "by the estimate of", "по сведениям": "according to",
    "по утверждению": "as claimed by", "по заявлению": "as stated by",
}  # fmt: skip


def english_verb(lemma: str | None) -> str | None:
    """The reporting verb in English for English views; None when there is none or it is not one we know
    (an English view then shows no verb rather than a Russian word)."""
    if not lemma:
        return None
    if lemma.isascii():
        return lemma  # an English document's verb is English already
    return ENGLISH_VERBS.get(lemma.strip().lower().replace("ё", "е"))


# Verbs that introduce content but whose subject is often not the speaker of a claim.
_ATTRIBUTION_NOUNS = {
    "словам": "по словам",
    "мнению": "по мнению",
    "данным": "по данным",
    "информации": "по информации",
    "оценке": "по оценке",
    "сведениям": "по сведениям",
    "утверждению": "по утверждению",
    "заявлению": "по заявлению",
}
_PRONOUNS = {"он", "она", "они", "тот", "та", "те"}
# A speaker named only by office ("премьер-министр", "глава МИД") is the person the article gives that office
# to ("премьер-министром Малайзии Анваром Ибрагимом"). Stems, matched at word starts in folded text.
_TITLES = (
    "премьер-министр", "премьер", "президент", "министр", "глава", "губернатор", "мэр", "канцлер", "генсек",
    "генеральный секретарь", "спикер", "пресс-секретар", "посол", "постпред", "председател", "лидер", "король",
    "директор", "руководител", "замминистр", "заместител", "советник", "помощник", "представитель",
)  # fmt: skip
TITLE_CONTEXT_CHARS = 80  # how far before a person's name its office may be given
_OPEN_QUOTES = '«„“"'
_CLOSE_QUOTES = '»“”"'
_DIRECT = re.compile(r"[«„“\"](?P<q>[^«»„“”\"]{3,}(?:«[^»]*»[^«»„“”\"]*)*)[»“”\"]")
_DASH = re.compile(r"(?:^|\s)[—–-]\s")

UNNAMED_TYPES = (
    ("outlet_interlocutor", re.compile(r"\bсобеседни[кц]\w*")),
    ("informed_source", re.compile(r"\b(?:информированн|осведомленн|осведомлённ|знаком\w* с ситуаци|близк\w* к)\w*")),
    ("institutional_source", re.compile(r"\bисточни\w+\s+(?:в|из|при)\s+\S")),
    ("anonymous_source", re.compile(r"\bисточни\w+")),
    ("unnamed_official", re.compile(r"\b(?:представител|чиновни|сотрудни|дипломат|официальн)\w*")),
    ("unnamed_expert", re.compile(r"\b(?:эксперт|аналитик|политолог|специалист|наблюдател)\w*")),
    ("media_reports", re.compile(r"\b(?:сми|медиа|пресс[аеы]|газет)\b")),
)


@dataclass(slots=True)
class Quote:
    sentence: int
    kind: str  # direct | dialogue | indirect | according_to
    text: str
    speaker_text: str | None = None
    speaker_entity: str | None = None
    verb: str | None = None
    addressee_text: str | None = None
    addressee_entity: str | None = None
    unnamed: str | None = None  # type of an unnamed source, if the speaker is one
    institution_entity: str | None = None  # the body an unnamed source speaks from or for
    sentences: list[int] = field(default_factory=list)
    speaker_span: tuple[int, int] | None = None  # offsets in the joined text
    content_span: tuple[int, int] | None = None

    @property
    def speaker_status(self) -> str:
        """named (an entity), unnamed (a typed unnamed source) or unresolved: a pronoun, an office or a word
        ("я", «Мы», "премьер-министр", "свидетелей") the text does not tie to a person."""
        if self.unnamed:
            return "unnamed"
        return "named" if self.speaker_entity else "unresolved"

    def to_dict(self) -> dict[str, Any]:
        return {
            "speaker_status": self.speaker_status,
            "sentence": self.sentence,
            "sentences": self.sentences or [self.sentence],
            "kind": self.kind,
            "text": self.text,
            "speaker": self.speaker_text,
            "speaker_entity": self.speaker_entity,
            "verb": self.verb,
            "addressee": self.addressee_text,
            "addressee_entity": self.addressee_entity,
            "unnamed_source": self.unnamed,
            "institution_entity": self.institution_entity,
        }


class _SentenceView:
    """Tokens of one sentence with their syntax, addressable by natasha's token ids."""

    def __init__(self, sentence: Sentence, tokens: list[Any]) -> None:
        self.sentence = sentence
        self.tokens = tokens
        self.by_id = {t.id: t for t in tokens if getattr(t, "id", None)}
        self.children: dict[str, list[Any]] = {}
        for t in tokens:
            head = getattr(t, "head_id", None)
            if head:
                self.children.setdefault(head, []).append(t)

    def subtree(self, token: Any, *, stop_rels: tuple[str, ...] = ()) -> list[Any]:
        out = [token]
        stack = [token]
        seen = {token.id}
        while stack:
            cur = stack.pop()
            for child in self.children.get(cur.id, []):
                if child.rel in stop_rels or child.rel == "punct" or child.id in seen:
                    continue  # natasha's parses can contain cycles
                seen.add(child.id)
                out.append(child)
                stack.append(child)
        return sorted(out, key=lambda t: t.start)

    def phrase(self, token: Any) -> tuple[int, int]:
        """The noun phrase headed by ``token``: its subtree without clauses hanging off it."""
        tokens = self.subtree(token, stop_rels=("acl", "acl:relcl", "advcl", "ccomp", "parataxis", "conj", "cc"))
        # keep the contiguous run around the head
        idx = tokens.index(token)
        lo = hi = idx
        positions = [self.tokens.index(t) for t in tokens]
        while lo > 0 and positions[lo - 1] == positions[lo] - 1:
            lo -= 1
        while hi < len(tokens) - 1 and positions[hi + 1] == positions[hi] + 1:
            hi += 1
        start, stop = tokens[lo].start, tokens[hi].stop
        # a quoted name (собеседник «Известий») keeps its closing quote
        text_after = self.sentence_text_from(stop)
        if text_after.startswith("»") and "«" in self.text_between(start, stop):
            stop += 1
        return start, stop

    def sentence_text_from(self, offset: int) -> str:
        s = self.sentence
        return s.text[offset - s.start :]

    def text_between(self, start: int, stop: int) -> str:
        s = self.sentence
        return s.text[start - s.start : stop - s.start]


def _lemma(token: Any) -> str:
    return (getattr(token, "lemma", None) or token.text).lower().replace("ё", "е")


def _reporting_verb(tokens: list[Any]) -> Any | None:
    for t in tokens:
        if t.pos in ("VERB", "AUX") and _lemma(t) in REPORTING_VERBS:
            return t
    return None


def classify_unnamed(phrase: str, has_named_person: bool) -> str | None:
    """Type of an unnamed source from its phrase, or None when a person is named."""
    if has_named_person:
        return None
    low = phrase.lower().replace("ё", "е")
    for name, pattern in UNNAMED_TYPES:
        if pattern.search(low):
            return name
    return None


def extract_quotes(doc: Any, sentences: list[Sentence], mentions: list[Mention]) -> list[Quote]:
    """All quotes in the article, in reading order."""
    tokens_by_sentence: list[list[Any]] = [[] for _ in sentences]
    starts = [s.start for s in sentences]
    si = 0
    for tok in doc.tokens:
        while si + 1 < len(starts) and tok.start >= starts[si + 1]:
            si += 1
        tokens_by_sentence[si].append(tok)
    views = [_SentenceView(s, toks) for s, toks in zip(sentences, tokens_by_sentence, strict=True)]
    blocks: list[list[_SentenceView]] = []
    for view in views:
        s = view.sentence
        if blocks and (blocks[-1][0].sentence.role, blocks[-1][0].sentence.block) == (s.role, s.block):
            blocks[-1].append(view)
        else:
            blocks.append([view])
    quotes: list[Quote] = []
    last_person: Mention | None = None
    for block in blocks:
        first, last = block[0].sentence, block[-1].sentence
        block_sentence = Sentence(
            first.index, first.role, first.block, doc.text[first.start : last.stop], None, first.start
        )
        block_view = _SentenceView(block_sentence, [t for v in block for t in v.tokens])
        found = _dialogue(block_view, block) or _direct(block_view)
        for q in found:
            q.sentences = [v.sentence.index for v in block if _overlaps(v.sentence, q.content_span)]
            q.sentence = q.sentences[0] if q.sentences else first.index
        covered = {i for q in found for i in q.sentences}
        for view in block:
            s = view.sentence
            if s.index not in covered:
                previous = views[s.index - 1] if s.index > 0 else None
                for q in _indirect(view, previous):
                    pool = quotes + found
                    prior = next(
                        (p for p in pool if len(q.sentences) > 1 and q.sentences[0] in (p.sentences or [p.sentence])),
                        None,
                    )
                    if prior is not None:
                        # "Об этом заявил X" after a quote we already have: X is who said it, unless a
                        # person was already named for it.
                        _attach_entities(prior, [], mentions, last_person)
                        named = prior.speaker_entity and any(
                            m.entity == prior.speaker_entity and m.type == "PER" for m in mentions
                        )
                        if not named:
                            (quotes if prior in quotes else found).remove(prior)
                            found.append(q)
                        continue
                    found.append(q)
        for q in sorted(found, key=lambda q: q.sentence):
            sent_mentions = [m for m in mentions if m.sentence in (q.sentences or [q.sentence])]
            _attach_entities(q, sent_mentions, mentions, last_person)
            quotes.append(q)
        for view in block:
            persons = [m for m in mentions if m.sentence == view.sentence.index and m.type == "PER"]
            if persons:
                last_person = persons[-1]
    for q in quotes:
        if q.speaker_entity is None and not q.unnamed and q.speaker_text:
            person = _person_with_title(q, mentions, doc.text)
            if person is not None:
                q.speaker_entity = person.entity
    return quotes


def _title_of(speaker_text: str) -> str | None:
    low = " ".join(speaker_text.lower().replace("ё", "е").split())
    for title in _TITLES:
        if re.search(rf"(?:^|\s){re.escape(title)}", low):
            return title
    return None


def _person_with_title(q: Quote, mentions: list[Mention], text: str) -> Mention | None:
    """The person an office-only speaker refers to: the one the article names with that office, the nearest
    before the quote (else the first after); None when no person is given it, or two different ones are
    and none comes before."""
    title = _title_of(q.speaker_text or "")
    if title is None:
        return None
    where = q.speaker_span[0] if q.speaker_span else None
    # the office right before the name: its inflected word, then at most three words (Малайзии, «Ъ»), no
    # punctuation that would end the phrase ("премьер-министром Малайзии Анваром Ибрагимом")
    pattern = re.compile(rf"(?:^|[\s«(]){re.escape(title)}\w*(?:\s+[^\s,.;:!?—–]+){{0,3}}\s+$", re.IGNORECASE)
    holders = [
        m
        for m in mentions
        if m.type == "PER" and m.entity and m.kind == "name"
        and pattern.search(text[max(0, m.start - TITLE_CONTEXT_CHARS) : m.start].replace("ё", "е"))
        and not (q.speaker_span and m.start < q.speaker_span[1] and q.speaker_span[0] < m.stop)
    ]  # fmt: skip
    if not holders:
        return None
    before = [m for m in holders if where is not None and m.start < where]
    if before:
        return before[-1]
    return holders[0] if len({m.entity for m in holders}) == 1 else None


def _overlaps(sentence: Sentence, span: tuple[int, int] | None) -> bool:
    return span is not None and sentence.start < span[1] and span[0] < sentence.stop


def _make(
    view: _SentenceView, kind: str, content: tuple[int, int], verb: Any | None, speaker: tuple[int, int] | None
) -> Quote:
    s = view.sentence
    text = view.text_between(*content).strip(' ,.:—–-«»"')
    q = Quote(s.index, kind, text, verb=_lemma(verb) if verb is not None else None, content_span=content)
    if speaker is not None:
        q.speaker_span = speaker
        q.speaker_text = view.text_between(*speaker).strip(" ,")
    if verb is not None:
        q.addressee_text = _addressee(view, verb)
    return q


def _subject_of(view: _SentenceView, verb: Any) -> Any | None:
    for child in view.children.get(verb.id, []):
        if child.rel in ("nsubj", "nsubj:pass"):
            return child
    # "заявил в среду представитель": natasha sometimes hangs the subject on an auxiliary or conj head
    head = view.by_id.get(verb.head_id)
    if head is not None and verb.rel in ("conj", "xcomp"):
        for child in view.children.get(head.id, []):
            if child.rel in ("nsubj", "nsubj:pass"):
                return child
    return None


def _addressee(view: _SentenceView, verb: Any) -> str | None:
    for child in view.children.get(verb.id, []):
        feats = child.feats or {}
        if child.rel in ("iobj", "obl") and feats.get("Case") == "Dat" and child.pos in ("NOUN", "PROPN"):
            start, stop = view.phrase(child)
            return view.text_between(start, stop).strip(" ,")
    # «Известиям» is often mis-parsed; the word after the verb in quotes is the outlet told.
    after = view.sentence_text_from(verb.stop)
    m = re.match(r"\s*«([^»]+)»", after)
    if m and m.group(1).endswith(("ям", "ам", "у", "ю")):
        return f"«{m.group(1)}»"
    return None


def _clause_speaker(view: _SentenceView, start: int, stop: int) -> tuple[Any | None, tuple[int, int] | None]:
    """Reporting verb and speaker phrase in an attribution clause such as "— сказал Джабаров"."""
    tokens = [t for t in view.tokens if start <= t.start and t.stop <= stop]
    verb = _reporting_verb(tokens)
    if verb is None:
        return None, None
    subj = _subject_of(view, verb)
    if subj is not None and start <= subj.start < stop:
        return verb, view.phrase(subj)
    # fall back: the nominal words after the verb up to the clause end
    after = [t for t in tokens if t.start > verb.start and t.pos in ("PROPN", "NOUN", "ADJ", "DET")]
    nominative = [t for t in after if (t.feats or {}).get("Case") == "Nom"]
    if nominative:
        return verb, view.phrase(nominative[0])
    return verb, None


def _direct(view: _SentenceView) -> list[Quote]:
    s = view.sentence
    out: list[Quote] = []
    for m in _DIRECT.finditer(s.text):
        q_start, q_stop = s.start + m.start("q"), s.start + m.end("q")
        inner = m.group("q")
        if len(inner.split()) < 3:
            continue  # a title in quotes («Известия»), not speech
        after = s.text[m.end() :]
        before = s.text[: m.start()]
        att = re.match(r"\s*,?\s*[—–-]\s*([^«„“\"]+)", after)
        verb = speaker = None
        if att:
            a0 = s.start + m.end() + att.start(1)
            verb, speaker = _clause_speaker(view, a0, a0 + len(att.group(1)))
            if verb is not None and speaker is None:
                speaker = _locative_speaker(view, verb.stop, a0 + len(att.group(1)))
        if verb is None and before.rstrip().endswith(":"):
            verb, speaker = _clause_speaker(view, s.start, s.start + len(before))
        if verb is None:
            continue
        out.append(_make(view, "direct", (q_start, q_stop), verb, speaker))
    return out


def _dialogue(block_view: _SentenceView, block: list[_SentenceView]) -> list[Quote]:
    """A block opening with a dash is a quote; "— сказал X" inside it names the speaker."""
    s = block_view.sentence
    if not re.match(r"^\s*[—–-]\s", s.text):
        return []
    for dash in _DASH.finditer(s.text):
        if dash.start() == 0:
            continue
        a0 = s.start + dash.end()
        rest = s.text[dash.end() :]
        clause_end = re.search(r"[.!?]?\s[—–-]\s|[.!?](?:\s|$)", rest)
        a1 = a0 + (clause_end.start() if clause_end else len(rest))
        verb, speaker = _clause_speaker(block_view, a0, a1)
        if verb is None:
            continue
        q = _make(block_view, "dialogue", (s.start, s.stop), verb, speaker)
        q.text = _strip_attribution(s.text.replace("\n", " "), verb.text)
        return [q]
    return []


def _strip_attribution(text: str, verb_text: str) -> str:
    text = re.sub(r"^\s*[—–-]\s*", "", text)
    pattern = re.compile(r",?\s*[—–-]\s*" + re.escape(verb_text) + r"[^—–.]*[.—–]\s*(?:[—–-]\s*)?")
    return pattern.sub(". ", text, count=1).replace(",. ", ". ").strip()


def _indirect(view: _SentenceView, previous: _SentenceView | None = None) -> list[Quote]:
    s = view.sentence
    out: list[Quote] = []
    text = s.text
    about = re.match(r"^\s*(?:Об этом|Это|О таком|Такое мнение|Такую позицию)\b", text)
    if about and previous is not None:
        verb = _reporting_verb(view.tokens)
        if verb is not None:
            _, speaker = _clause_speaker(view, s.start, s.stop)
            p = previous.sentence
            q = _make(view, "indirect", (s.start, s.stop), verb, speaker)
            q.text = p.text.strip(" .")
            q.content_span = (p.start, p.stop)
            q.sentences = [p.index, s.index]
            q.sentence = p.index
            out.append(q)
            return out
    # "по словам X, ..." / "по данным X, ..."
    m = re.search(
        r"(?:^|[\s,(])[Пп]о\s+(словам|мнению|данным|информации|оценке|сведениям|утверждению)\s+([^,]+),\s*(.+)$", text
    )
    if m:
        speaker = (s.start + m.start(2), s.start + m.end(2))
        content = (s.start + m.start(3), s.start + m.end(3))
        kind = "according_to"
        q = Quote(
            s.index,
            kind,
            m.group(3).strip(" .,"),
            verb=_ATTRIBUTION_NOUNS[m.group(1)],
            speaker_span=speaker,
            speaker_text=m.group(2).strip(),
            content_span=content,
        )
        out.append(q)
        return out
    fallback: Quote | None = None
    # "Эта тенденция, говорят эксперты, сохранится": the attribution sits between commas
    for verb in [t for t in view.tokens if t.pos in ("VERB", "AUX") and _lemma(t) in REPORTING_VERBS]:
        before_verb = text[: verb.start - s.start]
        after_verb = text[verb.stop - s.start :]
        inner = re.match(r"\s+([^,]{2,90}?),\s*(.+)$", after_verb)
        if re.search(r",\s*$", before_verb) and inner and len(before_verb.strip()) > 3:
            a0 = verb.stop + inner.start(1)
            _, speaker = _clause_speaker(view, verb.start, a0 + len(inner.group(1)))
            if speaker is not None and not re.match(r"\s*(?:что|чтобы|будто)\b", inner.group(1)):
                head = before_verb.rstrip(" ,")
                content = (s.start, s.start + len(head))
                q = _make(view, "indirect", content, verb, speaker)
                q.text = (head + ", " + inner.group(2)).strip(" .")
                q.content_span = (s.start, s.stop)
                return [q]
    for verb in [t for t in view.tokens if t.pos in ("VERB", "AUX") and _lemma(t) in REPORTING_VERBS]:
        rest = text[verb.stop - s.start :]
        # "X заявил, что ..." / "X сказал: ..." / "X сообщил о том, что ..."
        cm = re.match(r"([^,:.]{0,80}?)(?:,\s*(?:что|чтобы|будто|якобы)\b|:\s|\s*,?\s*о\s+том,\s*что\b)\s*(.+)$", rest)
        before_verb = text[: verb.start - s.start]
        how = re.search(r"(?:^|[\s,])[Кк]ак\s*$", before_verb)
        if how is not None:
            # "Как рассказал «Известиям» X, ..." : the clause after the first comma is the content
            cm2 = re.match(r"([^,]+),\s*(.+)$", rest)
            if cm2:
                _, speaker = _clause_speaker(view, verb.start, verb.stop + len(cm2.group(1)) + 1)
                if speaker is None:
                    speaker = _locative_speaker(view, verb.stop, verb.stop + len(cm2.group(1)))
                content = (verb.stop + cm2.start(2), verb.stop + cm2.end(2))
                out.append(_make(view, "indirect", content, verb, speaker))
                return out
        if cm:
            subj = _subject_of(view, verb)
            speaker = view.phrase(subj) if subj is not None else None
            if speaker is None:
                # "..., сообщил источник" inverted order: nominative after the verb in the gap
                _, speaker = _clause_speaker(view, verb.start, verb.stop + len(cm.group(1)))
            if speaker is None:
                speaker = _locative_speaker(view, verb.stop, verb.stop + len(cm.group(1)))
            content = (verb.stop + cm.start(2), verb.stop + cm.end(2))
            q = _make(view, "indirect", content, verb, speaker)
            if speaker is None:
                # "Напомню, что ...": a first-person aside; a later verb may name a real speaker
                fallback = fallback or q
                continue
            out.append(q)
            return out
        # trailing attribution: "..., сообщил источник «Известий»." / "..., сообщает ТАСС."
        tail = re.search(r",\s*[—–-]?\s*$", before_verb)
        if tail is not None and verb.start - s.start > 15:
            _, speaker = _clause_speaker(view, verb.start, s.stop)
            if speaker is None and _lemma(verb) in ("говориться", "сообщаться"):
                speaker = _locative_speaker(view, verb.stop, s.stop)
            if speaker is not None:
                content = (s.start, s.start + tail.start())
                out.append(_make(view, "indirect", content, verb, speaker))
                return out
    if fallback is not None:
        out.append(fallback)
    return out


def _locative_speaker(view: _SentenceView, start: int, stop: int) -> tuple[int, int] | None:
    """ "заявили в Министерстве X" / "говорится в обращении X": the body or document named after "в"."""
    text = view.text_between(start, stop)
    m = re.search(r"(?:^|\s)(?:в|во)\s+(?:[«\"][^»\"]+[»\"]\s+)?(.+?)\s*$", text)
    if m is None:
        return None
    return start + m.start(1), start + m.end(1)


def _attach_entities(
    q: Quote, sent_mentions: list[Mention], mentions: list[Mention], last_person: Mention | None
) -> None:
    """Link speaker and addressee to entities; type unnamed sources; resolve pronoun speakers."""
    if q.speaker_span is not None:
        a, b = q.speaker_span
        inside = [m for m in mentions if m.start < b and a < m.stop and m.kind == "name"]
        persons = [m for m in inside if m.type == "PER"]
        chosen = persons[0] if persons else (inside[0] if inside else None)
        low = (q.speaker_text or "").lower()
        if chosen is not None:
            q.speaker_entity = chosen.entity
        elif low in _PRONOUNS and last_person is not None:
            q.speaker_entity = last_person.entity
        q.unnamed = classify_unnamed(q.speaker_text or "", bool(persons))
        if q.unnamed and not persons:
            # "источник в МИД": no person to credit; the body it speaks from is kept apart from the speaker
            q.speaker_entity = None
            q.institution_entity = inside[0].entity if inside else None
    if q.addressee_text:
        for m in sent_mentions:
            if m.text.strip("«»") and m.text.strip("«»") in q.addressee_text:
                q.addressee_entity = m.entity
                break
