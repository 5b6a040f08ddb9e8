"""GET /api/v1/search: the search page's query and answer as JSON."""

from __future__ import annotations

from flask import jsonify

from consult.api import bp
from consult.api.openapi import documented
from consult.core.auth import api_roles, api_user
from consult.core.schemas import load_args
from consult.search import services
from consult.search.schemas import KINDS, OUTCOMES, SearchQuerySchema, SearchResultSchema

QUERY = {
    "q": {"type": "string", "description": 'words (AND), "phrases", OR, -excluded, 第X条'},
    "kind": {"type": "string", "enum": list(KINDS)},
    "task_id": {"type": "integer"},
    "draft_id": {"type": "integer"},
    "unit_id": {"type": "integer"},
    "collector_id": {"type": "integer"},
    "clause_id": {"type": "integer"},
    "channel": {"type": "string"},
    "status": {"type": "string"},
    "outcome": {"type": "string", "enum": list(OUTCOMES)},
    "from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"},
    "sort": {"type": "string", "enum": ["relevance", "newest"]},
    "page": {"type": "integer"},
    "per_page": {"type": "integer"},
    "facets": {"type": "boolean"},
}


@bp.get("/search")
@documented(summary="Search clauses, comments and suggestions you may see", tag="search",
            response=SearchResultSchema, query=QUERY)  # fmt: skip
@api_roles()
def search():
    params = load_args(SearchQuerySchema())
    params["per_page"] = params.get("per_page") or 20
    found = services.search(api_user(), params)
    return jsonify(SearchResultSchema().dump({
        "items": [
            {"kind": i.kind, "id": i.id, "score": i.score, "title": i.title, "url": i.url,
             "snippet": str(i.snippet), "day": i.day}
            for i in found.items
        ],
        "total": found.total,
        "page": found.page,
        "per_page": found.per_page,
        "pages": found.pages,
        "facets": found.facets,
        "jumps": [vars(j) for j in found.jumps],
    }))  # fmt: skip
