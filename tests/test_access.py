"""Who may reach which route: one table, every route × every role.

A route missing from ACCESS fails ``test_every_route_is_in_the_table``, so nobody can add a
page or an API endpoint without deciding who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from consult.extensions import db
from tests.conftest import ROLES, bearer, sign_in

# Shorthands for the expected status per role, in ROLES order:
# anonymous, admin, legislature, manager, expert, collector.


def by_role(anonymous, admin, legislature, manager, expert, collector) -> dict[str, int]:
    return dict(
        zip(ROLES, (anonymous, admin, legislature, manager, expert, collector), strict=True)
    )


PUBLIC = by_role(200, 200, 200, 200, 200, 200)
SIGNED_IN_PAGE = by_role(302, 200, 200, 200, 200, 200)
ADMIN_PAGE = by_role(302, 200, 403, 403, 403, 403)
ADMIN_API = by_role(401, 200, 403, 403, 403, 403)
ADMIN_API_CREATE = by_role(401, 201, 403, 403, 403, 403)
SIGNED_IN_API = by_role(401, 200, 200, 200, 200, 200)


@dataclass
class Case:
    method: str
    url: Callable[[Any, str], str]
    expect: dict[str, int]
    form: Callable[[Any], dict] | None = None
    json: Callable[[Any], dict] | None = None
    extra: dict = field(default_factory=dict)


def fixed(path: str) -> Callable[[Any, str], str]:
    return lambda w, role: path


ACCESS: dict[tuple[str, str], Case] = {
    ("static", "GET"): Case("GET", fixed("/static/css/app.css"), PUBLIC),
    ("main.index", "GET"): Case("GET", fixed("/"), PUBLIC),
    ("main.home", "GET"): Case("GET", fixed("/home"), by_role(302, 302, 302, 302, 302, 302)),
    ("main.set_language", "POST"): Case(
        "POST",
        fixed("/language"),
        by_role(302, 302, 302, 302, 302, 302),
        form=lambda w: {"lang": "en"},
    ),
    ("auth.login", "GET"): Case("GET", fixed("/login"), by_role(200, 302, 302, 302, 302, 302)),
    ("auth.login", "POST"): Case(
        "POST",
        fixed("/login"),
        by_role(401, 302, 302, 302, 302, 302),
        form=lambda w: {"username": "nobody", "password": "wrong-password"},
    ),
    ("auth.logout", "POST"): Case("POST", fixed("/logout"), by_role(302, 302, 302, 302, 302, 302)),
    ("auth.change_password", "GET"): Case("GET", fixed("/account/password"), SIGNED_IN_PAGE),
    ("auth.change_password", "POST"): Case(
        "POST", fixed("/account/password"), by_role(302, 422, 422, 422, 422, 422), form=lambda w: {}
    ),
    ("auth.tokens", "GET"): Case("GET", fixed("/account/tokens"), SIGNED_IN_PAGE),
    ("auth.tokens", "POST"): Case(
        "POST", fixed("/account/tokens"), SIGNED_IN_PAGE, form=lambda w: {"name": "script"}
    ),
    # The admin's own token: only its owner may revoke it; others are told it does not exist.
    ("auth.revoke_token", "POST"): Case(
        "POST",
        lambda w, role: f"/account/tokens/{w.admin_token.id}/revoke",
        by_role(302, 302, 404, 404, 404, 404),
    ),
    ("admin.index", "GET"): Case("GET", fixed("/admin/"), ADMIN_PAGE),
    ("admin.reset_password", "POST"): Case(
        "POST", lambda w, role: f"/admin/users/{w.target.id}/password", ADMIN_PAGE
    ),
    ("org.legislature_home", "GET"): Case(
        "GET", fixed("/legislature/"), by_role(302, 403, 200, 403, 403, 403)
    ),
    ("org.point_home", "GET"): Case("GET", fixed("/point/"), by_role(302, 403, 403, 200, 200, 403)),
    ("org.collector_home", "GET"): Case(
        "GET", fixed("/collector/"), by_role(302, 403, 403, 403, 403, 200)
    ),
    # -- API
    ("api.openapi_document", "GET"): Case("GET", fixed("/api/v1/openapi.json"), PUBLIC),
    ("api.create_token", "POST"): Case(
        "POST",
        fixed("/api/v1/tokens"),
        by_role(401, 401, 401, 401, 401, 401),
        json=lambda w: {"username": "nobody", "password": "wrong-password"},
    ),
    ("api.list_tokens", "GET"): Case("GET", fixed("/api/v1/tokens"), SIGNED_IN_API),
    ("api.revoke_token", "DELETE"): Case(
        "DELETE",
        lambda w, role: f"/api/v1/tokens/{w.admin_token.id}",
        by_role(401, 204, 404, 404, 404, 404),
    ),
    ("api.me", "GET"): Case("GET", fixed("/api/v1/me"), SIGNED_IN_API),
}

LEGISLATURE_PAGE = by_role(302, 403, 200, 403, 403, 403)
LEGISLATURE_FORM_POST = by_role(302, 403, 422, 403, 403, 403)
LEGISLATURE_API = by_role(401, 403, 200, 403, 403, 403)
STAFF_NOT_FOUND = by_role(302, 403, 404, 403, 403, 403)


POINT_API = by_role(401, 403, 403, 200, 200, 200)
POINT_API_CREATE = by_role(401, 403, 403, 201, 201, 201)


POINT_PAGE = by_role(302, 403, 403, 200, 200, 200)
MANAGER_POST = by_role(302, 403, 403, 302, 403, 403)


def public_path(w, role) -> str:
    return f"/public/tasks/{w.task.id}/comment"


def task_path(suffix: str) -> Callable[[Any, str], str]:
    return lambda w, role: f"/tasks/{w.task.id}{suffix}"


REVIEW_API = by_role(401, 403, 403, 200, 200, 403)
REPORT_API = by_role(401, 403, 404, 200, 200, 403)
REVIEW_PAGE = by_role(302, 403, 403, 200, 200, 403)
REVIEW_FORM = by_role(302, 403, 403, 302, 302, 403)


def review_page(kind: str, suffix: str) -> Callable[[Any, str], str]:
    def url(w, role: str) -> str:
        if kind == "comments":
            return f"/review/comments/{w.comment.id}{suffix}"
        suggestion = w.suggestion2 if role == "expert" else w.suggestion
        return f"/review/suggestions/{suggestion.id}{suffix}"

    return url


def suggestion_api(suffix: str, *, per_role: bool = False) -> Callable[[Any, str], str]:
    def url(w, role: str) -> str:
        suggestion = w.suggestion2 if per_role and role == "expert" else w.suggestion
        return f"/api/v1/suggestions/{suggestion.id}{suffix}"

    return url


def task_api(suffix: str) -> Callable[[Any, str], str]:
    return lambda w, role: f"/api/v1/tasks/{w.task.id}{suffix}"


def own_comment(w, role):
    # each allowed role changes a comment of its own, so the other's answer stays the same
    return w.comment2 if role == "manager" else w.comment


def comment_api(w, role) -> str:
    return f"/api/v1/comments/{own_comment(w, role).id}"


def draft_path(suffix: str, which: str = "draft") -> Callable[[Any, str], str]:
    return lambda w, role: f"/drafts/{getattr(w, which).id}{suffix}"


def draft_api(suffix: str, which: str = "draft") -> Callable[[Any, str], str]:
    return lambda w, role: f"/api/v1/drafts/{getattr(w, which).id}{suffix}"


ACCESS.update({
    ("drafts.index", "GET"): Case("GET", fixed("/drafts/"), PUBLIC),
    # Anyone may search; what each finds is tested in tests/search/test_search.py.
    ("search.index", "GET"): Case("GET", fixed("/search/?q=养犬"), PUBLIC),
    ("api.search", "GET"): Case("GET", fixed("/api/v1/search?q=养犬"), SIGNED_IN_API),
    ("drafts.new", "GET"): Case("GET", fixed("/drafts/new"), LEGISLATURE_PAGE),
    ("drafts.new", "POST"): Case("POST", fixed("/drafts/new"), LEGISLATURE_FORM_POST,
                                 form=lambda w: {"text": ""}),
    ("drafts.show", "GET"): Case("GET", draft_path(""), PUBLIC),
    ("drafts.version", "GET"): Case("GET", draft_path("/v/1"), PUBLIC),
    ("drafts.print_version", "GET"): Case("GET", draft_path("/v/1/print"), PUBLIC),
    ("drafts.note", "GET"): Case("GET", draft_path("/v/1/note"), PUBLIC),
    ("drafts.cite", "GET"): Case("GET", draft_path("/v/1/cite?c=第四条第二款"),
                                 by_role(302, 302, 302, 302, 302, 302)),
    ("drafts.compare", "GET"): Case("GET", draft_path("/compare"), PUBLIC),
    ("drafts.new_version", "GET"): Case("GET", draft_path("/versions/new", "draft2"),
                                        LEGISLATURE_PAGE),
    ("drafts.new_version", "POST"): Case("POST", draft_path("/versions/new", "draft2"),
                                         LEGISLATURE_FORM_POST, form=lambda w: {"text": ""}),
    ("drafts.replace", "GET"): Case("GET", draft_path("/v/2/replace"), LEGISLATURE_PAGE),
    ("drafts.replace", "POST"): Case("POST", draft_path("/v/2/replace"), LEGISLATURE_FORM_POST,
                                     form=lambda w: {"text": ""}),
    ("drafts.publish", "POST"): Case("POST", draft_path("/v/2/publish"),
                                     by_role(302, 403, 302, 403, 403, 403)),
    ("api.list_drafts", "GET"): Case("GET", fixed("/api/v1/drafts"), PUBLIC),
    ("api.get_draft", "GET"): Case("GET", draft_api(""), PUBLIC),
    ("api.get_version", "GET"): Case("GET", draft_api("/versions/1"), PUBLIC),
    ("api.diff_versions", "GET"): Case("GET", draft_api("/versions/1/diff/1"), PUBLIC),
    ("api.resolve_citation", "GET"): Case("GET", draft_api("/versions/1/resolve?cite=第四条"),
                                          PUBLIC),
    ("api.create_draft", "POST"): Case("POST", fixed("/api/v1/drafts"),
                                       by_role(401, 403, 201, 403, 403, 403),
                                       json=lambda w: {"title": "某条例", "text": "第一条　甲。"}),
    ("api.create_version", "POST"): Case("POST", draft_api("/versions", "draft2"),
                                         by_role(401, 403, 201, 403, 403, 403),
                                         json=lambda w: {"text": "第一条　内容。"}),
    ("api.publish_version", "POST"): Case("POST", draft_api("/versions/2/publish"),
                                          LEGISLATURE_API),
    ("api.create_task", "POST"): Case("POST", fixed("/api/v1/tasks"),
                                      by_role(401, 403, 201, 403, 403, 403),
                                      json=lambda w: {"draft_version_id": w.version1_id,
                                                      "title": "任务",
                                                      "deadline": "2099-01-01T00:00:00+08:00",
                                                      "point_ids": [w.point_a.id]}),
    ("api.list_tasks", "GET"): Case("GET", fixed("/api/v1/tasks"), SIGNED_IN_API),
    ("api.assign_task", "POST"): Case("POST", task_api("/assignments"),
                                      by_role(401, 403, 403, 201, 403, 403),
                                      json=lambda w: {"user_ids": [w.collector.id]}),
    ("api.get_task", "GET"): Case("GET", task_api(""), SIGNED_IN_API),
    ("api.create_comment", "POST"): Case("POST", task_api("/comments"), POINT_API_CREATE,
                                         json=lambda w: {"clause": "第一条", "body": "意见"}),
    ("api.list_comments", "GET"): Case("GET", task_api("/comments"), POINT_API),
    ("api.update_comment", "PATCH"): Case("PATCH", comment_api,
                                          by_role(401, 403, 403, 200, 403, 200),
                                          json=lambda w: {"body": "修改"}),
    ("api.withdraw_comment", "DELETE"): Case("DELETE", comment_api,
                                             by_role(401, 403, 403, 200, 403, 200)),
    # Review: the point's experts and managers; approving and submitting: its managers.
    ("api.duplicates", "GET"): Case("GET", task_api("/duplicates"), REVIEW_API),
    ("api.list_suggestions", "GET"): Case("GET", task_api("/suggestions"), REVIEW_API),
    ("api.create_suggestion", "POST"): Case("POST", task_api("/suggestions"),
                                            by_role(401, 403, 403, 201, 201, 403),
                                            json=lambda w: {"comment_ids": [w.comment.id]}),
    ("api.update_suggestion", "PATCH"): Case("PATCH", suggestion_api(""), REVIEW_API,
                                             json=lambda w: {"proposed_text": "改为……"}),
    # Each reviewer deletes a suggestion of their own: the first deletion would hide the other.
    ("api.delete_suggestion", "DELETE"): Case("DELETE", suggestion_api("", per_role=True),
                                              by_role(401, 403, 403, 204, 204, 403)),
    ("api.approve_suggestion", "POST"): Case("POST", suggestion_api("/approve"),
                                             by_role(401, 403, 403, 200, 403, 403)),
    ("api.set_aside", "POST"): Case("POST", lambda w, role: f"/api/v1/comments/{w.comment.id}"
                                    "/set-aside", REVIEW_API, json=lambda w: {"reason": "unclear"}),
    # Allowed, but refused on its merits: the suggestions are not approved yet.
    ("api.submit", "POST"): Case("POST", task_api("/submission"),
                                 by_role(401, 403, 403, 422, 403, 403), json=lambda w: {}),
    # A point's own report (a preview until submitted); legislature staff read submitted ones.
    ("api.report_docx", "GET"): Case("GET", task_api("/report.docx"), REPORT_API),
    ("api.report_xlsx", "GET"): Case("GET", task_api("/report.xlsx"), REPORT_API),
    # Outcomes: the legislature's staff record them on submitted suggestions (the world's are
    # not submitted: 404 for the staff too); everyone involved reads them.
    ("api.record_outcome", "PUT"): Case("PUT", suggestion_api("/outcome"),
                                        by_role(401, 403, 404, 403, 403, 403),
                                        json=lambda w: {"outcome": "adopted"}),
    ("api.list_outcomes", "GET"): Case("GET", task_api("/outcomes"),
                                       by_role(401, 403, 200, 200, 200, 200)),
    # The inbox: legislature staff only. The world's reports are not submitted, so the task's
    # reports are "not found" for the staff too.
    ("outcomes.inbox", "GET"): Case("GET", fixed("/inbox/"), LEGISLATURE_PAGE),
    ("outcomes.task_reports", "GET"): Case("GET", lambda w, r: f"/inbox/tasks/{w.task.id}",
                                           STAFF_NOT_FOUND),
    ("outcomes.record_outcome", "POST"): Case(
        "POST", lambda w, r: f"/inbox/suggestions/{w.suggestion.id}/outcome", STAFF_NOT_FOUND,
        form=lambda w: {"outcome": "adopted"}),
    ("outcomes.report", "GET"): Case(
        "GET", lambda w, r: f"/inbox/tasks/{w.task.id}/reports/{w.point_a.id}.docx",
        STAFF_NOT_FOUND),
    ("outcomes.outcome_sheet", "GET"): Case(
        "GET", lambda w, r: f"/inbox/tasks/{w.task.id}/outcomes.xlsx", LEGISLATURE_PAGE),
    ("outcomes.import_outcomes", "GET"): Case(
        "GET", lambda w, r: f"/inbox/tasks/{w.task.id}/import", LEGISLATURE_PAGE),
    ("outcomes.import_outcomes", "POST"): Case(
        "POST", lambda w, r: f"/inbox/tasks/{w.task.id}/import", LEGISLATURE_FORM_POST,
        form=lambda w: {}),
    ("outcomes.confirm_import", "POST"): Case(
        "POST", lambda w, r: f"/inbox/tasks/{w.task.id}/import/99999/confirm", STAFF_NOT_FOUND),
    ("api.import_outcomes", "POST"): Case("POST", task_api("/outcomes/import"),
                                          by_role(401, 403, 422, 403, 403, 403)),
    ("outcomes.notifications", "GET"): Case("GET", fixed("/notifications/"), SIGNED_IN_PAGE),
    ("outcomes.mark_read", "POST"): Case("POST", fixed("/notifications/read"),
                                         by_role(302, 302, 302, 302, 302, 302)),
    ("outcomes.public_outcomes", "GET"): Case(
        "GET", lambda w, r: f"/public/tasks/{w.task.id}/outcomes", PUBLIC),
    # Statistics: every signed-in role sees its own scope (a point itself, staff their
    # legislature's, admins all).
    ("api.stats", "GET"): Case("GET", fixed("/api/v1/stats?by=unit"), SIGNED_IN_API),
    ("stats.index", "GET"): Case("GET", fixed("/stats/?by=collector"), SIGNED_IN_PAGE),
    ("stats.export", "GET"): Case("GET", fixed("/stats/export.csv?by=task"), SIGNED_IN_PAGE),
    ("review.workspace", "GET"): Case("GET", task_path("/review"), REVIEW_PAGE),
    ("review.report", "GET"): Case("GET", task_path("/review/report.docx"), REVIEW_PAGE),
    # The page actions redirect back to the workspace, done or refused (the refusal shown).
    ("review.create_suggestion", "POST"): Case("POST", task_path("/review/suggestions"),
                                               REVIEW_FORM, form=lambda w: {
                                                   "comment_ids": [str(w.comment.id)]}),
    ("review.delete_suggestion", "POST"): Case("POST", review_page("suggestions", "/delete"),
                                               REVIEW_FORM),
    ("review.approve_suggestion", "POST"): Case("POST", review_page("suggestions", "/approve"),
                                                by_role(302, 403, 403, 302, 403, 403)),
    ("review.set_aside", "POST"): Case("POST", review_page("comments", "/set-aside"),
                                       REVIEW_FORM, form=lambda w: {"reason": "unclear"}),
    ("review.restore", "POST"): Case("POST", review_page("comments", "/restore"), REVIEW_FORM),
    ("review.submit", "POST"): Case("POST", task_path("/review/submit"),
                                    by_role(302, 403, 403, 302, 403, 403)),
    ("tasks.index", "GET"): Case("GET", fixed("/tasks/"), SIGNED_IN_PAGE),
    ("tasks.new", "GET"): Case("GET", fixed("/tasks/new"), LEGISLATURE_PAGE),
    ("tasks.new", "POST"): Case("POST", fixed("/tasks/new"), LEGISLATURE_FORM_POST,
                                form=lambda w: {}),
    ("tasks.show", "GET"): Case("GET", task_path(""), SIGNED_IN_PAGE),
    ("tasks.change_state", "POST"): Case("POST", task_path("/state"),
                                         by_role(302, 403, 302, 403, 403, 403),
                                         form=lambda w: {"state": "closed"}),
    ("tasks.assign", "POST"): Case("POST", task_path("/assignments"), MANAGER_POST,
                                   form=lambda w: {"user_ids": [w.collector.id]}),
    ("tasks.unassign", "POST"): Case("POST", lambda w, r: f"/tasks/{w.task.id}/assignments/"
                                     f"{w.assignment_a.id}/delete", MANAGER_POST),
    ("tasks.new_comment", "GET"): Case("GET", task_path("/comments/new"), POINT_PAGE),
    ("tasks.new_comment", "POST"): Case("POST", task_path("/comments/new"),
                                        by_role(302, 403, 403, 422, 422, 422), form=lambda w: {}),
    ("tasks.list_comments", "GET"): Case("GET", task_path("/comments"), POINT_PAGE),
    ("tasks.heatmap", "GET"): Case("GET", task_path("/heatmap"), POINT_PAGE),
    ("comments.show_comment", "GET"): Case("GET", lambda w, r: f"/comments/{w.comment.id}",
                                           POINT_PAGE),
    ("comments.edit_comment", "GET"): Case("GET", lambda w, r: f"/comments/{w.comment.id}/edit",
                                           by_role(302, 403, 403, 200, 403, 200)),
    ("comments.edit_comment", "POST"): Case("POST", lambda w, r: f"/comments/{w.comment.id}/edit",
                                            by_role(302, 403, 403, 422, 403, 422),
                                            form=lambda w: {}),
    ("comments.withdraw_comment", "POST"): Case(
        "POST", lambda w, r: f"/comments/{own_comment(w, r).id}/withdraw",
        by_role(302, 403, 403, 302, 403, 302)),
    ("tasks.import_template", "GET"): Case("GET", task_path("/comments/template.xlsx"), POINT_PAGE),
    ("tasks.import_comments", "GET"): Case("GET", task_path("/comments/import"), POINT_PAGE),
    ("tasks.import_comments", "POST"): Case("POST", task_path("/comments/import"),
                                            by_role(302, 403, 403, 422, 422, 422),
                                            form=lambda w: {}),
    ("tasks.confirm_import", "POST"): Case(
        "POST", lambda w, r: f"/tasks/{w.task.id}/comments/import/{w.pending_import.id}/confirm",
        by_role(302, 403, 403, 404, 404, 302)),
    ("api.import_comments", "POST"): Case("POST", task_api("/comments/import"),
                                          by_role(401, 403, 403, 422, 422, 422)),
    ("public.comment", "GET"): Case("GET", public_path, PUBLIC),
    ("public.comment", "POST"): Case("POST", public_path,
                                     by_role(422, 422, 422, 422, 422, 422), form=lambda w: {}),
    ("tasks.moderation", "GET"): Case("GET", task_path("/moderation"),
                                      by_role(302, 403, 403, 200, 200, 403)),
    ("comments.moderate_comment", "POST"): Case(
        "POST",
        lambda w, r: f"/comments/{(w.public_comment if r == 'manager' else w.public_comment2).id}"
        "/moderate",
        by_role(302, 403, 403, 302, 302, 403),
        form=lambda w: {"decision": "accept"}),
})  # fmt: skip

# The organisation pages and resources share one shape each.
_TARGETS = {
    "legislature": ("legislatures", lambda w: w.other.id),
    "point": ("points", lambda w: w.point_b.id),
    "unit": ("units", lambda w: w.unit_b.id),
    "user": ("users", lambda w: w.target.id),
}
_NEW = {
    "legislature": lambda w: {"name": "新增立法机关"},
    "point": lambda w: {"name": "新增联系点"},
    "unit": lambda w: {"point_id": w.point_a.id, "name": "新增单位"},
    "user": lambda w: {"username": "newcomer", "display_name": "新人", "role": "admin"},
}
for _name, (_plural, _ident) in _TARGETS.items():

    def _item(plural=_plural, ident=_ident, suffix=""):
        return lambda w, role: f"/admin/{plural}/{ident(w)}{suffix}"

    ACCESS[(f"admin.{_plural}", "GET")] = Case("GET", fixed(f"/admin/{_plural}"), ADMIN_PAGE)
    ACCESS[(f"admin.new_{_name}", "GET")] = Case("GET", fixed(f"/admin/{_plural}/new"), ADMIN_PAGE)
    # An empty form: the admin gets the form back with errors (422), others never see it.
    ACCESS[(f"admin.new_{_name}", "POST")] = Case(
        "POST",
        fixed(f"/admin/{_plural}/new"),
        by_role(302, 422, 403, 403, 403, 403),
        form=lambda w: {},
    )
    ACCESS[(f"admin.edit_{_name}", "GET")] = Case("GET", _item(suffix="/edit"), ADMIN_PAGE)
    # A required field sent empty (an empty body would make WTForms fall back to the object).
    ACCESS[(f"admin.edit_{_name}", "POST")] = Case(
        "POST",
        _item(suffix="/edit"),
        by_role(302, 422, 403, 403, 403, 403),
        form=lambda w, name=_name: {"display_name" if name == "user" else "name": ""},
    )
    ACCESS[(f"admin.toggle_{_name}", "POST")] = Case(
        "POST", _item(suffix="/active"), by_role(302, 302, 403, 403, 403, 403)
    )
    api_item = (lambda plural, ident: lambda w, role: f"/api/v1/{plural}/{ident(w)}")(
        _plural, _ident
    )
    ACCESS[(f"api.list_{_plural}", "GET")] = Case("GET", fixed(f"/api/v1/{_plural}"), ADMIN_API)
    ACCESS[(f"api.create_{_name}", "POST")] = Case(
        "POST", fixed(f"/api/v1/{_plural}"), ADMIN_API_CREATE, json=_NEW[_name]
    )
    ACCESS[(f"api.get_{_name}", "GET")] = Case("GET", api_item, ADMIN_API)
    ACCESS[(f"api.update_{_name}", "PATCH")] = Case("PATCH", api_item, ADMIN_API, json=lambda w: {})


def test_every_route_is_in_the_table(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - ACCESS.keys() == set(), "routes with no access decision in ACCESS"
    assert ACCESS.keys() - routes == set(), "ACCESS lists routes that no longer exist"


@pytest.mark.parametrize("key", sorted(ACCESS), ids=lambda k: f"{k[1]} {k[0]}")
def test_access(make_app, world_factory, key):
    case = ACCESS[key]
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        w = world_factory()
        for obj in vars(w).values():
            _ = getattr(obj, "id", None)  # load while attached: the URLs need the ids afterwards
    # Roles that are refused go first: whatever the allowed role then changes (a deactivated
    # user, a published version) cannot affect another role's answer.
    for role in sorted(ROLES, key=lambda r: case.expect[r] < 400):
        with app.app_context():
            user = None if role == "anonymous" else db.session.merge(getattr(w, role))
            client = app.test_client()
            headers = {}
            if key[0].startswith("api."):
                if user is not None:
                    headers = bearer(app, user)
            else:
                sign_in(client, user)
            url = case.url(w, role)
            response = client.open(
                url,
                method=case.method,
                data=case.form(w) if case.form else None,
                json=case.json(w) if case.json else None,
                headers=headers,
            )
            response.close()
            assert response.status_code == case.expect[role], (
                f"{case.method} {url} as {role}: {response.status_code}, "
                f"expected {case.expect[role]}"
            )


def test_every_form_refuses_a_post_without_its_csrf_token_and_changes_nothing(make_app, world):
    """Each state-changing page route, posted by a role that may use it but without the
    form's CSRF token (as a forged cross-site form would be), answers 400 and leaves every
    table as it was."""
    from consult.core.backup import digests

    app = make_app()  # CSRF protection on, as in production
    for obj in vars(world).values():
        _ = getattr(obj, "id", None)  # load while attached: the URLs need the ids afterwards
    with db.engine.connect() as connection:
        before = digests(connection)
    posts = [(k, c) for k, c in sorted(ACCESS.items())
             if c.method == "POST" and not k[0].startswith("api.")]  # fmt: skip
    assert len(posts) >= 30
    refused = []
    for key, case in posts:
        # A role the route admits (a 422 is admitted too: the table's form is deliberately
        # invalid); anonymous only where no signed-in role is, as for the public form.
        allowed = [r for r in ROLES if r != "anonymous" and case.expect[r] not in (403, 404)]
        role = allowed[0] if allowed else "anonymous"
        with app.app_context():
            user = None if role == "anonymous" else db.session.merge(getattr(world, role))
            client = app.test_client()
            sign_in(client, user)
            response = client.post(case.url(world, role), data=case.form(world) if case.form
                                   else {})  # fmt: skip
            response.close()
            if response.status_code != 400:
                refused.append(f"{key[0]} as {role}: {response.status_code}")
    assert refused == []
    with db.engine.connect() as connection:
        assert digests(connection) == before
