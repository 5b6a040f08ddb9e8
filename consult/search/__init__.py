"""Full-text search over clauses, comments and suggestions (the only package that knows the
search engines). See ``indexer`` for how the index keeps in step with the database."""

from __future__ import annotations

import os

from flask import Flask

BACKENDS = ("whoosh", "postgresql")
APPLY_MODES = ("background", "inline")


def configure_search(app: Flask) -> None:
    from consult.search.documents import register_defaults
    from consult.search.indexer import SearchState

    register_defaults()
    backend = app.config["SEARCH_BACKEND"]
    if backend not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if app.config["SEARCH_APPLY"] not in APPLY_MODES:
        raise RuntimeError(f"SEARCH_APPLY must be one of {', '.join(APPLY_MODES)}")
    if backend == "postgresql" and not app.config["SQLALCHEMY_DATABASE_URI"].startswith(
        "postgresql"
    ):
        raise RuntimeError("SEARCH_BACKEND=postgresql needs a PostgreSQL DATABASE_URL")
    if not app.config.get("SEARCH_INDEX_PATH"):
        app.config["SEARCH_INDEX_PATH"] = os.path.join(app.instance_path, "search-index")
    state = SearchState(app)
    app.extensions["consult_search"] = state

    if app.config["SEARCH_APPLY"] == "background":
        started = False

        @app.before_request
        def _replay_outbox() -> None:
            # The first request of each worker wakes its applier: rows left by a process
            # that died between its commit and its index write are applied now.
            nonlocal started
            if not started:
                started = True
                state.notify()
