"""Events in English documents (translations imported as English): the same event dicts as the Russian path.

No English parser ships with our dependencies, so a sentence is cut into clauses at the marks that end one
(";", ":", a dash, ", where", "that" after a reporting verb, ...) and roles are read inside the trigger's
clause only: the actor is the party named before the trigger (or after "by" in a passive), the target is
the party after the preposition the type expects ("with", "to", "at", "of"), the date is the one in the
clause. A clause that asks ("why ...", "whether ...") or talks about an event ("talk about", "the topic of")
reports no event.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from dragoman.analyze.dates import DateMention
from dragoman.analyze.entities import state_of
from dragoman.analyze.events import DATE_FIELDS, load_triggers
from dragoman.analyze.sentences import Sentence
from dragoman.article import attributes

_CLAUSE_BREAK = re.compile(
    r"\s*(?:;|:|\s[-–—]\s|,\s+(?:where|when|which|who|while|because|given that|behind which)\b"
    r"|\b(?:said|told|believes|reported|announced|stated)\b(?:[^,.;]{0,40}?)\s+that\b|\bsince then\b)\s*",
    re.I,
)
_QUESTION = re.compile(r"^\W*(?:why|how|whether|what|under what)\b", re.I)
_ABOUT = re.compile(
    r"\b(?:talk|idea|topic|conversation|preconditions?|anticipation)\s+(?:about|of|for)\s+[\w\s-]{0,40}$", re.I
)
_STATE_ADJ = {
    "russian": "Russia",
    "american": "United States",
    "us": "United States",
    "ukrainian": "Ukraine",
    "chinese": "China",
    "belarusian": "Belarus",
    "british": "United Kingdom",
    "german": "Germany",
    "french": "France",
    "european": "European Union",
    "turkish": "Turkey",
    "nato": "NATO",
}
_TARGET_PREPS = {
    "MEET": r"with|between",
    "CONSULT": r"with|between",
    "REQUEST": r"to",
    "DEMAND": r"to|from",
    "SANCTION": r"of|at|to|on|against",
    "COOPERATE": r"to|with|of",
    "DISAPPROVE": r"that",
    "AGREE": r"with",
    "REJECT": r"of|from",
    "ACCUSE": r"",
    "THREATEN": r"",
}
_PASSIVE = re.compile(r"\b(?:was|were|been|be|is|are)\s+(?:\w+ly\s+)?(\w+ed|held|put|made|shut)\b", re.I)
_REPORTING = re.compile(r"\b(?:said|told|according to|reported|announced|stated)\b", re.I)


def _party(entities: dict[str, Any], mention: dict[str, Any]) -> dict[str, Any]:
    e = entities[mention["entity"]]
    return {"entity": mention["entity"], "name": e["name"], "state": state_of(e), "text": mention["text"]}


def _state_party(word: str) -> dict[str, Any]:
    state = _STATE_ADJ[word.lower()]
    return {"entity": None, "name": state, "state": state, "text": word}


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, stop) of each clause of a sentence."""
    out, pos = [], 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def _is_noun(word: str) -> bool:
    """Noun triggers ("meeting", "consultations", "proposals", "expulsion") take their parties from adjectives,
    possessives and "of"/"by"/"between" phrases, never from a name that merely precedes them."""
    low = word.lower()
    if low in {"met", "meet", "meets", "regret", "regrets", "offers", "threatens", "protests", "attacks"}:
        return False
    return low.endswith(
        ("ing", "ion", "ions", "ment", "ments", "als", "tions", "talks", "summit", "exercises")
    ) or low in {
        "demand",
        "demands",
        "threat",
        "sanction",
        "sanctions",
        "closure",
        "expulsion",
        "proposal",
        "protest",
        "rally",
        "rallies",
        "attack",
        "offer",
    }


_SPEECH_ACTS = {"DISAPPROVE", "ACCUSE", "DEMAND", "REQUEST", "THREATEN", "REJECT"}
_ATTRIBUTION = re.compile(r"^\W*(?P<spk>[A-Z][^,.;:]{2,80}?)\s+(?:said|stated|told|added|noted)\b[^.]*\.?\s*$")
_EARLIER = re.compile(r"\b(?:earlier|previously|in the past|before that)\b", re.I)
_BACK_PRONOUN = re.compile(r"^\W*(?:they|these|those)\s+(?!were\b|are\b)\w+", re.I)
_THIS_WAS = re.compile(r"^\W*(?:this|it)\s+(?:was|is)\b", re.I)


def _quote_attribution(
    sentences: list[Sentence],
    index: int,
    sent_mentions_of: list[dict[str, Any]],
    entities: dict[str, Any],
    dates: list[DateMention],
) -> tuple[dict[str, Any], DateMention | None] | None:
    """For a sentence inside a quotation (“We regret ... We need dialogue,” / Jens Stoltenberg said on January
    12.): the speaker named in the sentence that closes it (up to four sentences on) and that sentence's date."""
    opened = None
    for i in range(index, max(-1, index - 5), -1):
        text = sentences[i].text
        if i < index and re.search(r"[”\"]\W*$", text):
            return None  # a quotation closed before this sentence
        if re.match(r"^\W*[“\"]", text):
            opened = i
            break
    if opened is None:
        return None
    for j in range(index, min(len(sentences), opened + 6)):
        text = sentences[j].text
        if j > index and _ATTRIBUTION.match(text) and re.search(r"[”\"]\W*$", sentences[j - 1].text):
            speaker = next(
                (m for m in sent_mentions_of if m["sentence"] == j and m["type"] == "PER" and m["entity"] in entities),
                None,
            )
            if speaker is None:
                return None
            said = [d for d in dates if d.sentence == j]
            return _party(entities, speaker), (said[0] if said else None)
    return None


def _note_on_previous(found: list[Any], index: int, text: str, etype: str, dates: list[DateMention]) -> bool:
    """ "This was the first meeting in this format since 2019": no new event, a background fact about the event
    of the sentence before (kept on it with its own time), not a second meeting stamped with another date."""
    prev = next((k for k in reversed(found) if k.sentence == index - 1 and k.type == etype), None)
    if prev is None or not _THIS_WAS.match(text):
        return False
    since = next((d for d in dates if d.sentence == index), None)
    prev.background_notes.append(
        {
            "sentence": index,
            "text": text,
            "date": None
            if since is None
            else {"text": since.text, "value": since.value, "begin": since.begin, "end": since.end},
        }
    )
    return True


def _trigger_pattern() -> list[tuple[re.Pattern[str], str, str | None]]:
    out = []
    for word, (etype, mode) in load_triggers()["en"].items():
        out.append((re.compile(rf"\b{re.escape(word)}\b", re.I), etype, mode))
    return out


def extract_english_events(
    sentences: list[Sentence],
    mentions: list[dict[str, Any]],
    entities: dict[str, Any],
    dates: list[DateMention],
    quantities: list[dict[str, Any]],
    published: date | None = None,
) -> list[dict[str, Any]]:
    from dragoman.analyze.events import Event, merge_events

    patterns = _trigger_pattern()
    found: list[Event] = []
    last_parties: list[dict[str, Any]] = []
    for s in sentences:
        if s.role == "title":
            continue
        sent_mentions = [m for m in mentions if m["sentence"] == s.index]
        seen: set[tuple[str, str | None, int]] = set()
        attribution = _quote_attribution(sentences, s.index, sent_mentions_of=mentions, entities=entities, dates=dates)
        hits = sorted(
            ((m.start(), m.end(), etype, mode) for pat, etype, mode in patterns for m in pat.finditer(s.text)),
            key=lambda h: h[0],
        )
        for start, stop, etype, mode in hits:
            c0, c1 = next(((a, b) for a, b in clauses(s.text) if a <= start < b), (0, len(s.text)))
            # "January 12 - NRC meeting; January 13 - consultations ...": one event per trigger type and clause
            if (etype, mode, c0) in seen or ((etype, mode, -1) in seen and ";" not in s.text):
                continue
            clause = s.text[c0:c1]
            if _QUESTION.search(clause) or _ABOUT.search(s.text[c0:start]):
                continue
            if (
                etype == "SANCTION"
                and mode == "close_mission"
                and not re.search(
                    r"\b(?:mission|representation|office|embassy|consulate|bureau)\b", s.text[stop : stop + 60], re.I
                )
            ):
                continue
            if re.match(r"\s+(?:weapons|of the alliance)", s.text[stop:], re.I):
                continue
            if re.search(r"\bnon-$", s.text[max(0, start - 4) : start], re.I):
                continue  # "non-deployment of strike weapons": what is demanded not to happen
            in_clause = [m for m in sent_mentions if c0 <= m["start"] and m["stop"] <= c1]
            places = [
                m
                for m in in_clause
                if m["type"] == "LOC" and re.search(r"\bin\s+(?:the\s+)?$", s.text[max(0, m["start"] - 8) : m["start"]])
            ]
            parties = [m for m in in_clause if m not in places]
            actor = target = None
            extra: list[dict[str, Any]] = []
            adj = re.search(
                r"\b(Russian|American|US|NATO|Ukrainian|Chinese)(?:-(American|NATO|Russian))?\s+(?:\w+\s+)?"
                + re.escape(s.text[start:stop])
                + r"\b",
                s.text[c0 : stop + 1],
            )
            if adj and etype in ("MEET", "CONSULT", "AGREE", "COOPERATE"):
                actor = _state_party(adj.group(1))
                if adj.group(2):
                    target = _state_party(adj.group(2))
            prefix = s.text[c0:start]
            noun = _is_noun(s.text[start:stop])
            passive = bool(_PASSIVE.search(s.text[max(c0, start - 20) : stop + 12])) and etype in ("MEET", "CONSULT")
            if actor is None and adj and etype in ("REQUEST", "DEMAND", "SANCTION", "THREATEN"):
                actor = _state_party(adj.group(1))
            if actor is None:
                # "consultations of X", "proposals by X"; not "consultations on the sidelines of X"
                by = re.match(r"\s*(?:(?:held|made|put forward|proposed)\s+)?(?:by|of|that)\s+", s.text[stop:c1])
                if by is not None and (noun or by.group(0).strip().startswith("by")):
                    after_by = [m for m in parties if m["start"] >= stop + by.end() - 1]
                    if after_by and after_by[0]["start"] - (stop + by.end()) <= 4:
                        actor = _party(entities, after_by[0])
            if actor is None and noun:
                # "NRC meeting", "EU summit": a name right before the noun is whose it is
                compound = [m for m in parties if m["stop"] <= start and not s.text[m["stop"] : start].strip()]
                if compound:
                    actor = _party(entities, compound[-1])
            if actor is None and noun:
                owner = [
                    m
                    for m in parties
                    if m["stop"] <= start and re.fullmatch(r"'s\s+(?:\w+\s+)?", s.text[m["stop"] : start])
                ]
                if owner:
                    actor = _party(entities, owner[-1])
            if actor is None and not passive and not noun:
                before = [m for m in parties if m["stop"] <= start]
                if re.search(r"\band\s+$", prefix) and found and found[-1].sentence == s.index and found[-1].actor:
                    actor = found[-1].actor  # "expelled ... and abolished": the same subject
                elif before:
                    actor = _party(entities, before[-1] if not re.search(r"\bof\s*$", prefix) else before[0])
                elif re.match(r"\s*(?:from [^,]+?,?\s+)?(?:it|they|we)\b", clause, re.I):
                    # "X announced that (from November 1) it will close": the pronoun is the speaker
                    speaker = [m for m in sent_mentions if m["stop"] <= c0]
                    if speaker:
                        actor = _party(entities, speaker[-1])
            if actor is None and re.search(r"\bthe parties\b", prefix, re.I) and len(last_parties) > 1:
                actor = last_parties[0]
            if actor is None and attribution is not None and re.match(r"\W*(?:we|i)\b", clause, re.I):
                # “We regret that ...” ... Jens Stoltenberg said: the quoted "we" is the speaker (for his body)
                actor = attribution[0]
            if actor is None and target is None and ";" in s.text and found and found[-1].sentence == s.index:
                # a list of rounds ("Russian-American consultations ...; January 13 - consultations ..."): the
                # side the list is about, as its first item names it
                actor = next(k for k in found if k.sentence == s.index).actor
            if target is None and etype in _TARGET_PREPS:
                preps = _TARGET_PREPS[etype]
                taken = {(actor or {}).get("entity"), (actor or {}).get("state")}
                after = [m for m in parties if m["start"] >= stop and m["entity"] not in taken]
                for m in after:
                    between = s.text[stop : m["start"]]
                    if preps and re.search(rf"\b(?:{preps})\b", between, re.I) and "," not in between:
                        p = _party(entities, m)
                        if p.get("state") and p.get("state") in taken:
                            continue
                        target = p
                        break
            if actor is None and target is None:
                _note_on_previous(found, s.index, s.text, etype, dates)
                continue
            if actor and target and (actor.get("state") or actor["name"]) == (target.get("state") or target["name"]):
                target = None
            for m in parties:
                p = _party(entities, m)
                if p["entity"] not in {(actor or {}).get("entity"), (target or {}).get("entity")}:
                    extra.append(p)
            low_prefix = prefix.lower()
            negated = bool(re.search(r"\b(?:not|no|never)\b[\w\s]{0,20}$", low_prefix))
            status = "happened"
            if re.search(r"\b(?:will|plans? to|intends? to|going to)\b", low_prefix):
                status = "planned"
            elif re.search(r"\bwould\b", low_prefix):
                status = "conditional"
            if re.search(r"\bexpected\b", clause, re.I):
                status = "expected"
            if etype in ("COOPERATE", "AGREE") and negated:
                etype, mode = "REJECT", f"no_{mode or 'agree'}"
            elif negated and status == "happened":
                status = "denied"
            source = None
            if _REPORTING.search(s.text[:c0]) or _REPORTING.search(s.text[c1:]):
                status = "reported" if status == "happened" else status
                speaker = next((m for m in sent_mentions if m["type"] == "PER" and not c0 <= m["start"] < c1), None)
                source = _party(entities, speaker) if speaker else None
            in_dates = [d for d in dates if d.sentence == s.index and c0 <= d.start < c1]
            if not in_dates and ";" in s.text:
                # "January 12 - NRC meeting; ...": the date of a listed item is in its own ";" segment
                g0 = s.text.rfind(";", 0, start) + 1
                g1 = s.text.find(";", stop) if ";" in s.text[stop:] else len(s.text)
                in_dates = [d for d in dates if d.sentence == s.index and g0 <= d.start < g1]
            best = min(in_dates, key=lambda d: abs(d.start - start)) if in_dates else None
            dated_by = "text" if best is not None else None
            if best is None and re.match(r"\W*since then\b", s.text[max(0, c0 - 12) : c1], re.I):
                # "Since then, Russia has not had an ambassador": "then" is the last date of the sentence before
                before = [d for d in dates if d.sentence == s.index - 1]
                if before:
                    best, dated_by = before[-1], "context"
            if best is None and _BACK_PRONOUN.match(s.text):
                # "They boil down to three key demands": "they" are the proposals of the sentence before, and so
                # is their date (published on December 17)
                told = [k for k in found if k.sentence == s.index - 1 and k.date and k.dated_by == "text"]
                said = [d for d in dates if d.sentence == s.index - 1]
                if told and said:
                    best, dated_by = said[-1], "context"
            if best is None and attribution is not None and etype in _SPEECH_ACTS and attribution[1] is not None:
                best, dated_by = attribution[1], "context"  # “We regret ...”, Stoltenberg said on January 12
            ev = Event(s.index, etype, mode, s.text[start:stop], evidence_en=s.text)
            ev.evidence_ru = ""
            ev.trigger_start = start
            ev.actor, ev.target, ev.status, ev.negated, ev.source = actor, target, status, negated, source
            ev.extra_participants = extra
            if best is not None:
                ev.date = {
                    **attributes(best, DATE_FIELDS),
                    "modifier": "since" if dated_by == "context" and etype == "SANCTION" else best.modifier,
                    # a date from the sentence before has no place in this one
                    "start": best.start if dated_by == "text" else None,
                    "stop": best.stop if dated_by == "text" else None,
                }
                ev.dated_by = dated_by
            ev.told_as_earlier = bool(_EARLIER.search(s.text[:stop]))
            loc = places[0] if places else None
            if loc is not None:
                ev.location = {"entity": loc["entity"], "name": entities[loc["entity"]]["name"], "text": loc["text"]}
            q = next((q for q in quantities if q["sentence"] == s.index and c0 <= q["start"] < c1), None)
            if q:
                ev.quantity = {"value": q["value"], "unit": q["unit"], "text": q["text"]}
            seen.add((etype, mode, c0))
            seen.add((etype, mode, -1))
            found.append(ev)
            if actor and target:
                last_parties = [actor, target]  # "the parties" of a later sentence are both sides
    out = []
    for ev in merge_events(found):
        d = ev.to_dict()
        d["evidence"] = {"ru": None, "en": ev.evidence_en}
        out.append(d)
    return out
