"""The store suite runs against both backends: a SQLite file and a real PostgreSQL server (``store_url``,
``store``, ``postgres_url`` and ``postgres_server`` in tests/conftest.py, shared with the stage and serve
tests)."""
