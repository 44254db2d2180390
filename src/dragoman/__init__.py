"""dragoman: Russian-language news into a searchable, traceable English corpus."""

from __future__ import annotations

__version__ = "0.1.0"
