"""consult: clause-by-clause public consultation for grassroots legislative contact points."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

ROOT = Path(__file__).resolve().parent.parent
MODEL_MODULES = (
    "consult.core.audit",
    "consult.org.models",
    "consult.drafts.models",
    "consult.consultations.models",
    "consult.comments.models",
    "consult.review.models",
    "consult.outcomes.models",
    "consult.search.models",
    "consult.stats.models",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. Configuration is read here and nowhere else."""
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get("CONSULT_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure_config(app, config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Chinese in JSON
    configure_logging(app)
    configure_extensions(app)
    configure_search(app)
    configure_blueprints(app)
    configure_templates(app)
    configure_cli(app)
    return app


def configure_config(app: Flask, config: Mapping[str, Any]) -> None:
    from consult.config import load_config

    load_config(app, config)
    if app.config.get("TRUSTED_PROXIES"):
        count = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=app.config.get("LOG_LEVEL", "INFO"),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    # Alembic announces each of its plugins at INFO in every process: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def configure_extensions(app: Flask) -> None:
    from consult.core.http import (
        configure_errors,
        configure_input_guard,
        configure_security_headers,
    )
    from consult.extensions import babel, csrf, db, limiter, migrate
    from consult.org.auth import configure_login
    from consult.views import select_locale

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    configure_login(app)
    configure_errors(app)
    configure_input_guard(app)
    configure_security_headers(app)

    # Every model module, so that metadata (and `flask db check`) sees all tables.
    for module in MODEL_MODULES:
        importlib.import_module(module)


def configure_search(app: Flask) -> None:
    from consult.search import configure_search as configure

    configure(app)


class IdConverter(IntegerConverter):
    """``<int:…>`` as a database id: a number of more than 9 digits (past
    ``consult.core.schemas.MAX_ID``) is simply not found.

    Werkzeug's converter takes any length of digits, and the database driver then fails on
    a number that does not fit the column (SQLite above 2**63, PostgreSQL above 2**31).
    Bounding the pattern rather than the value (``max=``) keeps the answer a 404 for every
    method: a value rejected after the pattern matched makes Werkzeug answer 405.
    """

    regex = r"\d{1,9}"


def configure_blueprints(app: Flask) -> None:
    from consult import api, views
    from consult.consultations import public
    from consult.consultations import views as tasks_views
    from consult.drafts import views as drafts_views
    from consult.org import account_views
    from consult.org import views as org_views
    from consult.outcomes import views as outcomes_views
    from consult.review import views as review_views
    from consult.search import views as search_views
    from consult.stats import views as stats_views

    app.url_map.converters["int"] = IdConverter  # before the first route is added
    app.register_blueprint(views.bp)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(org_views.admin_bp)
    app.register_blueprint(org_views.org_bp)
    app.register_blueprint(drafts_views.bp)
    app.register_blueprint(tasks_views.bp)
    app.register_blueprint(tasks_views.comments_bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(review_views.bp)
    app.register_blueprint(stats_views.bp)
    app.register_blueprint(outcomes_views.bp)
    api.init_app(app)
    # The API authenticates with bearer tokens, never with the session cookie: no CSRF there.
    from consult.extensions import csrf

    csrf.exempt(api.bp)


def configure_templates(app: Flask) -> None:
    from flask_babel import get_locale

    from consult.core.forms import ConfirmForm

    @app.context_processor
    def template_globals():
        return {
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "plain_form": ConfirmForm,
            "unread_notifications": _unread,
            "outcome_label": _outcome_label,
        }

    def _outcome_label(value: str) -> str:
        from consult.outcomes.models import Outcome

        return Outcome(value).label

    def _unread() -> int:
        from flask_login import current_user

        from consult.outcomes.services import unread_count

        return unread_count(current_user) if current_user.is_authenticated else 0

    @app.template_filter("localtime")
    def localtime(value, fmt: str = "%Y-%m-%d %H:%M"):
        from flask_babel import to_user_timezone

        return to_user_timezone(value).strftime(fmt) if value else ""


def configure_cli(app: Flask) -> None:
    from consult.cli import consult_cli, drafts_cli

    app.cli.add_command(consult_cli)
    app.cli.add_command(drafts_cli)
