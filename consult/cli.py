"""`flask --app consult consult …`: thin wrappers over services."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from consult.core.errors import ValidationFailed
from consult.extensions import db


@click.group("consult")
def consult_cli() -> None:
    """consult administration commands."""


@consult_cli.command("create-admin")
@click.argument("username")
@click.option("--name", "display_name", default="系统管理员", show_default=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@with_appcontext
def create_admin(username: str, display_name: str, password_stdin: bool) -> None:
    """Create an administrator account."""
    from consult.org import services
    from consult.org.models import Role

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, _generated = services.create_user(
            {
                "username": username,
                "display_name": display_name,
                "role": Role.ADMIN,
                "password": password,
                "must_change_password": False,
            },
            None,
        )
    except ValidationFailed as exc:
        db.session.rollback()
        for field, messages in exc.fields.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"Administrator “{user.username}” created.")


@consult_cli.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo organisation (idempotent) and print its sign-ins."""
    from consult.org.demo import DEMO_PASSWORD, load_demo

    accounts = load_demo()
    db.session.commit()
    click.echo("")
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for user in accounts:
        where = user.scope_label or "—"
        click.echo(f"  {user.username:<14} {user.role.value:<12} {user.display_name} · {where}")
    click.echo("")
