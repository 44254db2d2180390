"""Offline Russian-to-English translation: engines, models, glossary, memory and the translate stage's
work on records (its store loop is ``pipeline.translate.translate_store``)."""

from __future__ import annotations

from dragoman.translate.engine import create_engine, engine_names, register_engine
from dragoman.translate.models import install_model, list_models, models_dir, resolve_model
from dragoman.translate.stage import ArticleTranslator, TranslateReport, translate_articles

__all__ = [
    "ArticleTranslator",
    "TranslateReport",
    "create_engine",
    "engine_names",
    "install_model",
    "list_models",
    "models_dir",
    "register_engine",
    "resolve_model",
    "translate_articles",
]
