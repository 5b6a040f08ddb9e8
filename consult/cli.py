"""`flask --app consult consult …`: thin wrappers over services."""

from __future__ import annotations

import sys
from pathlib import Path

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
    from consult.drafts.demo import load_demo_drafts
    from consult.org.demo import DEMO_PASSWORD, load_demo
    from consult.org.models import Role

    accounts = load_demo()
    staff = next(user for user in accounts if user.role == Role.LEGISLATURE)
    drafts = load_demo_drafts(staff)
    from consult.consultations.demo import load_demo_task

    task = load_demo_task(accounts, drafts)
    from consult.outcomes.demo import load_demo_cycles

    finished = load_demo_cycles(accounts)
    db.session.commit()
    click.echo("")
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for user in accounts:
        where = user.scope_label or "—"
        click.echo(f"  {user.username:<14} {user.role.value:<12} {user.display_name} · {where}")
    click.echo("Demo drafts: " + "、".join(draft.title for draft in drafts))
    click.echo(f"Demo task open for comments: {task.title}")
    click.echo(f"Finished demo consultations, with outcomes: {len(finished)}")
    click.echo("")


@click.group("drafts")
def drafts_cli() -> None:
    """Legislative texts: parse and inspect."""


@drafts_cli.command("parse")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the whole parse as JSON.")
@with_appcontext
def parse_draft(path: str, as_json: bool) -> None:
    """Parse a .txt, .md or .docx file into its clause tree and report what was found."""
    import json
    from pathlib import Path

    from flask import current_app

    from consult.drafts.files import UnreadableDocument, read_document
    from consult.drafts.legal_text import parse

    file = Path(path)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if file.stat().st_size > limit:
        raise click.ClickException(f"{file.name}: larger than the {limit // 2**20} MB upload limit")
    try:
        text = read_document(file.read_bytes(), file.name)
    except UnreadableDocument as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    document = parse(text)
    if as_json:
        click.echo(json.dumps(document.to_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"{document.title or '(no title)'}")
    counts = document.counts()
    names = {"part": "编", "subpart": "分编", "chapter": "章", "section": "节", "article": "条",
             "article_insert": "其中“之”条", "paragraph": "款", "item": "项", "subitem": "目",
             "enum_section": "条（一、二、…）"}  # fmt: skip
    click.echo("  " + "  ".join(f"{names[k]} {v}" for k, v in counts.items() if v))
    for node in document.walk():
        if node.kind in ("part", "subpart", "chapter", "section"):
            depth = {"part": 0, "subpart": 1, "chapter": 1, "section": 2}[node.kind]
            click.echo(f"{'  ' * (depth + 1)}{node.citation} {node.heading or ''}")
    if document.annexes:
        click.echo("  附件: " + "、".join(b.title or "" for b in document.annexes))
    if document.unplaced:
        click.echo(f"  unplaced blocks: {len(document.unplaced)}")
    click.echo(f"  warnings: {len(document.warnings)}")
    for warning in document.warnings:
        click.echo(f"    line {warning.line}: {warning.message}")


@consult_cli.command("close-expired-tasks")
@with_appcontext
def close_expired_tasks() -> None:
    """Close every open task whose deadline has passed (pages and the API also do it on read)."""
    from consult.consultations.services import close_expired

    closed = close_expired()
    db.session.commit()
    click.echo(f"{closed} task(s) closed.")


@consult_cli.group("search")
def search_cli() -> None:
    """Keep the search index in step with the database."""


@search_cli.command("rebuild")
@with_appcontext
def search_rebuild() -> None:
    """Index everything again from the database (bulk path, with progress)."""
    import json
    import time

    from consult.search.indexer import rebuild, state_of

    started = time.perf_counter()

    def progress(count: int) -> None:
        rate = count / max(time.perf_counter() - started, 1e-9)
        click.echo(f"\r{count} documents indexed ({rate:.0f}/s)", nl=False, err=True)

    count = rebuild(state_of(), progress)
    seconds = time.perf_counter() - started
    click.echo("", err=True)
    click.echo(json.dumps({"indexed": count, "seconds": round(seconds, 2)}))


@search_cli.command("verify")
@click.option("--no-repair", is_flag=True, help="Only report the differences.")
@with_appcontext
def search_verify(no_repair: bool) -> None:
    """Compare the index with the database document by document; repair what differs."""
    import json

    from consult.search.indexer import state_of, verify

    report = verify(state_of(), repair=not no_repair)
    click.echo(json.dumps(report.as_dict() | {"repaired": not no_repair and report.repaired},
                          ensure_ascii=False))  # fmt: skip
    if no_repair and report.repaired:
        sys.exit(1)


@search_cli.command("sync")
@with_appcontext
def search_sync() -> None:
    """Apply what the outbox still holds (as the web workers do after each commit)."""
    import json

    from consult.search.indexer import state_of

    click.echo(json.dumps({"applied": state_of().apply()}))


@consult_cli.group("stats")
def stats_cli() -> None:
    """Statistics: the tables they keep for themselves."""


@stats_cli.command("rebuild")
@with_appcontext
def stats_rebuild() -> None:
    """Make the sources of every submitted suggestion again (after a bulk load)."""
    from consult.stats import sources

    count = sources.rebuild()
    db.session.commit()
    click.echo(f"Suggestion sources rebuilt: {count} rows.")


@consult_cli.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="The backup file (default: backups/consult-<time> in the instance folder).",
)
@with_appcontext
def backup_command(output: str | None) -> None:
    """Copy the database (SQLite online backup; pg_dump for PostgreSQL), with a manifest of
    every table's row count and checksum beside it."""
    import json

    from consult.core.backup import BackupError, backup

    try:
        result = backup(output)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(json.dumps(result.summary(), ensure_ascii=False))


@consult_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace the database with a backup, check it against its manifest, upgrade the schema
    and rebuild the search index. Stop the app first."""
    import json

    from consult.core.backup import BackupError, read_manifest, restore

    try:
        manifest = read_manifest(Path(path))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    if not yes:
        click.confirm(
            f"Replace the database with the backup of {manifest.get('created_at')}?", abort=True
        )
    try:
        result = restore(Path(path))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(json.dumps(result.summary() | {"verified": True}, ensure_ascii=False))
