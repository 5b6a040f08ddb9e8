"""Comparing two versions of a draft article by article, following renumbering.

Pure Python. Articles are matched first by identical text (wherever they moved), then by
number when the text is still similar, then by the most similar remaining text; what is left
was removed from the old version or added in the new one. Changed characters come from
``difflib.SequenceMatcher`` (the standard library's diff), never from a hand-made diff.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

SAME_NUMBER_THRESHOLD = 0.5
ANY_NUMBER_THRESHOLD = 0.6
# Renumbered articles rarely move far; looking further only costs time on large codes.
SEARCH_WINDOW = 40

_SPACE = re.compile(r"\s+")


@dataclass
class Unit:
    """An article (or a numbered section of a decision) with everything it contains."""

    citation: str
    number: int
    insert: int | None
    text: str
    container: str = ""  # the 编/章/节 it stands in, e.g. 第二章第一节
    position: int = 0

    @property
    def key(self) -> str:
        return _SPACE.sub("", self.text)


@dataclass
class Change:
    status: str  # unchanged, changed, moved, added, removed
    old: Unit | None
    new: Unit | None
    similarity: float = 1.0
    ops: list[tuple[str, str]] = field(default_factory=list)  # (equal|delete|insert, text)
    renumbered: bool = False
    rehoused: bool = False  # moved to another chapter or section

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "old": self.old.citation if self.old else None,
            "new": self.new.citation if self.new else None,
            "old_container": self.old.container if self.old else None,
            "new_container": self.new.container if self.new else None,
            "similarity": round(self.similarity, 3),
            "renumbered": self.renumbered,
            "moved_to_other_container": self.rehoused,
            "diff": [{"op": op, "text": text} for op, text in self.ops],
        }


def similarity(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SAME_NUMBER_THRESHOLD:
        return matcher.real_quick_ratio()
    if matcher.quick_ratio() < SAME_NUMBER_THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


def char_ops(a: str, b: str) -> list[tuple[str, str]]:
    """The characters deleted from ``a`` and inserted into ``b``, in order."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("equal", a[i1:i2]))
        else:
            if i2 > i1:
                ops.append(("delete", a[i1:i2]))
            if j2 > j1:
                ops.append(("insert", b[j1:j2]))
    return ops


def compare(old: list[Unit], new: list[Unit]) -> list[Change]:
    """Pair the units of two versions and say what became of each."""
    for index, unit in enumerate(old):
        unit.position = index
    for index, unit in enumerate(new):
        unit.position = index
    pairs: dict[int, tuple[Unit, float]] = {}  # new position → (old unit, similarity)
    taken: set[int] = set()

    # 1. identical text, wherever it stands now
    by_text: dict[str, list[Unit]] = {}
    for unit in old:
        by_text.setdefault(unit.key, []).append(unit)
    for unit in new:
        candidates = [u for u in by_text.get(unit.key, []) if u.position not in taken]
        if candidates:
            best = min(candidates, key=lambda u: abs(u.number - unit.number))
            pairs[unit.position] = (best, 1.0)
            taken.add(best.position)

    # 2. the same number, text still alike
    by_number = {(u.number, u.insert): u for u in old}
    for unit in new:
        if unit.position in pairs:
            continue
        candidate = by_number.get((unit.number, unit.insert))
        if candidate is None or candidate.position in taken:
            continue
        score = similarity(candidate.key, unit.key)
        if score >= SAME_NUMBER_THRESHOLD:
            pairs[unit.position] = (candidate, score)
            taken.add(candidate.position)

    # 3. the most similar remaining text nearby (renumbered and edited)
    scored: list[tuple[float, int, int]] = []
    remaining_old = [u for u in old if u.position not in taken]
    for unit in new:
        if unit.position in pairs:
            continue
        for candidate in remaining_old:
            if abs(candidate.position - unit.position) > SEARCH_WINDOW:
                continue
            score = similarity(candidate.key, unit.key)
            if score >= ANY_NUMBER_THRESHOLD:
                scored.append((score, unit.position, candidate.position))
    for score, new_pos, old_pos in sorted(scored, reverse=True):
        if new_pos in pairs or old_pos in taken:
            continue
        pairs[new_pos] = (old[old_pos], score)
        taken.add(old_pos)

    changes: list[Change] = []
    removed = [u for u in old if u.position not in taken]
    removed_iter = iter(removed)
    pending_removed = next(removed_iter, None)
    for unit in new:
        pair = pairs.get(unit.position)
        if pair is not None:
            # removed units that stood before this one's old place are reported here
            while pending_removed is not None and pending_removed.position < pair[0].position:
                changes.append(Change("removed", pending_removed, None, 0.0,
                                      [("delete", pending_removed.text)]))  # fmt: skip
                pending_removed = next(removed_iter, None)
            changes.append(_pair(pair[0], unit, pair[1]))
        else:
            changes.append(Change("added", None, unit, 0.0, [("insert", unit.text)]))
    while pending_removed is not None:
        changes.append(Change("removed", pending_removed, None, 0.0,
                              [("delete", pending_removed.text)]))  # fmt: skip
        pending_removed = next(removed_iter, None)
    return changes


def _pair(old: Unit, new: Unit, score: float) -> Change:
    renumbered = (old.number, old.insert) != (new.number, new.insert)
    rehoused = old.container != new.container
    if old.key == new.key:
        status = "moved" if renumbered or rehoused else "unchanged"
        return Change(status, old, new, 1.0, [("equal", new.text)], renumbered, rehoused)
    return Change("changed", old, new, score, char_ops(old.text, new.text), renumbered, rehoused)


def summary(changes: list[Change]) -> dict[str, int]:
    counts = {"unchanged": 0, "changed": 0, "moved": 0, "added": 0, "removed": 0, "renumbered": 0}
    for change in changes:
        counts[change.status] += 1
        counts["renumbered"] += int(change.renumbered)
    return counts
