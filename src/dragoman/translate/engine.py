"""Translation engines, chosen by name from a small registry; the name and model id go with every result.

An engine turns a batch of Russian sentences into English ones, in order. Batching, memory, glossary and
checks are the stage's job (``stage.py``), so an engine only has to translate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dragoman.errors import ConfigError


@dataclass(slots=True)
class BatchOutput:
    targets: list[str]
    target_tokens: int  # tokens the engine produced (for tokens/s)


class Engine(Protocol):
    name: str  # registry name, e.g. "ctranslate2"
    model_id: str  # recorded with every translation and keying the translation memory
    parallelism: int  # batches the engine can usefully run at once

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Source length of each text in the engine's tokens (for batching and length caps)."""
        ...

    def translate_batch(self, texts: Sequence[str]) -> BatchOutput:
        """English for each text, same order and count; raises TranslateError on failure."""
        ...

    def close(self) -> None: ...


EngineFactory = Callable[..., Engine]
_REGISTRY: dict[str, EngineFactory] = {}


def register_engine(name: str, factory: EngineFactory) -> None:
    _REGISTRY[name] = factory


def engine_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def create_engine(name: str, settings: Any, *, model: str | None = None, **options: Any) -> Engine:
    """Build the engine registered as ``name`` for ``model`` (a path or installed name; None: default)."""
    _load_builtin()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown translation engine {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}"
        ) from None
    return factory(settings, model=model, **options)


def _load_builtin() -> None:
    if "ctranslate2" in _REGISTRY:
        return
    from dragoman.translate.ct2 import CTranslate2Engine
    from dragoman.translate.openai_compat import OpenAIEngine

    register_engine("ctranslate2", CTranslate2Engine.from_settings)
    register_engine("openai", OpenAIEngine.from_settings)
