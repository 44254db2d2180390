"""Translation memory: finished English sentences keyed by (model id, normalized Russian sentence).

Wire copy and boilerplate repeat across outlets; each distinct sentence is translated once per model.
The table lives in the article database (``store.translation_memory``, see ``dragoman.store.translations``),
so a resumed run reuses what was done; this class counts lookups and hits for the run's report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


class MemoryTable(Protocol):
    """What this needs of ``store.translation_memory`` (``dragoman.store.protocol.TranslationMemoryStore``;
    the translate layer does not import the store)."""

    def lookup(self, model_id: str, sources: Iterable[str]) -> dict[str, str]: ...
    def put(self, model_id: str, pairs: Mapping[str, str]) -> None: ...
    def count_hits(self, model_id: str, sources: Iterable[str]) -> None: ...
    def size(self, model_id: str) -> int: ...


class HasMemoryTable(Protocol):
    @property
    def translation_memory(self) -> MemoryTable: ...


class TranslationMemory:
    def __init__(self, store: HasMemoryTable, model_id: str) -> None:
        self.repository = store.translation_memory
        self.model_id = model_id
        self.lookups = 0
        self.hits = 0

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0

    def get_many(self, sources: Iterable[str]) -> dict[str, str]:
        """Known translations of the given normalized sentences (counted as lookups and hits)."""
        keys = list(dict.fromkeys(sources))
        found = self.repository.lookup(self.model_id, keys)
        self.lookups += len(keys)
        self.hits += len(found)
        return found

    def put_many(self, pairs: Mapping[str, str]) -> None:
        self.repository.put(self.model_id, pairs)

    def count_hits(self, sources: Iterable[str]) -> None:
        """Record that these entries were reused (for `dragoman translate` statistics on boilerplate)."""
        self.repository.count_hits(self.model_id, sources)

    def size(self) -> int:
        return int(self.repository.size(self.model_id))
