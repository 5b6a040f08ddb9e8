"""Chinese text analysis for the index: simplified folding, segmentation, positions.

- Traditional characters are folded to simplified (OpenCC ``t2s``) before segmentation, so
  that 養犬 finds 养犬 and back.
- Segmentation is jieba's, through rjieba (the same tokens, about 25× faster).
- Positions follow the *accurate* segmentation: the finer words that search mode adds
  (自行车 → 自行, 行车) stand at the position of the word they come from. A phrase such as
  电动自行车 (电动 + 自行车) therefore finds its words at adjacent positions, which jieba's stock
  analyser, numbering positions by character offset, never does.
- Queries are segmented in accurate mode only, so that a query word never turns into an AND
  of its fragments.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import rjieba
from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.filters import LowercaseFilter

_SKIP = re.compile(r"^[\W_]+$", re.UNICODE)  # punctuation and spaces make no tokens


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


# Full-width ASCII and the ideographic space, the characters NFKC changes in most Chinese
# text: narrowed one by one, so that the (slow) NFKC pass runs only on text that needs more.
_WIDE = re.compile("[\u3000\uff01-\uff5e]")


def _narrow(match: re.Match) -> str:
    char = match.group()
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


def fold(text: str) -> str:
    """Full-width to half-width (NFKC) and traditional to simplified characters.

    The same as NFKC then ``t2s``: the narrowed characters are their own NFKC forms, and
    NFKC then runs on what is not yet normal (about 20 µs for a comment instead of 60).
    """
    text = _WIDE.sub(_narrow, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _converter().convert(text)


@lru_cache(maxsize=65536)
def _skipped(word: str) -> bool:
    return _SKIP.match(word) is not None


def words(text: str) -> list[str]:
    """The accurate-mode words of ``text`` (folded), without punctuation."""
    return [w for w in rjieba.cut(fold(text)) if not _skipped(w)]


@lru_cache(maxsize=16)
def analyse(text: str) -> tuple[list[tuple[str, int, int, int]], list[str]]:
    """The index tokens of ``text`` and its accurate-mode words, from one segmentation.

    Remembered for the last few texts: Whoosh's writer analyses a document's text once for
    its words and again for its pairs. The lists returned are shared: not to be changed.

    Tokens are (word, position, start_char, end_char): each accurate-mode word, then the
    finer words search mode adds inside it, at the same position. Search mode yields a
    word's finer parts right before the word and inside its span, so reading it backwards
    tells the words (each starting a new span) from their parts.
    """
    found = rjieba.tokenize(fold(text), mode="search")
    heads = [False] * len(found)
    span_start = span_end = -1
    for index in range(len(found) - 1, -1, -1):
        _word, start, end = found[index]
        if span_start <= start and end <= span_end and (start, end) != (span_start, span_end):
            continue  # a part of the word after it
        heads[index] = True
        span_start, span_end = start, end
    tokens_: list[tuple[str, int, int, int]] = []
    accurate: list[str] = []
    position = -1
    parts: list[tuple[str, int, int]] = []
    for index, token in enumerate(found):
        if not heads[index]:
            parts.append(token)
            continue
        word = token[0]
        if _skipped(word):
            parts = []
            continue
        position += 1
        tokens_.append((word, position, token[1], token[2]))
        accurate.append(word)
        for part, start, end in parts:
            if part != word and not _skipped(part):
                tokens_.append((part, position, start, end))
        parts = []
    return tokens_, accurate


# A word -> the finer words search mode adds inside it (for words of three characters or
# more; none for most). Search mode finds them from the word alone (its 2- and 3-character
# pieces that are dictionary words), so they are learnt once per word; see index_words.
_PARTS: dict[str, tuple[str, ...]] = {}
_NO_TOKEN: set[str] = set()  # the words of _PARTS that are punctuation or spaces
_PARTS_KEPT = 500_000  # words remembered at most (forgotten all at once beyond that)


def _learn_parts(folded: str) -> None:
    """The finer words of each word of ``folded``: search mode gives a word's finer words
    right before the word itself (and never the word again among them)."""
    if len(_PARTS) > _PARTS_KEPT:
        _PARTS.clear()
        _NO_TOKEN.clear()
    finer = iter(rjieba.cut_for_search(folded))
    for word in rjieba.cut(folded):
        parts = []
        for found in finer:
            if found == word:
                break
            parts.append(found)
        if _skipped(word):
            _NO_TOKEN.add(word)
        _PARTS[word] = tuple(p for p in parts if not _skipped(p))


def index_words(text: str) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """What :func:`analyse` gives, in the form the bulk writer reads fastest: the accurate-
    mode words of ``text`` (folded, without punctuation), and a mapping from each of them
    to the finer words that stand at its position (an empty tuple for most).

    One segmentation in accurate mode: a text whose long words are all known needs no
    search-mode pass (about half the segmentation's time, and the Python that reads it).
    The mapping returned is shared: not to be changed.
    """
    folded = fold(text)
    found = rjieba.cut(folded)
    if any(word not in _PARTS for word in found):
        _learn_parts(folded)
    return [word for word in found if word not in _NO_TOKEN], _PARTS  # no call per word


def tokens(text: str, *, for_query: bool) -> Iterator[tuple[str, int, int, int]]:
    """(word, position, start_char, end_char) of the folded text.

    Character offsets refer to the folded text, which has the same length as the original
    wherever the folding maps one character to one character (the common case).
    """
    if not for_query:
        yield from analyse(text)[0]
        return
    position = -1
    for word, start, end in rjieba.tokenize(fold(text)):
        if not _skipped(word):
            position += 1
            yield word, position, start, end


PAIR = "|"


def pairs(text: str) -> list[str]:
    """Adjacent accurate-mode words joined (养犬|登记): a two-word phrase becomes one term."""
    return pairs_of(analyse(text)[1])


def pairs_of(words: list[str]) -> list[str]:
    found = [w.lower() for w in words]
    return [f"{a}{PAIR}{b}" for a, b in itertools.pairwise(found)]


class PairTokenizer(Tokenizer):
    """A Whoosh tokenizer over :func:`pairs` (frequencies only, no positions)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):  # fmt: skip
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, pair in enumerate(pairs(value)):
            token.text = pair
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = pair
            if positions:
                token.pos = start_pos + position
            yield token


class ChineseTokenizer(Tokenizer):
    """A Whoosh tokenizer over :func:`tokens`: search mode when indexing, accurate for queries."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for word, position, start, end in tokens(value, for_query=mode == "query"):
            token.text = word
            token.boost = 1.0
            if keeporiginal:
                token.original = word
            token.stopped = False
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def ChineseAnalyzer():
    """Tokenizer plus lower-casing (for Latin letters in Chinese text)."""
    return ChineseTokenizer() | LowercaseFilter()
