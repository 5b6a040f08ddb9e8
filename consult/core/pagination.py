"""Page numbers from the query string, clamped; one envelope for paged API answers."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from consult.extensions import db

MAX_PAGE = 1_000_000  # further pages are empty anyway; the offset must fit the database's


def paginate(query: Select) -> Pagination:
    """Paginate ``query`` with ``?page=`` and ``?per_page=``; bad values fall back to defaults."""
    config = current_app.config
    per_page_max = config["MAX_PAGE_SIZE"]
    page = request.args.get("page", 1, type=int) or 1
    per_page = request.args.get("per_page", config["PAGE_SIZE"], type=int) or config["PAGE_SIZE"]
    return db.paginate(
        query,
        page=min(max(page, 1), MAX_PAGE),
        per_page=min(max(per_page, 1), per_page_max),
        error_out=False,
        count=True,
    )


def envelope(page: Pagination, items: list[Any]) -> dict[str, Any]:
    return {
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


class KnownPage(Pagination):
    """A page whose items and total are already known (search results), for the pager."""

    def __init__(self, page: int, per_page: int, total: int, items: list[Any]):
        self._known = (items, total)
        super().__init__(page=page, per_page=per_page, max_per_page=None, error_out=False)

    def _query_items(self) -> list[Any]:
        return self._known[0]

    def _query_count(self) -> int:
        return self._known[1]
