"""Names in two scripts: romanization, the glossary of fixed renderings and the registry of known entities.

Translation and analysis both spell names through this package, so one Russian name has one English form
across the corpus.
"""
