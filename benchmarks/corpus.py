"""A deterministic, realistic corpus for the benchmarks: drafts, organisations and comments.

Everything comes from ``random.Random(seed)``: the same seed gives the same corpus, byte for
byte (a test checks a checksum at 1k). Drafts are read from ``../shared/lawcorpus`` when it is
there (never copied into the repository) and generated otherwise; comments are generated on
their clauses, with a planted share of exact and near duplicates whose groups are recorded
as ground truth.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from consult.drafts.legal_text import Document, int_to_cn, parse

LAWCORPUS = Path(__file__).resolve().parents[2] / "shared" / "lawcorpus"

CHANNELS = ["forum", "visit", "questionnaire", "online", "letter", "phone", "other"]
# Forums and visits dominate at a grassroots point; letters and phone calls are rare.
CHANNEL_WEIGHTS = [30, 25, 15, 20, 4, 3, 3]

CIVIC = [
    *"建议 希望 应当 明确 细化 增加 删除 修改 规定 社区 居民 物业 小区 业主 老人 孩子".split(),
    *"安全 管理 部门 执法 责任 处罚 标准 程序 时限 公开 监督 投诉 费用 补贴 服务".split(),
    *"志愿者 网格员 街道 村委会 登记 证件 办理 线上 窗口 宣传 培训 考核 信息 隐私".split(),
    *"保护 噪声 垃圾 停车 电动自行车 充电 楼道 消防 养犬 牵引 疫苗 流浪 救助 慈善".split(),
    *"捐赠 透明 监管".split(),
]
OPENERS = [
    "我们社区的居民普遍反映，", "在座谈会上大家提出，", "作为一名退休教师，我认为",
    "走访中群众表示，", "从基层实际情况看，", "有律师指出，", "不少业主认为，",
    "问卷中多数人赞成", "网格员反映，",
]  # fmt: skip
CLOSERS = [
    "建议予以明确。", "希望立法时充分考虑。", "请有关部门研究。", "以便基层执行。",
    "避免执法尺度不一。", "这样更便于群众办事。", "建议增加相应的罚则。", "建议参考外地做法。",
]  # fmt: skip
PERSONAL = [
    "我家楼下就经常发生这种情况。", "我们小区去年就出过事。", "我母亲今年八十岁了。",
    "我是一名快递员，每天都会遇到。", "我在这个社区住了二十年。", "上周我们楼栋还开会讨论过。",
]  # fmt: skip
UNIT_KINDS = ["总工会", "镇人民政府", "律师事务所", "妇女联合会", "社区", "街道办事处", "村委会"]


# -- drafts -----------------------------------------------------------------------------------


def corpus_texts() -> list[tuple[str, str]]:
    """(name, text) of the law corpus documents, or [] when ../shared is absent."""
    if not LAWCORPUS.is_dir():
        return []
    texts = []
    for manifest in sorted(LAWCORPUS.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["documents"]:
            path = manifest.parent / entry["file"]
            texts.append((entry["id"], path.read_bytes().decode("utf-8-sig")))
    return texts


def generated_law(rng: random.Random, articles: int, *, parts: int = 0) -> str:
    """A law-shaped text: 编 (optional), 章, 节, 条 with 款 and 项, like real drafts."""
    lines = [
        f"某市{rng.choice(['养犬', '物业', '慈善', '志愿服务', '噪声污染防治'])}管理条例（草案）",
        "",
    ]
    number = 0
    chapters = max(1, articles // 12)
    per_part = max(1, chapters // parts) if parts else chapters
    chapter_in_part = 0
    part = 0
    for chapter in range(1, chapters + 1):
        if parts and (chapter - 1) % per_part == 0 and part < parts:
            part += 1
            chapter_in_part = 0
            lines.append(f"第{int_to_cn(part)}编　{rng.choice(CIVIC)}{rng.choice(CIVIC)}")
        chapter_in_part += 1
        lines.append(f"第{int_to_cn(chapter_in_part)}章　{rng.choice(CIVIC)}{rng.choice(CIVIC)}")
        sections = rng.choice([0, 0, 2, 3])
        count = articles // chapters + (1 if chapter <= articles % chapters else 0)
        for index in range(count):
            if sections and index % max(1, count // sections) == 0:
                lines.append(
                    f"第{int_to_cn(index // max(1, count // sections) + 1)}节　{rng.choice(CIVIC)}"
                )
            number += 1
            lines.append(f"第{int_to_cn(number)}条　{_sentence(rng, 20, 80)}")
            for _ in range(rng.choice([0, 0, 1, 2])):
                lines.append(_sentence(rng, 20, 80))
            if rng.random() < 0.25:
                lines[-1] = lines[-1].rstrip("。") + "：" if lines[-1].endswith("。") else lines[-1]
                items = rng.randint(2, 6)
                for item in range(1, items + 1):
                    end = "。" if item == items else "；"
                    lines.append(f"（{int_to_cn(item)}）{_sentence(rng, 8, 30).rstrip('。')}{end}")
    return "\n".join(lines) + "\n"


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = []
    length = rng.randint(low, high)
    while sum(map(len, words)) < length:
        words.append(rng.choice(CIVIC))
        if rng.random() < 0.15:
            words.append("，")
    return "".join(words).strip("，") + "。"


# -- organisation and comments --------------------------------------------------------------


@dataclass
class Clause:
    draft: int
    citation: str
    text: str


@dataclass
class Comment:
    id: int
    draft: int
    clause: str | None  # None: a general comment (总体意见)
    body: str
    proposed_text: str | None
    point: int
    unit: int
    collector: int
    channel: str
    collected_on: str
    participants: int
    group: int | None = None  # planted duplicate group (ground truth)
    planted: str | None = None  # "exact", "template", "rewrite"


@dataclass
class Corpus:
    seed: int
    drafts: list[tuple[str, str]] = field(default_factory=list)  # (name, text)
    points: int = 0
    units_per_point: int = 0
    collectors_per_unit: int = 0
    comments: list[Comment] = field(default_factory=list)

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for name, text in self.drafts:
            digest.update(name.encode() + b"\0" + text.encode())
        for comment in self.comments:
            digest.update(json.dumps(asdict(comment), ensure_ascii=False, sort_keys=True).encode())
        return digest.hexdigest()

    def duplicate_groups(self) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = {}
        for comment in self.comments:
            if comment.group is not None:
                groups.setdefault(comment.group, []).append(comment.id)
        return groups


def clauses(document: Document, draft: int) -> list[Clause]:
    """The clauses people comment on: paragraphs and items, with their text."""
    out = []
    for node in document.walk():
        if node.kind in ("paragraph", "item") and node.text:
            out.append(Clause(draft, node.citation, node.text))
    return out


def _edit(rng: random.Random, text: str) -> str:
    """A proposed wording: the clause with a few words replaced, added or removed."""
    chars = list(text.rstrip("。；"))
    for _ in range(rng.randint(1, 3)):
        position = rng.randrange(len(chars) + 1) if chars else 0
        action = rng.random()
        if action < 0.4 and chars:
            del chars[position : position + rng.randint(1, 4)]
        else:
            chars[position:position] = list(rng.choice(CIVIC))
    return "".join(chars) + "。"


PROBLEMS = "过于原则 不够明确 操作性不强 与上位法衔接不够 执行中容易产生争议 对老年人不够友好 没有考虑农村实际 处罚偏轻 处罚偏重 程序过于繁琐".split()  # noqa: E501
ACTIONS = ["增加", "删除", "修改为", "细化", "明确"]
REASONS = "便于基层操作 保护群众合法权益 避免推诿扯皮 增强可执行性 减轻群众负担 与相关法规保持一致".split()  # noqa: E501
PATTERNS = [
    "{a}{b}的问题比较突出",
    "{a}和{b}需要统筹考虑",
    "应当加强对{a}{b}的{c}",
    "现在{a}{b}缺少统一的{c}",
    "很多居民不清楚{a}{b}的具体要求",
    "{a}部门之间的{b}责任要分清",
]


def _comment_body(rng: random.Random, clause: Clause | None) -> str:
    """A comment that reads like one: the clause's own words, a problem, a suggestion."""
    target = rng.randint(20, 400)
    if clause:
        source = clause.text.strip("。；：")
        start = rng.randrange(max(1, len(source) - 6))
        fragment = source[start : start + rng.randint(4, 12)].strip("，、")
        head = (
            f"{rng.choice(OPENERS)}{clause.citation}中“{fragment}”的表述{rng.choice(PROBLEMS)}，"
            f"建议{rng.choice(ACTIONS)}“{rng.choice(CIVIC)}{rng.choice(CIVIC)}”，"
            f"{rng.choice(REASONS)}。"
        )
    else:
        head = f"{rng.choice(OPENERS)}草案整体上{rng.choice(PROBLEMS)}，建议{rng.choice(REASONS)}。"
    pieces = [head]
    length = len(head)
    while length < target - 10:
        sentence = rng.choice(PATTERNS).format(
            a=rng.choice(CIVIC), b=rng.choice(CIVIC), c=rng.choice(CIVIC)
        ) + rng.choice("，。")
        pieces.append(sentence)
        length += len(sentence)
    pieces.append(rng.choice(CLOSERS))
    body = "".join(pieces)
    return body if len(body) <= 400 else body[:399] + "。"


def _rewrite(rng: random.Random, body: str) -> str:
    """A small rewrite of a comment: a few characters changed, keeping its gist."""
    chars = list(body)
    for _ in range(max(1, len(chars) // 60)):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("的了和与及或并在对把")
    return "".join(chars)


def generate(
    size: int,
    seed: int = 20261122,
    *,
    duplicate_share: float = 0.3,
    points: int | None = None,
    use_lawcorpus: bool = True,
) -> Corpus:
    """``size`` comments on the clauses of the drafts, with planted duplicate groups."""
    rng = random.Random(seed)
    corpus = Corpus(seed=seed)
    texts = corpus_texts() if use_lawcorpus else []
    if not texts:
        texts = [(f"gen{i}", generated_law(rng, n)) for i, n in enumerate((40, 85, 120, 300))]
    # A code-sized draft (the Civil Code has 1,260 articles in 7 编) is always part of it.
    texts.append(("code1260", generated_law(rng, 1260, parts=7)))
    corpus.drafts = texts
    all_clauses: list[list[Clause]] = []
    for index, (_name, text) in enumerate(texts):
        found = clauses(parse(text), index)
        if found:
            all_clauses.append(found)
    corpus.points = points or max(2, min(50, size // 2000 + 2))
    corpus.units_per_point = 9
    corpus.collectors_per_unit = 3
    start = date(2024, 1, 1)
    comment_id = 0
    group_id = 0
    templates: list[Comment] = []
    while comment_id < size:
        comment_id += 1
        point = rng.randrange(corpus.points)
        unit = point * corpus.units_per_point + rng.randrange(corpus.units_per_point)
        collector = unit * corpus.collectors_per_unit + rng.randrange(corpus.collectors_per_unit)
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        collected_on = (start + timedelta(days=rng.randrange(700))).isoformat()
        participants = 1 if rng.random() < 0.7 else rng.randint(2, 40)
        if templates and rng.random() < duplicate_share:
            base = rng.choice(templates)
            if base.group is None:
                group_id += 1
                base.group = group_id
                base.planted = "original"
            kind = rng.choices(["exact", "template", "rewrite"], [3, 4, 3])[0]
            body = {
                "exact": base.body,
                "template": base.body + rng.choice(PERSONAL),
                "rewrite": _rewrite(rng, base.body),
            }[kind]
            corpus.comments.append(Comment(
                comment_id, base.draft, base.clause, body[:400], base.proposed_text, point, unit,
                collector, channel, collected_on, participants, base.group, kind,
            ))  # fmt: skip
            continue
        drafts = all_clauses[rng.randrange(len(all_clauses))]
        clause = None if rng.random() < 0.08 else drafts[rng.randrange(len(drafts))]
        body = _comment_body(rng, clause)
        proposed = _edit(rng, clause.text) if clause and rng.random() < 0.3 else None
        comment = Comment(
            comment_id, drafts[0].draft, clause.citation if clause else None, body, proposed,
            point, unit, collector, channel, collected_on, participants,
        )  # fmt: skip
        corpus.comments.append(comment)
        if rng.random() < 0.05:
            templates.append(comment)
    return corpus


def iter_comment_dicts(corpus: Corpus) -> Iterator[dict]:
    for comment in corpus.comments:
        yield asdict(comment)
