"""Full-text search: the query language and one index backend per database (SQLite FTS5, PostgreSQL)."""
