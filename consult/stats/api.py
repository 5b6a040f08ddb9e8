"""GET /api/v1/stats: the dashboard's figures as JSON, CSV or XLSX."""

from __future__ import annotations

from flask import Response, jsonify, send_file

from consult.api import bp
from consult.api.openapi import documented
from consult.core.auth import api_roles, api_user
from consult.core.http import XLSX, content_disposition
from consult.core.schemas import load_args
from consult.stats import exports, services
from consult.stats.schemas import FORMATS, StatsQuerySchema, StatsSchema

QUERY = {
    "by": {"type": "string", "enum": [*services.GROUPINGS, "all"],
           "description": "the grouping; `all` (every grouping, one sheet each) with xlsx only"},
    "from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"},
    "point_id": {"type": "integer", "description": "legislature staff: one of their points"},
    "format": {"type": "string", "enum": list(FORMATS)},
}  # fmt: skip


def download(params: dict, user) -> Response:
    """The statistics the user may see, in the format asked for (shared with the page)."""
    scope = services.scope_for(
        user, point_id=params.get("point_id"), start=params.get("from"), end=params.get("to")
    )
    by = params["by"]
    if params["format"] == "xlsx":
        groupings = services.GROUPINGS if by == "all" else (by,)
        handle = exports.xlsx_file([services.table(name, scope) for name in groupings])
        response = send_file(handle, mimetype=XLSX, download_name=f"stats-{by}.xlsx")
        response.headers["Content-Disposition"] = content_disposition(f"统计-{by}.xlsx")
        return response
    result = services.table(by, scope)
    if params["format"] == "csv":
        response = Response(exports.csv_bytes(result), mimetype="text/csv")
        response.headers["Content-Disposition"] = content_disposition(f"统计-{by}.csv")
        return response
    return jsonify(StatsSchema().dump(exports.as_json(result)))


@bp.get("/stats")
@documented(summary="Statistics of collection and adoption, grouped (JSON, CSV or XLSX)",
            tag="stats", response=StatsSchema, query=QUERY, files=("text/csv", XLSX))  # fmt: skip
@api_roles()
def stats():
    return download(load_args(StatsQuerySchema()), api_user())
