"""natasha models, loaded once per process, and one parse per article with our own sentence boundaries.

Sentence boundaries come from the caller (the translation's source sentences when present), so that
sentence i of the analysis is sentence i of the alignment; natasha only tokenizes, tags and parses.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# BLAS threads fight with our one-process-per-core batching; natasha is fast enough on one.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_LOCK = threading.Lock()


@dataclass(slots=True)
class Models:
    segmenter: Any
    morph_vocab: Any
    morph_tagger: Any
    syntax_parser: Any
    ner_tagger: Any


@lru_cache(maxsize=1)
def load_models() -> Models:
    """Load natasha's segmenter, morphology, syntax and NER models (shipped inside the PyPI packages)."""
    with _LOCK:
        try:
            from natasha import (
                MorphVocab,
                NewsEmbedding,
                NewsMorphTagger,
                NewsNERTagger,
                NewsSyntaxParser,
                Segmenter,
            )
        except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
            from dragoman.errors import ConfigError

            raise ConfigError(
                "Russian analysis needs natasha: pip install 'dragoman[analyze]'", reason="config"
            ) from exc
        embedding = NewsEmbedding()
        return Models(
            segmenter=Segmenter(),
            morph_vocab=MorphVocab(),
            morph_tagger=NewsMorphTagger(embedding),
            syntax_parser=NewsSyntaxParser(embedding),
            ner_tagger=NewsNERTagger(embedding),
        )


@lru_cache(maxsize=200_000)
def word_lemma(word: str) -> str:
    """Context-free lemma of one word (pymorphy's first parse), for gazetteer keys."""
    vocab = load_models().morph_vocab
    parses = vocab.parse(word)
    return parses[0].normal if parses else word.lower()


@lru_cache(maxsize=200_000)
def _lemma(word: str, pos: str, feats: tuple[tuple[str, str], ...]) -> str:
    """natasha's contextual lemma, cached: the same form with the same tags recurs all through a corpus."""
    return str(load_models().morph_vocab.lemmatize(word, pos, dict(feats)))


def parse(
    text: str,
    sentence_bounds: list[tuple[int, int]],
    *,
    syntax: bool = True,
    ner: bool = True,
    needs_syntax: Callable[[list[Any]], bool] | None = None,
) -> Any:
    """Tag ``text`` with natasha using the given (start, stop) sentence boundaries; returns a natasha Doc."""
    from natasha import Doc
    from natasha.doc import DocSent, DocToken

    models = load_models()
    doc = Doc(text)
    doc.tokens = [DocToken(t.start, t.stop, t.text) for t in models.segmenter.tokenize(text)]
    doc.sents = [DocSent(start, stop, text[start:stop]) for start, stop in sentence_bounds if stop > start]
    doc.envelop_sent_tokens()
    # natasha's taggers choke on sentences without tokens; keep only real ones.
    doc.sents = [s for s in doc.sents if s.tokens]
    doc.tag_morph(models.morph_tagger)
    for token in doc.tokens:
        if token.pos is None:
            token.pos, token.feats = "X", {}
        token.lemma = _lemma(token.text, token.pos, tuple(sorted(token.feats.items())))
    for token in doc.tokens:
        token.id, token.head_id, token.rel = None, None, None
    if syntax:
        # The parser is the slowest model; sentences nobody will read the syntax of are skipped.
        wanted = [s for s in doc.sents if needs_syntax is None or needs_syntax(s.tokens)]
        if wanted:
            all_sents = doc.sents
            doc.sents = wanted
            doc.parse_syntax(models.syntax_parser)
            doc.sents = all_sents
    if ner:
        doc.tag_ner(models.ner_tagger)
    else:
        doc.spans = []
    return doc
