"""The public front page, each role's home, and the language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from consult.core.auth import roles_required
from consult.core.forms import ConfirmForm, safe_next

bp = Blueprint("main", __name__)

ROLE_HOMES = {
    "admin": "admin.index",
    "legislature": "org.legislature_home",
    "manager": "org.point_home",
    "expert": "org.point_home",
    "collector": "org.collector_home",
}


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/home")
@roles_required()
def home():
    return redirect(url_for(ROLE_HOMES[current_user.role]))


@bp.post("/language")
def set_language():
    ConfirmForm().validate_on_submit()
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


def select_locale() -> str:
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]
