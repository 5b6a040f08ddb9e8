"""Sign in and out, change the password, manage personal API tokens."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from consult.core.auth import roles_required
from consult.core.errors import NotFound
from consult.core.forms import ConfirmForm, safe_next, submit
from consult.extensions import db
from consult.org import services
from consult.org.auth import rate_limited_login
from consult.org.forms import ChangePasswordForm, LoginForm, TokenForm
from consult.org.models import ApiToken

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@rate_limited_login
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except services.AuthenticationFailed as exc:
            g.login_failed = True
            form.form_errors.append(exc.message)
            status = 401
        else:
            login_user(user)
            db.session.commit()
            logger.info("user #%s signed in", user.id)
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@roles_required()
def logout():
    ConfirmForm().validate_on_submit()  # CSRF is checked globally; the form has no fields
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
def change_password():
    form = ChangePasswordForm()
    sent = submit(form, lambda: services.change_password(
        current_user, form.current_password.data, form.new_password.data
    ))  # fmt: skip
    if sent.done:
        db.session.commit()
        login_user(current_user)  # the session carries the new auth version
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form), sent.status


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles_required()
def tokens():
    form = TokenForm()
    if form.validate_on_submit():
        token, raw = services.create_token(current_user, form.name.data)
        db.session.commit()
        return render_template("auth/token_created.html", token=token, raw=raw)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "auth/tokens.html", form=form, tokens=current_user.tokens, confirm=ConfirmForm()
    ), status


@bp.post("/account/tokens/<int:token_id>/revoke")
@roles_required()
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound(_("Not found."))
    services.revoke_token(token, current_user)
    db.session.commit()
    flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for("auth.tokens"))
