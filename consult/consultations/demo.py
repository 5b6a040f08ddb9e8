"""A demo task open for comments, with comments from the demo point's collectors."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from consult.comments import services as comments
from consult.consultations import services
from consult.consultations.models import ConsultationTask
from consult.core.types import utcnow
from consult.extensions import db
from consult.org.models import Role

TITLE = "关于征求《重庆市养犬管理条例（草案）》（二审稿）修改意见的通知"
INSTRUCTIONS = """<p>请各联系点组织开展征求意见工作，重点围绕<strong>养犬登记</strong>、<strong>犬链长度</strong>和<strong>法律责任</strong>听取群众意见。</p>
<ul><li>采取座谈会、走访、问卷等方式；</li><li>意见请对应到具体条款；</li><li>请在截止时间前报送。</li></ul>"""

COMMENTS = [
    ("第九条第一款", "十五日太短，不少老人不会线上办理，建议保留三十日。", "走访", 3),
    ("第九条第二款", "线上办理很方便，但应当保留窗口办理，照顾老年人。", "座谈会", 8),
    (
        "第十二条第一款第（一）项",
        "犬链长度一点五米在小区里合适，但在公园里太短，建议区分场所。",
        "问卷",
        26,
    ),
    ("第十二条第一款第（一）项", "建议明确“牵领”包括电子牵引设备。", "座谈会", 5),
    ("第十一条", "烈性犬目录应当向社会公开征求意见后再公布。", "座谈会", 12),
    ("第十五条", "建议增加流浪犬救助的规定，鼓励社会组织参与。", "网络", 1),
    ("第十八条", "五十元罚款太低，起不到作用，建议提高到二百元。", "走访", 2),
    ("第十八条", "城管执法力量不足，建议物业服务企业可以劝阻并报告。", "座谈会", 6),
    (None, "草案总体上回应了群众关切，建议加强文明养犬宣传。", "座谈会", 15),
    ("第八条第一款第（二）项", "删除“独户居住”后，合租的人也能养犬，需要考虑邻居意见。", "走访", 2),
    ("第二十一条", "施行日期太近，建议给养犬人留出办理登记的时间。", "电话", 1),
    ("第六条", "宣传教育应当进社区、进学校。", "问卷", 40),
]


def load_demo_task(accounts, drafts) -> ConsultationTask:
    """An open public task on the dog regulation's second version, with comments."""
    task = db.session.scalar(select(ConsultationTask).where(ConsultationTask.title == TITLE))
    if task is not None:
        return task
    staff = next(u for u in accounts if u.role == Role.LEGISLATURE)
    manager = next(u for u in accounts if u.role == Role.MANAGER)
    collectors = [u for u in accounts if u.role == Role.COLLECTOR]
    version = drafts[0].versions[-1]
    task = services.create_task(
        {
            "draft_version_id": version.id,
            "title": TITLE,
            "instructions": INSTRUCTIONS,
            "deadline": utcnow() + timedelta(days=30),
            "point_ids": [manager.point_id],
            "public_channel": True,
        },
        staff,
    )
    services.assign(task, {"unit_ids": [u.id for u in manager.point.units]}, manager)
    channels = {"走访": "visit", "座谈会": "forum", "问卷": "questionnaire", "网络": "online",
                "电话": "phone"}  # fmt: skip
    for index, (cite, body, channel, people) in enumerate(COMMENTS):
        collector = collectors[index % len(collectors)]
        comments.record_comment(
            task,
            {
                "clause": cite,
                "body": body,
                "channel": channels[channel],
                "participants": people,
                "collected_on": date.today() - timedelta(days=index % 5),
                "place": collector.unit.name,
            },
            collector,
        )
    return task
