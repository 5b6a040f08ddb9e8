"""The statistics dashboard: a chart, the same figures in a table, and the exports."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from consult.core.auth import roles_required
from consult.core.errors import ValidationFailed
from consult.core.schemas import load_args
from consult.org.models import ContactPoint, Role
from consult.stats import exports, services
from consult.stats.api import download
from consult.stats.schemas import StatsPageQuerySchema

bp = Blueprint("stats", __name__, url_prefix="/stats")


def _points() -> list[ContactPoint]:
    """The points legislature staff may pick: those serving their legislature."""
    if current_user.role != Role.LEGISLATURE:
        return []
    return [p for p in current_user.legislature.points if p.is_active]


@bp.get("/")
@roles_required()
def index():
    errors: dict[str, list[str]] = {}
    try:
        params = load_args(StatsPageQuerySchema())
    except ValidationFailed as exc:
        errors, params = exc.fields or {}, {"by": "point"}
    if params.get("by") == "all":
        params["by"] = "point"
    result = None
    if not errors:
        scope = services.scope_for(
            current_user, point_id=params.get("point_id"), start=params.get("from"),
            end=params.get("to"),
        )  # fmt: skip
        result = services.table(params["by"], scope)
    return render_template(
        "stats/index.html", result=result, errors=errors, params=params,
        groupings=exports.GROUPING_LABELS, columns=exports.COLUMNS, points=_points(),
    )  # fmt: skip


@bp.get("/export.<any(csv, xlsx):fmt>")
@roles_required()
def export(fmt: str):
    params = load_args(StatsPageQuerySchema())
    params["format"] = fmt
    return download(params, current_user)
