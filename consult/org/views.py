"""Admin pages for the organisation, and the home pages of legislature and point roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from consult.core.auth import roles_required
from consult.core.forms import ConfirmForm, safe_next, submit
from consult.core.pagination import paginate
from consult.extensions import db
from consult.org import services
from consult.org.forms import LegislatureForm, PointForm, UnitForm, UserForm
from consult.org.models import ContactPoint, Legislature, Role, Unit, User

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")
org_bp = Blueprint("org", __name__)


@admin_bp.get("/")
@roles_required(Role.ADMIN)
def index():
    counts = {
        resource.plural: db.session.scalar(select(func.count()).select_from(resource.model))
        for resource in RESOURCES
    }
    return render_template("admin/index.html", resources=RESOURCES, counts=counts)


@dataclass
class AdminResource:
    """The admin pages of one organisation model: list, create, edit, (de)activate."""

    name: str
    plural: str
    model: type
    form_cls: type[FlaskForm]
    title: Any
    title_plural: Any
    columns: list[tuple[Any, Callable[[Any], Any]]]
    create: Callable[[dict[str, Any], User], Any]
    update: Callable[[Any, dict[str, Any], User], Any]
    search_columns: list[Any]
    order_by: Any
    prepare_form: Callable[[FlaskForm, Any], None] = lambda form, obj: None
    form_fields: list[str] = field(default_factory=list)

    def data(self, form: FlaskForm) -> dict[str, Any]:
        # prepare_form removes the fields that an edit may not change
        return {name: form[name].data for name in self.form_fields if name in form}

    def register(self, bp: Blueprint) -> None:
        bp.add_url_rule(f"/{self.plural}", self.plural, self.list_view, methods=["GET"])
        bp.add_url_rule(
            f"/{self.plural}/new", f"new_{self.name}", self.new_view, methods=["GET", "POST"]
        )
        bp.add_url_rule(
            f"/{self.plural}/<int:ident>/edit",
            f"edit_{self.name}",
            self.edit_view,
            methods=["GET", "POST"],
        )
        bp.add_url_rule(
            f"/{self.plural}/<int:ident>/active",
            f"toggle_{self.name}",
            self.toggle_view,
            methods=["POST"],
        )

    # Views are bound methods wrapped at registration time (see _admin_only below).
    def list_view(self):
        query = select(self.model)
        q = (request.args.get("q") or "").strip()
        if q:
            query = query.where(or_(*(col.ilike(f"%{q}%") for col in self.search_columns)))
        state = request.args.get("state", "active")
        if state == "active":
            query = query.where(self.model.is_active.is_(True))
        elif state == "inactive":
            query = query.where(self.model.is_active.is_(False))
        page = paginate(query.order_by(self.order_by, self.model.id))
        return render_template(
            "admin/list.html", resource=self, page=page, q=q, state=state, confirm=ConfirmForm()
        )

    def new_view(self):
        form = self.form_cls()
        self.prepare_form(form, None)
        sent = submit(form, lambda: self.create(self.data(form), current_user))
        if sent.done:
            db.session.commit()
            result = sent.result
            if isinstance(result, tuple):  # a user, with a generated password or None
                user, password = result
                if password:
                    return render_template(
                        "admin/password_shown.html", user=user, password=password
                    )
                result = user
            flash(_("“%(name)s” has been created.", name=result), "success")
            return redirect(url_for(f"admin.{self.plural}"))
        return render_template("admin/form.html", resource=self, form=form, obj=None), sent.status

    def edit_view(self, ident: int):
        obj = services.get_or_404(self.model, ident)
        form = self.form_cls(obj=obj)
        self.prepare_form(form, obj)
        sent = submit(form, lambda: self.update(obj, self.data(form), current_user))
        if sent.done:
            db.session.commit()
            flash(_("“%(name)s” has been saved.", name=obj), "success")
            return redirect(url_for(f"admin.{self.plural}"))
        return render_template(
            "admin/form.html", resource=self, form=form, obj=obj, confirm=ConfirmForm()
        ), sent.status

    def toggle_view(self, ident: int):
        obj = services.get_or_404(self.model, ident)
        ConfirmForm().validate_on_submit()
        services.set_active(obj, not obj.is_active, current_user)
        db.session.commit()
        if obj.is_active:
            flash(_("“%(name)s” has been reactivated.", name=obj), "success")
        else:
            flash(_("“%(name)s” has been deactivated.", name=obj), "success")
        return redirect(safe_next(request.form.get("next"), url_for(f"admin.{self.plural}")))


BLANK = SelectChoice("", "—")


def _choices(model, *, blank: bool = False) -> list[SelectChoice]:
    rows = db.session.scalars(select(model).order_by(model.name))
    suffix = _(" (deactivated)")
    choices = [SelectChoice(obj.id, obj.name + ("" if obj.is_active else suffix)) for obj in rows]
    return ([BLANK] if blank else []) + choices


def _prepare_point(form: PointForm, obj) -> None:
    form.legislature_ids.choices = _choices(Legislature)
    if obj is not None and not form.is_submitted():
        form.legislature_ids.data = [leg.id for leg in obj.legislatures]


def _prepare_unit(form: UnitForm, obj) -> None:
    form.point_id.choices = _choices(ContactPoint)
    if obj is not None:
        del form.point_id  # a unit never moves to another point (see services.update_unit)


def _prepare_user(form: UserForm, obj) -> None:
    form.legislature_id.choices = _choices(Legislature, blank=True)
    form.point_id.choices = _choices(ContactPoint, blank=True)
    units = db.session.scalars(select(Unit).join(Unit.point).order_by(ContactPoint.name, Unit.name))
    form.unit_id.choices = [BLANK] + [
        SelectChoice(u.id, f"{u.point.name} · {u.name}") for u in units
    ]
    if obj is not None:
        del form.username  # permanent: it appears in exports and the audit trail
        del form.password  # an admin resets a password, never sets one


RESOURCES = [
    AdminResource(
        name="legislature",
        plural="legislatures",
        model=Legislature,
        form_cls=LegislatureForm,
        title=_l("Legislature"),
        title_plural=_l("Legislatures"),
        columns=[(_l("Name"), lambda o: o.name), (_l("Contact points"), lambda o: len(o.points))],
        create=services.create_legislature,
        update=services.update_legislature,
        search_columns=[Legislature.name],
        order_by=Legislature.name,
        form_fields=["name", "description"],
    ),
    AdminResource(
        name="point",
        plural="points",
        model=ContactPoint,
        form_cls=PointForm,
        title=_l("Contact point"),
        title_plural=_l("Contact points"),
        columns=[
            (_l("Name"), lambda o: o.name),
            (_l("Legislatures served"), lambda o: "、".join(leg.name for leg in o.legislatures)),
            (_l("Units"), lambda o: len(o.units)),
        ],
        create=services.create_point,
        update=services.update_point,
        search_columns=[ContactPoint.name, ContactPoint.address],
        order_by=ContactPoint.name,
        prepare_form=_prepare_point,
        form_fields=["name", "address", "description", "collects_personal_data", "legislature_ids"],
    ),
    AdminResource(
        name="unit",
        plural="units",
        model=Unit,
        form_cls=UnitForm,
        title=_l("Unit"),
        title_plural=_l("Units"),
        columns=[
            (_l("Name"), lambda o: o.name),
            (_l("Kind"), lambda o: o.kind.label),
            (_l("Contact point"), lambda o: o.point.name),
        ],
        create=services.create_unit,
        update=services.update_unit,
        search_columns=[Unit.name, Unit.address],
        order_by=Unit.name,
        prepare_form=_prepare_unit,
        form_fields=["point_id", "name", "kind", "address"],
    ),
    AdminResource(
        name="user",
        plural="users",
        model=User,
        form_cls=UserForm,
        title=_l("User"),
        title_plural=_l("Users"),
        columns=[
            (_l("User name"), lambda o: o.username),
            (_l("Full name"), lambda o: o.display_name),
            (_l("Role"), lambda o: o.role.label),
            (_l("Works at"), lambda o: o.scope_label),
        ],
        create=services.create_user,
        update=services.update_user,
        search_columns=[User.username, User.display_name],
        order_by=User.username,
        prepare_form=_prepare_user,
        form_fields=[
            "username",
            "display_name",
            "email",
            "role",
            "position",
            "legislature_id",
            "point_id",
            "unit_id",
            "password",
        ],
    ),
]

for _resource in RESOURCES:
    for _name in ("list_view", "new_view", "edit_view", "toggle_view"):
        setattr(_resource, _name, roles_required(Role.ADMIN)(getattr(_resource, _name)))
    _resource.register(admin_bp)


@admin_bp.post("/users/<int:ident>/password")
@roles_required(Role.ADMIN)
def reset_password(ident: int):
    user = services.get_or_404(User, ident)
    ConfirmForm().validate_on_submit()
    password = services.reset_password(user, current_user)
    db.session.commit()
    return render_template("admin/password_shown.html", user=user, password=password)


# -- role homes -----------------------------------------------------------------------------


def _my_tasks(limit: int = 10) -> list:
    """The newest tasks the user can see, for the role homes."""
    from consult.consultations.models import ConsultationTask
    from consult.consultations.services import visible_tasks_query

    query = visible_tasks_query(current_user).order_by(ConsultationTask.deadline.desc())
    return db.session.scalars(query.limit(limit)).all()


@org_bp.get("/legislature/")
@roles_required(Role.LEGISLATURE)
def legislature_home():
    legislature = current_user.legislature
    return render_template("org/legislature_home.html", legislature=legislature, tasks=_my_tasks())


@org_bp.get("/point/")
@roles_required(Role.MANAGER, Role.EXPERT)
def point_home():
    point = current_user.point
    members = db.session.scalars(
        select(User)
        .where(User.point_id == point.id, User.is_active.is_(True))
        .order_by(User.role, User.username)
    ).all()
    return render_template("org/point_home.html", point=point, members=members, tasks=_my_tasks())


@org_bp.get("/collector/")
@roles_required(Role.COLLECTOR)
def collector_home():
    return render_template("org/collector_home.html", unit=current_user.unit, tasks=_my_tasks())
