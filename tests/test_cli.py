"""`flask consult create-admin` and `flask consult demo`."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.extensions import db
from consult.org.models import ContactPoint, Legislature, Role, Unit, User


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_admin(runner):
    result = runner.invoke(args=["consult", "create-admin", "Chief"], input="long-enough-pw\n" * 2)
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "chief"))
    assert user.role == Role.ADMIN and not user.must_change_password


def test_create_admin_refuses_a_weak_password_and_stores_nothing(runner):
    result = runner.invoke(
        args=["consult", "create-admin", "chief", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "password" in result.output
    assert count(User) == 0


def test_demo_is_idempotent_and_shaped_like_beibei(runner):
    first = runner.invoke(args=["consult", "demo"])
    assert first.exit_code == 0, first.output
    assert "consult-demo" in first.output and "dianzhang" in first.output
    from consult.comments.models import Comment
    from consult.drafts.models import DraftVersion
    from consult.outcomes.models import SuggestionOutcome

    def everything():
        return tuple(count(m) for m in (Legislature, ContactPoint, Unit, User, DraftVersion,
                                        Comment, SuggestionOutcome))  # fmt: skip

    totals = everything()
    second = runner.invoke(args=["consult", "demo"])
    assert second.exit_code == 0
    db.session.expire_all()
    assert everything() == totals
    assert totals[:3] == (1, 1, 9)
    assert count(User, User.role == Role.LEGISLATURE) == 2
    assert count(User, User.role == Role.EXPERT) == 3
    positions = db.session.scalars(select(User.position).where(User.role == Role.MANAGER)).all()
    assert sorted(positions) == sorted(["点长", "副点长", "副点长", "联络员"])
    # eight published demo drafts, each consulted on and followed by a second version
    from consult.drafts.models import Draft

    drafts = db.session.scalars(select(Draft).order_by(Draft.id)).all()
    assert [len(d.published_versions) for d in drafts] == [2] * 8
    assert drafts[0].versions[1].counts["article"] == 21
    assert not any(v.warnings for d in drafts for v in d.versions)
    # an open demo task with comments from the point's collectors
    from consult.consultations.models import ConsultationTask

    task = db.session.scalar(select(ConsultationTask).order_by(ConsultationTask.id))
    assert task.accepts_comments and task.public_channel
    assert count(Comment, Comment.task_id == task.id) == 12
    # the point's statistics read what the Beibei report says: 9 tasks, 6 adopted, 17 partly
    from consult.stats.services import Scope, table

    (point,) = table("point", Scope()).rows
    assert (point.tasks, point.adopted, point.partially_adopted) == (9, 6, 17)
    assert point.suggestions == 30 and point.pending == 2
    assert len(table("month", Scope()).rows) >= 8  # a history spread over the months
    # every unit has collectors
    for unit in db.session.scalars(select(Unit)):
        assert count(User, User.unit_id == unit.id, User.role == Role.COLLECTOR) >= 1


def test_close_expired_tasks(runner, world):
    from datetime import timedelta

    from consult.consultations.models import TaskState
    from consult.core.types import utcnow

    world.task.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = runner.invoke(args=["consult", "close-expired-tasks"])
    assert result.exit_code == 0 and "1 task(s) closed." in result.output
    db.session.expire_all()
    assert world.task.state == TaskState.CLOSED
    assert "0 task(s) closed." in runner.invoke(args=["consult", "close-expired-tasks"]).output
