"""The search language, parsed once and compiled for each engine.

- Words are ANDed: ``养犬 登记``. A run of Chinese without spaces is segmented (accurate
  mode) and its words ANDed too: ``养犬登记`` → 养犬 AND 登记.
- ``"…"`` (or “…”, 「…」) is a phrase: its words at adjacent positions.
- ``A OR B`` (also ``|`` and ``或``) between two terms.
- ``-word``, ``-"phrase"`` or ``NOT word`` excludes.

Both backends get the same tree, so both answer the same query the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from consult.search.analysis import words

_QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』", "＂": "＂"}
_OR = {"OR", "|", "或", "｜"}
_NOT = {"NOT", "非"}
_TOKEN = re.compile(r'(-?)(["“「『＂])(.*?)(?:["”」』＂]|$)|(\S+)')


@dataclass(frozen=True)
class Unit:
    """Words that must all occur; with ``phrase`` they must be adjacent, in order."""

    words: tuple[str, ...]
    phrase: bool = False


@dataclass
class Parsed:
    groups: list[list[Unit]] = field(default_factory=list)  # AND of ORs
    excluded: list[Unit] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups and not self.excluded

    def positive_words(self) -> list[str]:
        """The words a hit may contain, longest first (for highlighting)."""
        found = {w for group in self.groups for unit in group for w in unit.words}
        return sorted(found, key=lambda w: (-len(w), w))


def _unit(text: str, phrase: bool) -> Unit | None:
    found = tuple(w.lower() for w in words(text))
    if not found:
        return None
    return Unit(found, phrase and len(found) > 1)


def parse(text: str) -> Parsed:
    """Parse the user's query; what cannot make a word (punctuation alone) is ignored."""
    parsed = Parsed()
    pending_or = False
    negate_next = False
    for match in _TOKEN.finditer(text or ""):
        minus, _quote, quoted, bare = match.groups()
        if bare is not None:
            if bare in _OR:
                pending_or = bool(parsed.groups)
                continue
            if bare in _NOT:
                negate_next = True
                continue
            negative = negate_next or (bare.startswith("-") and len(bare) > 1)
            unit = _unit(bare[1:] if bare.startswith("-") and len(bare) > 1 else bare, False)
        else:
            negative = negate_next or minus == "-"
            unit = _unit(quoted, True)
        negate_next = False
        if unit is None:
            continue
        if negative:
            parsed.excluded.append(unit)
        elif pending_or:
            parsed.groups[-1].append(unit)
        else:
            parsed.groups.append([unit])
        pending_or = False
    return parsed


def quote_lexeme(word: str) -> str:
    """A lexeme as PostgreSQL's tsvector/tsquery input syntax wants it."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery_unit(unit: Unit) -> str:
    glue = " <-> " if unit.phrase else " & "
    return "(" + glue.join(quote_lexeme(w) for w in unit.words) + ")"


def to_tsquery(parsed: Parsed) -> str | None:
    """The positive part as a tsquery literal (None when there is none)."""
    if not parsed.groups:
        return None
    return " & ".join(
        "(" + " | ".join(_tsquery_unit(u) for u in group) + ")" for group in parsed.groups
    )


def excluded_tsquery(parsed: Parsed) -> str | None:
    """The excluded part as one tsquery a document must not match."""
    if not parsed.excluded:
        return None
    return " | ".join(_tsquery_unit(u) for u in parsed.excluded)
