"""Scale: backfills over many WARC files or URL lists, on one process or on a Ray cluster (issue 7).

The stage functions live in :mod:`dragoman.scale.stages` and call the same library code as the
single-process pipeline; :mod:`dragoman.scale.backfill` runs them locally or schedules them with Ray Data.
"""
