"""Exact and near-duplicate groups of comments (pure: texts in, groups out).

- **Exact**: the same text once normalised (full/half width, traditional/simplified, case,
  punctuation and spaces ignored).
- **Near**: MinHash signatures of segmented-word shingles (datasketch), candidates from
  LSH, each candidate pair confirmed on the real shingle sets: Jaccard similarity, or
  *containment* — a template with a personal sentence added still holds nearly all of the
  template's shingles, though its Jaccard similarity to it falls as the addition grows.

Grouping never changes a comment: groups are computed, shown with their sizes, and used to
count distinct comments beside raw ones.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import rjieba
from datasketch import MinHash, MinHashLSH

from consult.search.analysis import fold

NUM_PERM = 64
LSH_THRESHOLD = 0.4  # candidates; each pair is then confirmed on the shingle sets
JACCARD = 0.6
CONTAINMENT = 0.8
SHINGLE = 2  # words per shingle
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def _prepared(text: str) -> tuple[str, set[str]]:
    """The normalised text and the shingle set, folding the text once."""
    folded = fold(text or "")
    return _NOISE.sub("", folded).lower(), _shingles(
        [w.lower() for w in rjieba.cut(folded) if not _NOISE.fullmatch(w)]
    )


def _hash(shingle: str) -> int:
    # CRC-32: fast (C), and the same in every process, so that groupings are reproducible
    # (Python's own str hash changes with each process's hash seed).
    return zlib.crc32(shingle.encode())


def _shingles(found: list[str]) -> set[str]:
    if len(found) < SHINGLE:
        return set(found)
    return {"\x1f".join(found[i : i + SHINGLE]) for i in range(len(found) - SHINGLE + 1)}


class _Union:
    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Group:
    """Comments that say the same thing; ``exact`` when all texts are identical."""

    ids: list[int]
    exact: bool

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass
class Grouping:
    groups: list[Group] = field(default_factory=list)  # only groups of two or more
    raw: int = 0

    @property
    def distinct(self) -> int:
        """Comments counted once per group: raw minus the repeats."""
        return self.raw - sum(g.size - 1 for g in self.groups)

    def group_of(self) -> dict[int, Group]:
        return {i: g for g in self.groups for i in g.ids}


def similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    common = len(a & b)
    if common / len(a | b) >= JACCARD:
        return True
    return common / min(len(a), len(b)) >= CONTAINMENT and min(len(a), len(b)) >= 4


@lru_cache(maxsize=1)
def _bands() -> tuple[int, int]:
    """LSH bands and rows for the threshold, worked out once (datasketch integrates)."""
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def group(items: Sequence[tuple]) -> Grouping:
    """Group ``(id, text)`` or ``(id, text, block)`` items; ids ascend within each group.

    Near duplicates are looked for within a block only (the clause a comment is on: a copy
    on another clause says something else); exact copies anywhere. A comment joins a group
    only if it is similar to the group's first comment, so that a chain of small changes
    cannot carry a group from one text to an unrelated one.
    """
    items = sorted(items, key=lambda item: item[0])
    union = _Union(len(items))
    exact_of: dict[str, int] = {}
    normal: list[str] = []
    sets: dict[int, set[str]] = {}  # shingles of one index per distinct normalised text
    for index, item in enumerate(items):
        digest, found = _prepared(item[1])
        normal.append(digest)
        first = exact_of.setdefault(digest, index)
        if first != index:
            union.join(first, index)
        else:
            sets[index] = found
    blocks: dict[Any, list[int]] = {}
    for index in sets:
        if sets[index]:
            blocks.setdefault(items[index][2] if len(items[index]) > 2 else None, []).append(index)
    for members in blocks.values():
        if len(members) < 2:
            continue
        signatures = MinHash.bulk((sets[i] for i in members), num_perm=NUM_PERM, hashfunc=_hash)
        lsh = MinHashLSH(num_perm=NUM_PERM, params=_bands())
        with lsh.insertion_session() as session:
            for i, signature in zip(members, signatures, strict=True):
                session.insert(i, signature, check_duplication=False)
        for i, signature in zip(members, signatures, strict=True):
            for j in lsh.query(signature):
                if j >= i:
                    continue
                # Roots are each group's first comment (joins keep the smaller index).
                root_i, root_j = union.find(i), union.find(j)
                if root_i != root_j and similar(sets[root_i], sets[root_j]):
                    union.join(root_i, root_j)
    grouped: dict[int, list[int]] = {}
    for index in range(len(items)):
        grouped.setdefault(union.find(index), []).append(index)
    groups = []
    for indexes in grouped.values():
        if len(indexes) > 1:
            texts = {normal[i] for i in indexes}
            groups.append(Group(sorted(items[i][0] for i in indexes), exact=len(texts) == 1))
    groups.sort(key=lambda g: (-g.size, g.ids[0]))
    return Grouping(groups=groups, raw=len(items))
