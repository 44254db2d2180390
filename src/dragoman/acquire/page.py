"""What acquire hands to extract: the bytes of one page and how they were obtained."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(slots=True)
class RawPage:
    url: str  # the page's URL after redirects; for a local file its recorded URL or a file:// URL
    body: bytes
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    content_type: str | None = None  # the HTTP Content-Type header, charset included when sent
    source: str = ""  # what the user gave: a path or a URL
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()
