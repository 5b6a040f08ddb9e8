"""`flask consult backup` / `restore`: a round trip gives back every row, byte for byte."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from consult.comments import services as comments
from consult.comments.models import Comment
from consult.core.backup import digests
from consult.extensions import db
from consult.search import services as search


def snapshot() -> dict:
    with db.engine.connect() as connection:
        return digests(connection)


def found(app, world, words: str) -> int:
    with app.test_request_context():
        return search.search(world.manager, {"q": words, "kind": "comment"}).total


def test_a_round_trip_gives_back_every_row_and_the_search_agrees(app, world, runner, tmp_path):
    before = snapshot()
    assert before["comments"]["rows"] == 5 and before["users"]["rows"] > 5
    target = tmp_path / "backups" / "consult.backup"
    result = runner.invoke(args=["consult", "backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"] == sum(t["rows"] for t in before.values())
    manifest = json.loads((tmp_path / "backups" / "consult.backup.json").read_text())
    assert manifest["tables"] == before and manifest["revision"]

    # After the backup: a comment recorded, another withdrawn.
    comments.record_comment(
        world.task, {"clause": "第六条", "body": "备份之后才说的话。", "channel": "forum"},
        world.collector,
    )  # fmt: skip
    comments.withdraw_comment(world.comment_b, world.collector_b, "说错了。")
    db.session.commit()
    assert found(app, world, "备份之后") == 1
    assert snapshot() != before

    result = runner.invoke(args=["consult", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verified"] is True
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 5
    # The index was rebuilt from the restored rows: what came later is not found.
    assert found(app, world, "备份之后") == 0
    verify = runner.invoke(args=["consult", "search", "verify", "--no-repair"])
    assert verify.exit_code == 0, verify.output


def test_a_bad_backup_is_refused_and_the_database_is_left_alone(world, runner, tmp_path):
    before = snapshot()
    missing = runner.invoke(args=["consult", "restore", str(tmp_path / "nope"), "--yes"])
    assert missing.exit_code != 0 and "no such backup" in missing.output
    target = tmp_path / "b.backup"
    assert runner.invoke(args=["consult", "backup", "-o", str(target)]).exit_code == 0
    again = runner.invoke(args=["consult", "backup", "-o", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output
    # A damaged file with an intact manifest: refused, nothing replaced.
    target.write_bytes(b"not a database" * 100)
    damaged = runner.invoke(args=["consult", "restore", str(target), "--yes"])
    assert damaged.exit_code != 0 and ("failed" in damaged.output or "not a" in damaged.output)
    assert snapshot() == before
    # Without its manifest a backup cannot be checked, so it is not restored.
    (tmp_path / "b.backup.json").unlink()
    bare = runner.invoke(args=["consult", "restore", str(target), "--yes"])
    assert bare.exit_code != 0 and "manifest is missing" in bare.output
    assert snapshot() == before
