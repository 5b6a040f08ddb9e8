"""The demo organisation, modelled on the Beibei contact point of the seed report.

It is idempotent: running it again creates only what is missing.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from consult.extensions import db
from consult.org import services
from consult.org.models import ContactPoint, Legislature, Role, Unit, UnitKind, User

logger = logging.getLogger(__name__)

# Demo accounts only: `flask consult demo` prints it; real accounts get their own passwords.
DEMO_PASSWORD = "consult-demo"  # noqa: S105

LEGISLATURE = "重庆市人大常委会法制工作委员会"
POINT = "西南大学国家治理学院基层立法联系点"

UNITS = [
    ("北碚区总工会", UnitKind.CONTACT_UNIT),
    ("北碚区澄江镇人民政府", UnitKind.CONTACT_UNIT),
    ("重庆嘉陵律师事务所", UnitKind.CONTACT_UNIT),
    ("北碚区妇女联合会", UnitKind.CONTACT_UNIT),
    ("北碚区工商业联合会", UnitKind.CONTACT_UNIT),
    ("天生街道西南大学社区", UnitKind.COLLECTION_POINT),
    ("北温泉街道龙凤溪社区", UnitKind.COLLECTION_POINT),
    ("歇马街道卫星湖社区", UnitKind.COLLECTION_POINT),
    ("西南大学法学院学生志愿服务队", UnitKind.COLLECTION_POINT),
]

COLLECTOR_NAMES = [
    ("周建国", "区人大代表"),
    ("吴晓梅", "工会干部"),
    ("郑凯", "镇人大主席团干部"),
    ("王丽", "镇干部"),
    ("陈律", "律师"),
    ("林静", "律师"),
    ("赵敏", "妇联干部"),
    ("钱进", "区人大代表"),
    ("孙立", "商会秘书"),
    ("李娜", "企业代表"),
    ("刘洋", "社区书记"),
    ("黄蓉", "社区主任"),
    ("何平", "社区书记"),
    ("马骏", "网格员"),
    ("罗兰", "社区主任"),
    ("宋佳", "村委会主任"),
    ("唐果", "学生志愿者"),
    ("谢雨", "学生志愿者"),
]

STAFF = [
    # username, name, role, position
    ("fgw.li", "李明", Role.LEGISLATURE, "法规一处"),
    ("fgw.wang", "王芳", Role.LEGISLATURE, "法规二处"),
    ("dianzhang", "张伟", Role.MANAGER, "点长"),
    ("fudianzhang1", "杨洁", Role.MANAGER, "副点长"),
    ("fudianzhang2", "徐刚", Role.MANAGER, "副点长"),
    ("lianluoyuan", "胡晓", Role.MANAGER, "联络员"),
    ("zhuanjia1", "高远", Role.EXPERT, "行政法教授"),
    ("zhuanjia2", "邓敏", Role.EXPERT, "社会学副教授"),
    ("zhuanjia3", "冯律", Role.EXPERT, "执业律师"),
]


def _user(username: str, name: str, role: Role, position: str | None, **scope) -> User:
    existing = db.session.scalar(select(User).where(User.username == username))
    if existing is not None:
        return existing
    user, _password = services.create_user(
        {
            "username": username,
            "display_name": name,
            "role": role,
            "position": position,
            "password": DEMO_PASSWORD,
            "must_change_password": False,
            **scope,
        },
        None,
    )
    return user


def load_demo() -> list[User]:
    """Create the demo organisation where it is missing; return the demo accounts."""
    admin = _user("admin", "系统管理员", Role.ADMIN, None)
    legislature = db.session.scalar(select(Legislature).where(Legislature.name == LEGISLATURE))
    if legislature is None:
        legislature = services.create_legislature(
            {"name": LEGISLATURE, "description": "重庆市人民代表大会常务委员会法制工作委员会"},
            admin,
        )
    point = db.session.scalar(select(ContactPoint).where(ContactPoint.name == POINT))
    if point is None:
        point = services.create_point(
            {
                "name": POINT,
                "address": "重庆市北碚区天生路2号",
                "description": "“1+1+X”架构：执行机构、专家团队和若干联系单位、信息采集点。",
                "legislature_ids": [legislature.id],
            },
            admin,
        )
    accounts = [admin]
    for username, name, role, position in STAFF:
        scope = (
            {"legislature_id": legislature.id}
            if role == Role.LEGISLATURE
            else {"point_id": point.id}
        )
        accounts.append(_user(username, name, role, position, **scope))
    names = iter(COLLECTOR_NAMES)
    number = 0
    for unit_name, kind in UNITS:
        unit = db.session.scalar(
            select(Unit).where(Unit.point_id == point.id, Unit.name == unit_name)
        )
        if unit is None:
            unit = services.create_unit(
                {"point_id": point.id, "name": unit_name, "kind": kind}, admin
            )
        for _ in range(2):
            number += 1
            name, position = next(names)
            accounts.append(
                _user(f"caiji{number:02d}", name, Role.COLLECTOR, position, unit_id=unit.id)
            )
    db.session.flush()
    logger.info("demo organisation ready: %d accounts", len(accounts))
    return accounts
