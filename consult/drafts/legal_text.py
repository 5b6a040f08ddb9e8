"""Chinese legislative text → a clause tree, and citations → clauses.

Pure Python: no Flask, no database. ``parse(text)`` reads a law, regulation, decision or
amendment as found in the wild (BOM, CRLF, full-width spaces, 目录 blocks, markdown, HTML,
Arabic numerals, wrapped lines) and returns a :class:`Document`. ``resolve(document, cite)``
turns a citation such as 第十二条第二款第（三）项 into its node.

Nothing is lost: every non-whitespace character of the input ends up in exactly one place —
the title, a history line, the 目录, the preamble, a node (its label, heading or text), an
annex, the markup that was stripped (markdown and HTML decorations, a byte-order mark), or an
``unplaced`` block that comes with a warning. ``Document.pieces()`` yields them all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

# -- numerals ---------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
NUM = r"[零〇○一二两三四五六七八九十百千万\d０-９]+"
CN_NUM = r"[零〇○一二两三四五六七八九十百千]+"


@lru_cache(maxsize=4096)
def cn_to_int(text: str) -> int:
    """第一千二百六十 → 1260; Arabic and full-width digits are accepted too."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    total = section = digit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            raise ValueError(f"not a numeral: {text!r}")
    return total + section + digit


@lru_cache(maxsize=4096)
def int_to_cn(n: int) -> str:
    """1260 → 一千二百六十; 10 → 十; 110 → 一百一十; 101 → 一百零一."""
    if n <= 0:
        return "零"
    if n >= 10000:
        high, low = divmod(n, 10000)
        rest = int_to_cn(low) if low else ""
        return int_to_cn(high) + "万" + ("零" if 0 < low < 1000 else "") + rest
    digits = "零一二三四五六七八九"
    out = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            if zero:
                out.append("零")
                zero = False
            out.append(digits[d] + unit)
        elif out:
            zero = True
    result = "".join(out)
    return result[1:] if result.startswith("一十") else result


# -- the document -----------------------------------------------------------------------------

KINDS = ("part", "subpart", "chapter", "section", "article", "paragraph", "item", "subitem",
         "enum_section")  # fmt: skip
_CONTAINER_RANK = {"part": 0, "subpart": 1, "chapter": 2, "section": 3}
_CONTAINER_CHAR = {"part": "编", "subpart": "分编", "chapter": "章", "section": "节"}


@dataclass
class Node:
    kind: str
    number: int | None
    label: str = ""  # as written, normalised: 第十二条, （三）, 1.
    heading: str | None = None  # 总则; an article's caption 立法目的
    text: str = ""
    line: int = 0
    insert: int | None = None  # 第十二条之一 → number 12, insert 1
    children: list[Node] = field(default_factory=list)
    citation: str = ""
    heading_raw: str = ""  # the heading as it stood, brackets included (for accounting)
    label_raw: str | None = None  # the label as written when it differs: 第2条, 第十五 条
    parent: Node | None = field(default=None, repr=False, compare=False)

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children.append(child)
        return child

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            yield child
            yield from child.walk()

    def full_text(self) -> str:
        """The node's own text followed by its descendants', one paragraph a line."""
        parts = [self.text] if self.text else []
        parts.extend(child.full_text() for child in self.children)
        return "\n".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "number": self.number,
            "insert": self.insert,
            "label": self.label,
            "citation": self.citation,
            "heading": self.heading,
            "text": self.text,
            "line": self.line,
            "children": [child.to_dict() for child in self.children],
        }


@dataclass
class Warning:
    line: int
    code: str
    message: str
    expected: str | None = None
    found: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Block:
    """Lines kept outside the tree: a history line, an annex, an unplaced passage."""

    line: int
    text: str
    title: str | None = None
    more: list[str] = field(default_factory=list, repr=False)  # lines still to be joined

    def append(self, text: str) -> None:
        self.more.append(text)

    def close(self) -> None:
        if self.more:
            self.text = "\n".join([self.text, *self.more])
            self.more = []


@dataclass
class Document:
    title: str = ""
    history: list[Block] = field(default_factory=list)
    toc: list[Block] = field(default_factory=list)
    preamble: list[Block] = field(default_factory=list)
    root: Node = field(default_factory=lambda: Node("root", None))
    annexes: list[Block] = field(default_factory=list)
    unplaced: list[Block] = field(default_factory=list)
    closing: list[Block] = field(default_factory=list)  # 落款: issuing body and date
    markup: list[str] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    title_parts: list[str] = field(default_factory=list)
    _index: dict[str, Node] | None = field(default=None, repr=False, compare=False)

    @property
    def nodes(self) -> list[Node]:
        return self.root.children

    def walk(self) -> Iterator[Node]:
        return self.root.walk()

    def counts(self) -> dict[str, int]:
        counter = Counter(node.kind for node in self.walk())
        counts = {kind: counter.get(kind, 0) for kind in KINDS}
        counts["article_insert"] = sum(
            1 for n in self.walk() if n.kind == "article" and n.insert is not None
        )
        return counts

    def citation_index(self) -> dict[str, Node]:
        """Canonical citation → node (built once)."""
        if self._index is None:
            self._index = {node.citation: node for node in self.walk()}
        return self._index

    def pieces(self) -> Iterator[str]:
        """Every piece of text the input was divided into (see the module docstring)."""
        yield from self.title_parts
        blocks = (*self.history, *self.toc, *self.preamble, *self.annexes, *self.unplaced,
                  *self.closing)  # fmt: skip
        for block in blocks:
            yield block.text
        for node in self.walk():
            yield node.label if node.label_raw is None else node.label_raw
            yield node.heading_raw
            yield node.text
        yield from self.markup

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "history": [b.text for b in self.history],
            "preamble": "\n".join(b.text for b in self.preamble),
            "counts": self.counts(),
            "nodes": [node.to_dict() for node in self.nodes],
            "annexes": [{"title": b.title, "text": b.text, "line": b.line} for b in self.annexes],
            "unplaced": [{"line": b.line, "text": b.text} for b in self.unplaced],
            "closing": [b.text for b in self.closing],
            "warnings": [w.to_dict() for w in self.warnings],
        }


# -- line patterns ----------------------------------------------------------------------------

_WS = r"[\s\u3000\xa0\u2002\u2003\u2009\u200b]"
_RE_WS = re.compile(_WS + "+")
_RE_MD_HEADING = re.compile(r"^(#{1,6})" + _WS + r"*")
_RE_MD_QUOTE = re.compile(r"^(>+)" + _WS + r"*")
_RE_HTML = re.compile(r"<!--.*?-->|</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>", re.S)
_RE_BOLD = re.compile(r"\*\*|__")
_RE_SETEXT = re.compile(r"^[-=]{3,}$")
_RE_MD_LINK = re.compile(r"\[([^\[\]]*)\]\(([^()]*)\)")
# Only the space entity is decoded: decoding &lt; and the like would add characters.
_HTML_ENTITIES = {"&nbsp;": " ", "&ensp;": " ", "&emsp;": "\u3000"}

_RE_CONTAINER = re.compile(rf"^第{_WS}*({NUM}){_WS}*(分编|编|章|节)(.*)$")
_RE_ARTICLE = re.compile(rf"^第{_WS}*({NUM}){_WS}*条(?:{_WS}*之{_WS}*({NUM}))?(.*)$")
_RE_GLUED_ARTICLE = re.compile(
    rf"(?<=[。；！？”])({_WS}*)(第{_WS}*({NUM}){_WS}*条(?:之({NUM}))?)(?={_WS}|[（【])"
)
_RE_GLUED_ITEM = re.compile(rf"(?<=[：:]){_WS}*([（(]一[）)])")
_RE_CAPTION = re.compile(rf"^{_WS}*([（(【\[])([^（）()【】\[\]。；]{{1,24}})([）)】\]])")
_RE_ITEM = re.compile(rf"^([（(]){_WS}*({CN_NUM}){_WS}*([）)])(.*)$")
_RE_SUBITEM = re.compile(
    rf"^(?:(\d+|[０-９]+){_WS}*([\.．、])(?![\d０-９])|([（(])(\d+)([）)]))(.*)$"
)
_RE_ENUM = re.compile(rf"^({CN_NUM}){_WS}*、(.*)$")
_RE_TOC = re.compile(rf"^目{_WS}*录$")
_RE_PAGE_FURNITURE = re.compile(
    rf"^(?:[-－—–]{_WS}*\d+{_WS}*[-－—–]|第{_WS}*\d+{_WS}*页(?:{_WS}*[,，/]?{_WS}*共{_WS}*\d+{_WS}*页)?)$"
)
_RE_DATE_LINE = re.compile(
    r"^(\d{4}|[〇○零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日$"
)
_RE_ANNEX = re.compile(rf"^(附{_WS}*件|附{_WS}*表|附{_WS}*录|附{_WS}*[:：])")
_RE_HISTORY = re.compile(
    r"^[（(]?.{0,40}?(\d{4}|[〇○零一二三四五六七八九]{4})年.{0,400}?"
    r"(通过|修正|修订|公布|施行|批准|发布)"
)
_QUOTES_OPEN = '“‘「『"'
_TERMINAL = "。；：！？…”’」』）)】:;.!?"
# After 第X条 at the start of a line without a space, these mean a reference, not an article.
_REFERENCE_FOLLOWERS = (
    "规定",
    "的",
    "所",
    "、",
    "，",
    "至",
    "和",
    "或",
    "中",
    "第",
    "及",
    "与",
    "）",
)


def _label_style(label: str) -> str:
    return "paren" if label[0] in "（(" else "dot"


def _squash(text: str) -> str:
    return _RE_WS.sub("", text)


@dataclass
class _Line:
    number: int
    text: str  # decorations stripped, surrounding whitespace removed
    md_heading: bool = False


class _Parser:
    def __init__(self, text: str):
        self.doc = Document()
        self.lines = self._clean(text)
        self.article_mode = True
        self.stack: list[Node] = [self.doc.root]
        self.last_numbers: dict[tuple[int, str], int] = {}
        self.expected_article: int | None = None
        self.annex: Block | None = None
        self.body_started = False
        self.last_unplaced_line = -1
        self.end = len(self.lines)

    # -- preparing lines ----------------------------------------------------------------------

    def _clean(self, text: str) -> list[_Line]:
        if text.startswith("\ufeff"):
            self.doc.markup.append("\ufeff")
            text = text[1:]
        lines = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw
            md_heading = False
            for entity, value in _HTML_ENTITIES.items():
                if entity in line:
                    self.doc.markup.append(entity * line.count(entity))
                    line = line.replace(entity, value)
            for match in _RE_HTML.findall(line):
                self.doc.markup.append(match)
            line = _RE_HTML.sub(" ", line)
            line = line.strip(" \t\u3000\xa0")
            match = _RE_MD_HEADING.match(line) or _RE_MD_QUOTE.match(line)
            if match:
                self.doc.markup.append(match.group(1))
                md_heading = match.group(1).startswith("#")
                line = line[match.end() :]
            if "**" in line or "__" in line:
                self.doc.markup.extend(_RE_BOLD.findall(line))
                line = _RE_BOLD.sub("", line)
            if "\ufeff" in line:
                self.doc.markup.append("\ufeff" * line.count("\ufeff"))
                line = line.replace("\ufeff", "")
            if "](" in line:
                for match in _RE_MD_LINK.finditer(line):
                    self.doc.markup.append("[](" + match.group(2) + ")")
                line = _RE_MD_LINK.sub(r"\1", line)
            line = line.strip(" \t\u3000\xa0")
            if _RE_PAGE_FURNITURE.match(line):
                # a page number carried over from a PDF or a printed copy
                self.doc.markup.append(line)
                line = ""
            if _RE_SETEXT.match(line) and lines and lines[-1].text:
                # a setext underline: the line above is a heading
                self.doc.markup.append(line)
                lines[-1].md_heading = True
                line = ""
            lines.append(_Line(number, line, md_heading))
        return lines

    # -- warnings -----------------------------------------------------------------------------

    def warn(self, line: int, code: str, message: str, expected=None, found=None) -> None:
        self.doc.warnings.append(Warning(line, code, message, expected, found))

    # -- front matter -------------------------------------------------------------------------

    def _is_structural(self, text: str) -> bool:
        if not text or text[0] in _QUOTES_OPEN:
            return False
        return bool(
            self._container(text) or self._article(text, strict=True) or _RE_ENUM.match(text)
        )

    def _front_matter(self) -> int:
        """Title, history lines, 目录 and preamble; return the index where the body starts."""
        lines = self.lines
        i = 0
        n = self.end
        while i < n and not lines[i].text:
            i += 1
        # A markdown heading among the first lines is the title; what stands above it
        # (a breadcrumb, a site name) goes to the preamble.
        seen = 0
        for j in range(i, n):
            text = lines[j].text
            if not text:
                continue
            seen += 1
            if seen > 4 or self._is_structural(text) or _RE_TOC.match(text):
                break
            if lines[j].md_heading:
                for k in range(i, j):
                    if lines[k].text:
                        self.doc.preamble.append(Block(lines[k].number, lines[k].text))
                i = j
                break
        # Title: the first block of short lines that are not sentences or structure.
        title_lines: list[_Line] = []
        while i < n and lines[i].text and len(title_lines) < 3:
            text = lines[i].text
            if (
                self._is_structural(text)
                or _RE_TOC.match(text)
                or (title_lines and _RE_HISTORY.match(text) and text[0] in "（(")
                or text[-1] in "。；"
                or len(text) > 80
            ):
                break
            if _RE_HISTORY.match(text) and text[0] in "（(":
                break
            title_lines.append(lines[i])
            i += 1
            if title_lines[-1].md_heading:
                break
        if title_lines:
            self.doc.title = "".join(_squash(line.text) for line in title_lines)
            self.doc.title_parts = [line.text for line in title_lines]
        # History lines, the 目录, the preamble: everything before the first structural line.
        before_title = len(self.doc.preamble)
        while i < n:
            line = lines[i]
            text = line.text
            if not text:
                i += 1
                continue
            if self._is_structural(text):
                end = self._implicit_toc(i)
                if end == i:
                    break
                i = end
                continue
            if _RE_TOC.match(text):
                self.doc.toc.append(Block(line.number, text))
                i = self._skip_toc(i + 1)
                continue
            if (
                len(self.doc.preamble) == before_title
                and _RE_HISTORY.match(text)
                and len(text) < 600
            ):
                self.doc.history.append(Block(line.number, text))
            else:
                self.doc.preamble.append(Block(line.number, text))
            i += 1
        return i

    def _implicit_toc(self, i: int) -> int:
        """A run of headings with nothing between them, whose first heading comes again
        right after the run, is a table of contents without its 目录 line."""
        lines = self.lines
        first = _squash(lines[i].text)
        j = i
        run: list[_Line] = []
        while j < self.end:
            text = lines[j].text
            if text:
                if not self._container(text):
                    return i
                if run and _squash(text) == first:
                    self.doc.toc.extend(Block(line.number, line.text) for line in run)
                    self.warn(
                        run[0].number,
                        "implicit_toc",
                        f"第{run[0].number}行：没有“目录”字样的目录，已跳过（至第{run[-1].number}行）",
                    )
                    return j
                run.append(lines[j])
            j += 1
        return i

    def _skip_toc(self, i: int) -> int:
        """Consume the 目录 block: headings up to the repeat of its first entry."""
        lines = self.lines
        first: str | None = None
        while i < self.end:
            text = lines[i].text
            if not text:
                i += 1
                continue
            key = _squash(text)
            is_heading = bool(self._container(text)) or key in ("附则", "序言", "总则")
            if first is not None and key == first:
                return i  # the body starts with the first heading again
            if self._article(text, strict=True):
                return i
            if not is_heading and first is not None and len(key) > 30:
                return i
            if first is None:
                first = key
            self.doc.toc.append(Block(lines[i].number, text))
            i += 1
        return i

    # -- recognising lines --------------------------------------------------------------------

    def _container(self, text: str):
        match = _RE_CONTAINER.match(text)
        if not match:
            return None
        rest = match.group(3)
        heading = rest.strip(" \t\u3000\xa0")
        if "。" in heading or "，" in heading or len(_squash(heading)) > 40:
            return None
        # 第三章规定的… is a sentence about a chapter; a heading is spaced or reads as a title.
        if rest and rest[0] not in " \t\u3000\xa0" and rest.startswith(_REFERENCE_FOLLOWERS):
            return None
        return match

    def _article(self, text: str, *, strict: bool = False):
        match = _RE_ARTICLE.match(text)
        if not match:
            return None
        rest = match.group(3)
        if not rest or rest[0] in " \t\u3000\xa0" or rest[0] in "（(【[":
            return match
        if rest.startswith(_REFERENCE_FOLLOWERS):
            return None
        if strict:
            return None
        # No separator: an article only when its number is the one expected next.
        number = cn_to_int(match.group(1))
        if self.expected_article is not None and number == self.expected_article:
            return match
        return None

    # -- the body -----------------------------------------------------------------------------

    def parse(self) -> Document:
        self.end = self._closing()
        start = self._front_matter()
        self.article_mode = self._detect_mode(start)
        for line in self.lines[start : self.end]:
            if line.text:
                self._line(line)
        self._finish()
        return self.doc

    def _closing(self) -> int:
        """The 落款 at the very end (issuing body, then a date): kept apart from the last article.

        Returns the index where the body ends.
        """
        end = len(self.lines)
        while end and not self.lines[end - 1].text:
            end -= 1
        if not end or not _RE_DATE_LINE.match(_squash(self.lines[end - 1].text)):
            return len(self.lines)
        closing = [self.lines[end - 1]]
        before = end - 1
        while before and not self.lines[before - 1].text:
            before -= 1
        if before:
            text = self.lines[before - 1].text
            if (
                len(_squash(text)) <= 40
                and text[-1] not in "。；：:，"
                and not self._is_structural(text)
                and not _RE_ITEM.match(text)
            ):
                closing.insert(0, self.lines[before - 1])
        self.doc.closing = [Block(line.number, line.text) for line in closing]
        return closing[0].number - 1

    def _detect_mode(self, start: int) -> bool:
        for line in self.lines[start : self.end]:
            text = line.text
            if not text or text[0] in _QUOTES_OPEN:
                continue
            if self._container(text) or self._article(text, strict=True):
                return True
            if _RE_ENUM.match(text):
                return False
        return True

    def _line(self, line: _Line) -> None:
        text = line.text
        if self.annex is not None:
            if _RE_ANNEX.match(text) and len(_squash(text)) <= 60 and text[-1] not in "。；":
                self._start_annex(line)
            else:
                self.annex.append(text)
            return
        if self._annex_heading(text):
            self._start_annex(line)
            return
        quoted = text[0] in _QUOTES_OPEN
        if not quoted and self.article_mode:
            if self._try_container(line):
                return
            if self._try_article(line):
                return
        if not quoted and not self.article_mode:
            match = _RE_ENUM.match(text)
            if match:
                self._open_enum(line, match)
                return
        self._content(line, quoted)

    def _annex_heading(self, text: str) -> bool:
        if not _RE_ANNEX.match(text) or len(_squash(text)) > 60 or text[-1] in "。；，":
            return False
        # Annexes follow the body: at least one article or section must exist.
        return any(n.kind in ("article", "enum_section") for n in self.doc.walk())

    def _start_annex(self, line: _Line) -> None:
        title = _squash(line.text).rstrip("：:")
        self.annex = Block(line.number, line.text, title=title)
        self.doc.annexes.append(self.annex)

    # -- containers (编 分编 章 节) ------------------------------------------------------------

    def _try_container(self, line: _Line) -> bool:
        match = self._container(line.text)
        if not match:
            return False
        kind = {"编": "part", "分编": "subpart", "章": "chapter", "节": "section"}[match.group(2)]
        number = cn_to_int(match.group(1))
        rank = _CONTAINER_RANK[kind]
        # Close everything at this rank or below (articles and their content included).
        while len(self.stack) > 1 and (
            self.stack[-1].kind not in _CONTAINER_RANK
            or _CONTAINER_RANK[self.stack[-1].kind] >= rank
        ):
            self.stack.pop()
        parent = self.stack[-1]
        if kind == "section" and parent.kind not in ("chapter",):
            self.warn(
                line.number,
                "heading_out_of_order",
                f"第{line.number}行：“第{int_to_cn(number)}节”不在任何一章之内",
                expected="第X章",
                found=_squash(line.text)[:20],
            )
        if kind == "subpart" and parent.kind != "part":
            self.warn(
                line.number,
                "heading_out_of_order",
                f"第{line.number}行：“第{int_to_cn(number)}分编”不在任何一编之内",
                expected="第X编",
                found=_squash(line.text)[:20],
            )
        char = _CONTAINER_CHAR[kind]
        self._expect_next(
            [c for c in parent.children if c.kind == kind],
            number,
            line.number,
            lambda n: f"第{int_to_cn(n)}{char}",
        )
        heading = _squash(match.group(3))
        node = Node(
            kind,
            number,
            label=f"第{int_to_cn(number)}{_CONTAINER_CHAR[kind]}",
            heading=heading or None,
            heading_raw=match.group(3),
            line=line.number,
            label_raw=line.text[: match.end(2)],
        )
        parent.add(node)
        self.stack.append(node)
        self.body_started = True
        return True

    # -- articles -----------------------------------------------------------------------------

    def _try_article(self, line: _Line) -> bool:
        text = line.text
        match = self._article(text)
        if match:
            self._open_article(line, match, text)
            return True
        return False

    def _open_article(self, line: _Line, match: re.Match, text: str) -> None:
        number = cn_to_int(match.group(1))
        insert = cn_to_int(match.group(2)) if match.group(2) else None
        head = text[: match.start(3)]
        if _RE_WS.search(head):
            self.warn(
                line.number,
                "recovered_spaced_number",
                f"第{line.number}行：条号中有空格，已按“{_squash(head)}”读取",
                expected=_squash(head),
                found=head,
            )
        while self.stack[-1].kind not in ("root", *_CONTAINER_RANK):
            self.stack.pop()
        parent = self.stack[-1]
        self._check_article_sequence(number, insert, line.number)
        label = f"第{int_to_cn(number)}条" + (f"之{int_to_cn(insert)}" if insert else "")
        article = Node(
            "article", number, label=label, insert=insert, line=line.number, label_raw=head
        )
        parent.add(article)
        self.stack.append(article)
        self.body_started = True
        rest = match.group(3)
        caption = _RE_CAPTION.match(rest)
        if caption:
            article.heading = caption.group(2).strip()
            article.heading_raw = caption.group(0)
            rest = rest[caption.end() :]
        rest = rest.strip(" \t\u3000\xa0")
        if rest:
            self._content(_Line(line.number, rest), quoted=rest[0] in _QUOTES_OPEN)

    def _check_article_sequence(self, number: int, insert: int | None, line: int) -> None:
        previous = self.last_numbers.get((0, "article"))
        key = number * 1000 + (insert or 0)
        if previous is not None:
            prev_number, prev_insert = divmod(previous, 1000)
            expected = prev_number + 1
            if insert is None and number != expected:
                self.warn(
                    line,
                    "numbering_gap" if number > expected else "numbering_out_of_order",
                    f"第{line}行：条号不连续：第{int_to_cn(prev_number)}条之后应为"
                    f"第{int_to_cn(expected)}条，实为第{int_to_cn(number)}条",
                    expected=f"第{int_to_cn(expected)}条",
                    found=f"第{int_to_cn(number)}条",
                )
            elif insert is not None and (number != prev_number or insert != prev_insert + 1):
                self.warn(
                    line,
                    "numbering_out_of_order",
                    f"第{line}行：第{int_to_cn(number)}条之{int_to_cn(insert)}的位置不对",
                    expected=f"第{int_to_cn(prev_number)}条之{int_to_cn(prev_insert + 1)}",
                    found=f"第{int_to_cn(number)}条之{int_to_cn(insert)}",
                )
        elif number != 1 and insert is None:
            self.warn(
                line,
                "numbering_gap",
                f"第{line}行：第一个条文是第{int_to_cn(number)}条",
                expected="第一条",
                found=f"第{int_to_cn(number)}条",
            )
        self.last_numbers[(0, "article")] = key
        self.expected_article = number + 1

    def _expect_next(self, siblings: list[Node], number: int, line: int, label) -> None:
        """Warn when ``number`` does not follow the last of ``siblings`` (or start at 1)."""
        expected = siblings[-1].number + 1 if siblings else 1
        if number != expected:
            self.warn(
                line,
                "numbering_gap" if number > expected else "numbering_out_of_order",
                f"第{line}行：应为“{label(expected)}”，实为“{label(number)}”",
                expected=label(expected),
                found=label(number),
            )

    # -- enumerated sections (decisions, amendments) -----------------------------------------

    def _open_enum(self, line: _Line, match: re.Match) -> None:
        number = cn_to_int(match.group(1))
        self.stack = [self.doc.root]
        self._expect_next(
            [c for c in self.doc.root.children if c.kind == "enum_section"],
            number,
            line.number,
            lambda n: f"{int_to_cn(n)}、",
        )
        node = Node(
            "enum_section",
            number,
            label=f"{int_to_cn(number)}、",
            line=line.number,
            label_raw=line.text[: match.end(1)] + "、",
        )
        self.doc.root.add(node)
        self.stack.append(node)
        self.body_started = True
        rest = match.group(2).strip(" \t\u3000\xa0")
        if rest:
            self._content(_Line(line.number, rest), quoted=rest[0] in _QUOTES_OPEN)

    # -- paragraphs, items, sub-items ----------------------------------------------------------

    def _owner(self) -> Node | None:
        """The article or enumerated section that content lines belong to."""
        for node in reversed(self.stack):
            if node.kind in ("article", "enum_section"):
                return node
        return None

    def _content(self, line: _Line, quoted: bool) -> None:
        owner = self._owner()
        text = line.text
        if owner is None:
            self._outside(line)
            return
        if self.article_mode and not quoted:
            text = self._split_glued(line, text)
            if text is None:
                return
        if not quoted and self._split_glued_item(owner, line, text):
            return
        if not quoted:
            item = _RE_ITEM.match(text)
            if item:
                label = item.group(1) + item.group(2) + item.group(3)
                self._item(owner, line, cn_to_int(item.group(2)), label, item.group(4))
                return
            enum = _RE_ENUM.match(text) if owner.kind == "article" else None
            if enum:
                # Older regulations number the items of an article 一、二、…
                self._item(
                    owner, line, cn_to_int(enum.group(1)), enum.group(1) + "、", enum.group(2)
                )
                return
            sub = _RE_SUBITEM.match(text)
            if sub and self._has_paragraph(owner):
                self._subitem(owner, line, sub)
                return
        last = self.stack[-1]
        if (
            last.kind in ("paragraph", "item", "subitem")
            and last.text
            and last.text[-1] not in _TERMINAL
            and not quoted
        ):
            last.text += text
            self.warn(
                line.number,
                "joined_wrapped_line",
                f"第{line.number}行：上一行没有结束标点，已将本行接续到{last.citation or '上一段'}",
            )
            return
        while self.stack[-1] is not owner:
            self.stack.pop()
        paragraphs = [c for c in owner.children if c.kind == "paragraph"]
        node = Node("paragraph", len(paragraphs) + 1, text=text, line=line.number)
        owner.add(node)
        self.stack.append(node)

    def _split_glued_item(self, owner: Node, line: _Line, text: str) -> bool:
        """Recover …下列文件： （一）… written on one line: the list starts a new line."""
        match = _RE_GLUED_ITEM.search(text)
        if not match or match.start() == 0:
            return False
        self.warn(
            line.number,
            "recovered_glued_item",
            f"第{line.number}行：第（一）项接在上一段末尾，已拆分为新项",
            expected="项另起一行",
            found=_squash(text[max(0, match.start() - 10) : match.end() + 4]),
        )
        self._content(_Line(line.number, text[: match.start()].rstrip()), quoted=False)
        self._content(_Line(line.number, text[match.start(1) :]), quoted=False)
        return True

    def _has_paragraph(self, owner: Node) -> bool:
        return any(c.kind == "paragraph" for c in owner.children)

    def _split_glued(self, line: _Line, text: str) -> str | None:
        """Recover an article glued to the end of a paragraph (…施行。第十二条 …)."""
        if self.expected_article is None:
            return text
        for match in _RE_GLUED_ARTICLE.finditer(text):
            number = cn_to_int(match.group(3))
            if number != self.expected_article or match.start() == 0:
                continue
            before = text[: match.start()].rstrip()
            after = text[match.start(2) :]
            self.warn(
                line.number,
                "recovered_glued_article",
                f"第{line.number}行：第{int_to_cn(number)}条接在上一段末尾，已拆分为新条文",
                expected="条文另起一行",
                found=_squash(text[max(0, match.start() - 10) : match.end()]),
            )
            self._content(_Line(line.number, before), quoted=False)
            self._line(_Line(line.number, after))
            return None
        return text

    def _paragraph_for_items(self, owner: Node, line: _Line) -> Node:
        paragraphs = [c for c in owner.children if c.kind == "paragraph"]
        if paragraphs:
            return paragraphs[-1]
        # Items straight after the article number: an empty first paragraph holds them.
        node = Node("paragraph", 1, line=line.number)
        owner.add(node)
        return node

    def _item(self, owner: Node, line: _Line, number: int, label: str, text: str) -> None:
        paragraph = self._continue_item_list(owner, number) or self._paragraph_for_items(
            owner, line
        )
        self._expect_next(
            [c for c in paragraph.children if c.kind == "item"],
            number,
            line.number,
            lambda n: f"（{int_to_cn(n)}）",
        )
        node = Node("item", number, label=label, text=text.strip(" \t\u3000"), line=line.number)
        paragraph.add(node)
        while self.stack[-1] is not owner:
            self.stack.pop()
        self.stack.extend([paragraph, node])

    def _continue_item_list(self, owner: Node, number: int) -> Node | None:
        """（二） after unnumbered lines that followed （一）: those lines belonged to （一）.

        The numbering is the evidence: the item list of an earlier 款 goes on, so the 款
        opened in between were continuation paragraphs of its last item.
        """
        paragraphs = [c for c in owner.children if c.kind == "paragraph"]
        if number == 1 or not paragraphs or any(c.kind == "item" for c in paragraphs[-1].children):
            return None
        for index in range(len(paragraphs) - 2, -1, -1):
            items = [c for c in paragraphs[index].children if c.kind == "item"]
            if not items:
                continue
            if items[-1].number != number - 1:
                return None
            last_item = items[-1]
            for stray in paragraphs[index + 1 :]:
                owner.children.remove(stray)
                last_item.text += "\n" + stray.text if stray.text else ""
                for child in stray.children:
                    last_item.add(child)
            return paragraphs[index]
        return None

    def _subitem(self, owner: Node, line: _Line, match: re.Match) -> None:
        if match.group(1) is not None:
            number = int(match.group(1))
            label = match.group(1) + match.group(2)
        else:
            number = int(match.group(4))
            label = match.group(3) + match.group(4) + match.group(5)
        style = _label_style(label)
        parent: Node | None = None
        for node in reversed(self.stack):
            if node.kind == "subitem":
                if _label_style(node.label) == style:
                    parent = node.parent  # a sibling of the same style
                    break
                if number == 1:
                    parent = node  # a deeper level: 1. → （1）
                    break
            elif node.kind in ("item", "paragraph"):
                parent = node
                break
        if parent is None:
            parent = self._paragraph_for_items(owner, line)
        node = Node("subitem", number, label=label, text=match.group(6).strip(" \t\u3000"),
                    line=line.number)  # fmt: skip
        parent.add(node)
        while self.stack[-1] is not parent:
            self.stack.pop()
        self.stack.append(node)

    def _outside(self, line: _Line) -> None:
        """Text after a heading and before any article: kept, with a warning."""
        if not self.body_started:
            self.doc.preamble.append(Block(line.number, line.text))
            return
        top = self.stack[-1]
        text = line.text
        if (
            top.kind in _CONTAINER_RANK
            and top.heading is None
            and not top.children
            and len(_squash(text)) <= 30
            and not any(ch in text for ch in "。；，：:")
        ):
            # 第一章 on one line and 总则 on the next (as Word exports often have it)
            top.heading = _squash(text)
            top.heading_raw = text
            return
        if self.doc.unplaced and self.last_unplaced_line == line.number - 1:
            self.doc.unplaced[-1].append(line.text)
            self.last_unplaced_line = line.number
            return
        self.last_unplaced_line = line.number
        self.doc.unplaced.append(Block(line.number, line.text))
        self.warn(
            line.number,
            "unplaced_text",
            f"第{line.number}行：这段文字不属于任何条文，未能归入结构",
            expected="条文、章节标题或附件",
            found=line.text[:30],
        )

    # -- citations ----------------------------------------------------------------------------

    def _finish(self) -> None:
        for block in (*self.doc.annexes, *self.doc.unplaced):
            block.close()
        seen: Counter[str] = Counter()
        for node in self.doc.walk():  # parents before children
            citation = _citation(node)
            seen[citation] += 1
            if seen[citation] > 1:
                # A number used twice (a defect the warnings report): the later one is
                # told apart by its occurrence, so every clause keeps a citation of its own.
                citation += f"（第{seen[citation]}处）"
            node.citation = citation


def _citation(node: Node) -> str:
    kind = node.kind
    parent = node.parent
    if kind in ("article", "enum_section"):
        if kind == "enum_section":
            return f"第{int_to_cn(node.number)}条"
        return node.label
    if kind == "paragraph":
        return f"{parent.citation}第{int_to_cn(node.number)}款"
    if kind == "item":
        return f"{parent.citation}第（{int_to_cn(node.number)}）项"
    if kind == "subitem":
        return f"{parent.citation}第{node.number}目"
    # containers: chapters restart in each 编, sections in each chapter
    if kind == "part":
        return node.label
    if kind == "subpart":
        return f"{parent.citation}{node.label}" if parent.kind == "part" else node.label
    if kind == "chapter":
        return (
            f"{parent.citation}{node.label}" if parent.kind in ("part", "subpart") else node.label
        )
    if kind == "section":
        return f"{parent.citation}{node.label}" if parent.kind == "chapter" else node.label
    return node.label


def parse(text: str) -> Document:
    """Parse the text of a law, regulation, decision or amendment into a :class:`Document`."""
    return _Parser(text).parse()


# -- resolving citations ----------------------------------------------------------------------


class CitationError(ValueError):
    """A citation that does not name a clause of the document; the message says why."""


_CITE_PART = re.compile(
    rf"第({NUM})(分编|编|章|节)|第({NUM})条(?:之({NUM}))?|第[（(]?({NUM})[）)]?(款|项|目)"
)


def parse_citation(cite: str) -> list[tuple[str, int, int | None]]:
    """第十二条第二款第（三）项 → [(article, 12, None), (paragraph, 2, None), (item, 3, None)]."""
    text = _squash(cite).replace("(", "（").replace(")", "）")
    if not text:
        raise CitationError("引用为空")
    parts: list[tuple[str, int, int | None]] = []
    pos = 0
    kinds = {"编": "part", "分编": "subpart", "章": "chapter", "节": "section",
             "款": "paragraph", "项": "item", "目": "subitem"}  # fmt: skip
    while pos < len(text):
        match = _CITE_PART.match(text, pos)
        if not match:
            raise CitationError(f"无法识别“{text[pos:]}”：请写成“第十二条第二款第（三）项”的形式")
        if match.group(1):
            parts.append((kinds[match.group(2)], cn_to_int(match.group(1)), None))
        elif match.group(3):
            insert = cn_to_int(match.group(4)) if match.group(4) else None
            parts.append(("article", cn_to_int(match.group(3)), insert))
        else:
            parts.append((kinds[match.group(6)], cn_to_int(match.group(5)), None))
        pos = match.end()
    order = ["part", "subpart", "chapter", "section", "article", "paragraph", "item", "subitem"]
    ranks = [order.index(kind) for kind, _n, _i in parts]
    repeated = [r for r, count in Counter(ranks).items() if count > 1 and order[r] != "subitem"]
    if ranks != sorted(ranks) or repeated:
        raise CitationError(f"“{cite}”中各级的顺序不对：应为编、分编、章、节、条、款、项、目")
    return parts


def _describe(kind: str, number: int, insert: int | None = None) -> str:
    if kind == "article":
        return f"第{int_to_cn(number)}条" + (f"之{int_to_cn(insert)}" if insert else "")
    if kind == "item":
        return f"第（{int_to_cn(number)}）项"
    if kind == "subitem":
        return f"第{number}目"
    char = {"part": "编", "subpart": "分编", "chapter": "章", "section": "节", "paragraph": "款"}
    return f"第{int_to_cn(number)}{char[kind]}"


def canonical_citation(cite: str) -> str:
    """The citation as clause rows store it: 第12条第2款 → 第十二条第二款 (chapters dropped
    when an article is named, since article numbers run through the whole text)."""
    parts = parse_citation(cite)
    has_article = any(kind == "article" for kind, _n, _i in parts)
    return "".join(
        _describe(kind, number, insert)
        for kind, number, insert in parts
        if not (has_article and kind in _CONTAINER_RANK)
    )


def resolve(document: Document, cite: str) -> Node:
    """The node a citation names, or :class:`CitationError` saying why there is none."""
    index = document.citation_index()
    exact = index.get(cite) or index.get(_squash(cite))
    if exact is not None:
        return exact
    parts = parse_citation(cite)
    has_articles = any(n.kind == "article" for n in document.walk())
    scope: Node = document.root
    path = ""
    for kind, number, insert in parts:
        wanted = _describe(kind, number, insert)
        if kind in _CONTAINER_RANK:
            candidates = [n for n in scope.walk() if n.kind == kind and n.number == number]
            if scope is not document.root:
                candidates = [n for n in candidates if _nearest_container(n) is scope]
            if not candidates:
                raise CitationError(f"{path or '本文件'}没有{wanted}")
            if len(candidates) > 1:
                where = "、".join(c.citation for c in candidates[:4])
                raise CitationError(f"{wanted}不止一处（{where}），请写明所在的编或章")
            scope = candidates[0]
        elif kind == "article":
            if not has_articles:
                found = [
                    n for n in document.nodes if n.kind == "enum_section" and n.number == number
                ]
                if insert is None and found:
                    scope = found[0]
                    path = scope.citation
                    continue
            candidates = [
                n for n in scope.walk()
                if n.kind == "article" and n.number == number and n.insert == insert
            ]  # fmt: skip
            if not candidates:
                inside = f"{path}中" if path else "本文件"
                raise CitationError(f"{inside}没有{wanted}")
            scope = candidates[0]
        elif kind == "paragraph":
            scope = _child(scope, "paragraph", number, path or cite)
        elif kind == "item":
            scope = _item_scope(scope, number, path)
        elif scope.kind == "subitem":  # 第1目第1目: a deeper level of sub-items
            scope = _child(scope, "subitem", number, path)
        else:
            scope = _subitem_scope(scope, number, path)
        path = scope.citation
    return scope


def _nearest_container(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent.kind not in _CONTAINER_RANK:
        parent = parent.parent
    return parent


def _child(scope: Node, kind: str, number: int, path: str) -> Node:
    children = [c for c in scope.children if c.kind == kind]
    for child in children:
        if child.number == number:
            return child
    name = {"paragraph": "款", "item": "项", "subitem": "目"}[kind]
    if not children:
        raise CitationError(f"{scope.citation}没有分{name}")
    count = "一" if len(children) == 1 else int_to_cn(len(children))
    raise CitationError(f"{scope.citation}只有{count}{name}，没有{_describe(kind, number)}")


def _item_scope(scope: Node, number: int, path: str) -> Node:
    if scope.kind in ("article", "enum_section"):
        # 第十二条第（三）项: the 款 may be left out when only one 款 has items.
        with_items = [
            p
            for p in scope.children
            if p.kind == "paragraph" and any(c.kind == "item" for c in p.children)
        ]
        if not with_items:
            raise CitationError(f"{scope.citation}没有分项")
        if len(with_items) > 1:
            raise CitationError(f"{scope.citation}有几款都分了项，请写明第几款")
        scope = with_items[0]
    return _child(scope, "item", number, path)


def _subitem_scope(scope: Node, number: int, path: str) -> Node:
    if scope.kind in ("article", "enum_section"):
        holders = [n for n in scope.walk() if any(c.kind == "subitem" for c in n.children)]
        if len(holders) != 1:
            raise CitationError(
                f"{scope.citation}没有分目"
                if not holders
                else f"{scope.citation}有多处分目，请写明款和项"
            )
        scope = holders[0]
    return _child(scope, "subitem", number, path)
