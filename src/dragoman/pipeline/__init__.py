"""Runs stages over many articles with the store: ingest, import, watch and re-extraction."""
