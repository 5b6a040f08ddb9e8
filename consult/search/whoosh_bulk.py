"""Writing a whole Whoosh index at once: the rebuild's fast path.

Whoosh's own writer sends every posting through a general pipeline: a token object per word
and field, a sorting pool spilled to temporary files, and, when the segment is written,
a lookup of the document's field length for each posting. Measured on the benchmark corpus,
that pipeline cost about 2 ms per comment, and the segmentation fed into it another 0.6 ms
(the text and the word pairs each segmented on their own).

Here each document is segmented once (:func:`consult.search.analysis.index_words` gives
both the positions and the pairs) and adds its words' numbers to an array. When the segment
is finished, its postings are made with numpy, all at once: sorted, grouped and counted as
arrays, and the postings file and term table laid out as arrays of bytes, every pickle
written opcode by opcode (see _write_terms), rather than posting by posting in Python
(which cost the writing processes ~0.8 ms of CPU a comment, against ~0.4 now). The segment
is what Whoosh's own writer writes: the same files, the same postings (a test compares the
two indexes posting by posting), except that the posting blocks are not compressed.
Several processes each write a segment of their own; the new segments replace the index in
one commit of its table of contents.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import warnings
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3TermInfo,
    _lenfield,
)
from whoosh.formats import Positions
from whoosh.index import TOC, clean_files
from whoosh.system import pack_uint, pack_ushort
from whoosh.util.numeric import _length_byte_cache

from consult.search.analysis import PAIR, index_words

# Documents go to the writing processes in batches of this many: few enough messages that
# sending them costs little, small enough that a point's comments stay in one stretch.
BATCH = 2000
# The codec's settings, which _write_terms writes by: Whoosh's defaults, as its own writer
# uses them (postings per block, zlib's level, postings inlined in the term table: none).
BLOCK_LIMIT, COMPRESSION, INLINE_LIMIT = 128, 3, 1
_PAIR = PAIR.encode()
# A term table row: W3TermInfo's struct ("!BfIBBfII"), then where its postings are and
# how long they are (W3TermInfo.to_bytes: pack_long, pack_int).
_TERM_ROW = np.dtype([
    ("flags", "u1"), ("weight", ">f4"), ("df", ">u4"), ("minlength", "u1"),
    ("maxlength", "u1"), ("maxweight", ">f4"), ("minid", ">u4"), ("maxid", ">u4"),
    ("offset", ">i8"), ("length", ">i4"),
])  # fmt: skip
assert _TERM_ROW.itemsize == W3TermInfo._struct.size + 12
# A writing process starts a new segment when it holds this many postings in memory (about
# 60,000 comments' worth, ~1 GB): a large rebuild then needs no more memory than that.
MAX_HELD = 12_000_000


class _Numbered(dict):
    """A key -> its number, in the order the keys were first seen (``order`` lists them)."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list = []

    def __missing__(self, key):
        number = self[key] = len(self.order)
        self.order.append(key)
        return number


# Pickles are written here as arrays of bytes, many at once: each integer, and each bytes
# object's length, by the opcode pickle itself would choose for it (the smallest that holds
# it), followed by its value little-endian. Rows of 5 bytes, of which 1 + width are used.
_INTS = (np.frombuffer(b"KMJ", np.uint8), (0xFF, 0xFFFF), np.array([2, 3, 5]))
_BYTES = (np.frombuffer(b"CB", np.uint8), (0xFF,), np.array([2, 5]))  # its length, then it
_LENGTH_BYTES = np.frombuffer(_length_byte_cache, dtype=np.int32)


def _coded(values: np.ndarray, coding=_INTS) -> tuple[np.ndarray, np.ndarray]:
    """Each value (0 up to 2**31 - 1) as pickle writes an int (``_INTS``: BININT1, BININT2
    or BININT) or a bytes object's length (``_BYTES``: SHORT_BINBYTES or BINBYTES): rows of
    5 bytes, and how many of each row are used."""
    opcodes, limits, used = coding
    values = np.asarray(values, dtype=np.int64)
    if len(values) and (values.min() < 0 or values.max() > 0x7FFFFFFF):
        raise OverflowError("search index: a number out of the bulk path's range")
    kind = np.zeros(len(values), dtype=np.int64)
    for limit in limits:
        kind += values > limit
    rows = np.empty((len(values), 5), dtype=np.uint8)
    rows[:, 0] = opcodes[kind]
    rows[:, 1:] = values.astype("<u4").view(np.uint8).reshape(-1, 4)
    return rows, used[kind]


def _big_endian(values: np.ndarray, dtype: str) -> np.ndarray:
    """Each value's bytes in ``dtype`` (big-endian), as rows."""
    values = np.asarray(values).astype(dtype)
    return values.view(np.uint8).reshape(len(values), values.dtype.itemsize)


def _put(buffer: np.ndarray, offsets: np.ndarray, rows, used: np.ndarray | None = None) -> None:
    """Write each row into ``buffer`` at its offset: the first ``used`` bytes of each, or all
    of it; ``rows`` may be one bytes value, written at every offset. (Column by column:
    a column's bytes in one assignment, cheaper than indexes for every byte at once.)"""
    if isinstance(rows, bytes):
        for column, value in enumerate(rows):
            buffer[offsets + column] = value
        return
    width = rows.shape[1]
    whole = width if used is None else int(used.min(initial=width))  # columns all rows use
    for column in range(width):
        if column < whole:
            buffer[offsets + column] = rows[:, column]
        else:
            some = used > column
            buffer[offsets[some] + column] = rows[some, column]


def _copy(buffer: np.ndarray, offsets: np.ndarray, source: np.ndarray,
          source_offsets: np.ndarray, lengths: np.ndarray) -> None:  # fmt: skip
    """Copy ``lengths[i]`` bytes of ``source`` from ``source_offsets[i]`` to ``buffer`` at
    ``offsets[i]``, for every i."""
    total = int(lengths.sum())
    if not total:
        return
    read = _ranges(source_offsets, lengths)
    buffer[read + np.repeat(offsets - source_offsets, lengths)] = source[read]


def _before(lengths: np.ndarray) -> np.ndarray:
    """Where each item starts when items of these lengths are laid end to end."""
    return np.cumsum(lengths) - lengths


def _ranges(starts, lengths: np.ndarray) -> np.ndarray:
    """Every index of each range ``[start, start + length)``, one range after another
    (``starts`` 0: each item's place within its range)."""
    return np.repeat(starts - _before(lengths), lengths) + np.arange(int(lengths.sum()))


def _within(lengths: np.ndarray, starts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Where each item starts within its group (``group``: each item's; ``starts``: each
    group's first item), when each group's items are laid end to end."""
    before = _before(lengths)
    return before - before[starts][group]


class _Values:
    """Each posting's encoded value: ``lengths``, and ``write`` puts them where they go in
    a buffer. These are in ``source``, at ``source_offsets`` (by default laid end to end)."""

    def __init__(self, source: np.ndarray, lengths: np.ndarray,
                 source_offsets: np.ndarray | None = None) -> None:  # fmt: skip
        self.source, self.lengths = source, lengths
        self.source_offsets = _before(lengths) if source_offsets is None else source_offsets

    def write(self, buffer: np.ndarray, offsets: np.ndarray) -> None:
        _copy(buffer, offsets, self.source, self.source_offsets, self.lengths)


class _FixedValues(_Values):
    """Values of one size: ``rows``, one each."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows, self.lengths = rows, np.full(len(rows), rows.shape[1])

    def write(self, buffer: np.ndarray, offsets: np.ndarray) -> None:
        _put(buffer, offsets, self.rows)


class _PositionsValues(_Values):
    """``Positions.encode`` of each posting (``starts``: its first position; ``counts``:
    how many it has; ``gaps``: each position less the one before, the first whole), written
    straight into the postings file's buffer (a copy there cost as much as making them).

    A value is the count (4 bytes), then the gaps as ``pickle.dumps(list, 2)`` writes them:
    ``]q\x00``, then one gap and APPEND, or MARK, the gaps and APPENDS. Pickle appends
    at most 1,000 items at a time: longer lists (a word 1,000 times in one comment) are
    pickled by ``pickle`` itself.
    """

    def __init__(self, gaps: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> None:
        self.starts, self.counts = starts, counts
        self.posting_of = np.repeat(np.arange(len(starts)), counts)
        self.slow = np.flatnonzero(counts > 1000)
        self.many = (counts > 1).astype(np.int64)
        self.rows, self.used = _coded(gaps)
        if len(self.slow):
            self.used[np.isin(self.posting_of, self.slow)] = 0  # written by pickle instead
        self.gap_bytes = np.add.reduceat(self.used, starts) if len(starts) else self.used[:0]
        self.lengths = 4 + 5 + self.many + self.gap_bytes + 2
        self.pickled = {int(p): _encode_positions(gaps[starts[p] : starts[p] + counts[p]].tolist())
                        for p in self.slow}  # fmt: skip
        for p, value in self.pickled.items():
            self.lengths[p] = len(value)

    def write(self, buffer: np.ndarray, offsets: np.ndarray) -> None:
        many, posting_of = self.many, self.posting_of
        _put(buffer, offsets, _big_endian(self.counts, ">u4"))
        _put(buffer, offsets + 4, b"\x80\x02]q\x00")
        buffer[offsets[many > 0] + 9] = ord("(")
        first = offsets + 9 + many
        where = first[posting_of] + _within(self.used, self.starts, posting_of)
        _put(buffer, where, self.rows, self.used)
        end = first + self.gap_bytes
        buffer[end] = np.where(many > 0, ord("e"), ord("a"))
        buffer[end + 1] = ord(".")
        for p, value in self.pickled.items():
            buffer[offsets[p] : offsets[p] + len(value)] = np.frombuffer(value, dtype=np.uint8)


def _encode_positions(gaps: list[int]) -> bytes:
    """``Positions.encode`` of the positions whose gaps these are."""
    return pack_uint(len(gaps)) + dumps(gaps, 2)


def _length_bytes(lengths: np.ndarray) -> np.ndarray:
    """``length_to_byte`` of each length: the byte a field length is kept as."""
    return np.minimum(np.searchsorted(_LENGTH_BYTES, lengths, side="left"), 255)


def _sorted_together(*columns: np.ndarray) -> list[np.ndarray]:
    """Columns of non-negative ints sorted together, by the first, then the second...

    Packed into one int64 key where they fit (a segment's terms, documents and positions
    do), which sorts in about a third of the time of ``np.lexsort`` and its reordering.
    """
    sizes = [int(column.max(initial=0)) + 1 for column in columns]
    if math.prod(sizes) >= 2**62:
        order = np.lexsort(columns[::-1])
        return [column[order] for column in columns]
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, size in zip(columns, sizes, strict=True):
        key = key * size + column
    key.sort()
    found = []
    for size in reversed(sizes):
        key, rest = np.divmod(key, size)
        found.append(rest)
    return found[::-1]


def _starts(*keys: np.ndarray) -> np.ndarray:
    """Where a run of equal keys starts, in arrays sorted by them together."""
    count = len(keys[0])
    new = np.ones(count, dtype=bool)
    if count:
        new[1:] = np.logical_or.reduce([key[1:] != key[:-1] for key in keys])
    return np.flatnonzero(new)


def _runs(starts: np.ndarray, count: int) -> np.ndarray:
    """The length of each run that starts at ``starts`` (of ``count`` items in all)."""
    return np.diff(np.append(starts, count))


@dataclass
class _Postings:
    """A field's postings in term order, then document order: ``terms`` names each term
    (bytes), ``term`` is each posting's index into them."""

    terms: list[bytes]
    term: np.ndarray
    doc: np.ndarray
    weight: np.ndarray  # float32, as a block keeps weights
    values: _Values  # each posting's encoded value


class SegmentBuilder:
    """One new segment of ``index``: documents in, then their postings made and written.

    ``text_field`` is segmented by :func:`index_words` (words with positions);
    ``pairs_field`` gets that same segmentation's adjacent word pairs (frequencies). Every
    other field is indexed by its own Whoosh field type.

    A document adds little as it comes: its words' numbers to one array, its other fields
    to a list. ``finish`` makes all the segment's text and pairs postings at once with
    numpy (sorted, grouped and counted as arrays, not word by word in Python), then writes
    them with the other fields' postings and each document's stored fields and columns.
    """

    def __init__(self, index, text_field: str, pairs_field: str):
        self.schema = index.schema
        self.codec = W3Codec(BLOCK_LIMIT, COMPRESSION, INLINE_LIMIT)
        self.storage = index.storage
        self.segment = self.codec.new_segment(self.storage, index.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self.text_field = text_field
        self.pairs_field = pairs_field
        self._fields = dict(self.schema.items())
        text, pairs = self._fields[text_field], self._fields[pairs_field]
        for field in (text, pairs):
            if field.stored or field.column_type is not None or not field.scorable:
                raise ValueError("search index: the bulk path's text fields are scored, and "
                                 "neither stored nor sorted by")  # fmt: skip
        if type(text.format) is not Positions:
            raise ValueError("search index: the bulk path's text field keeps Positions")
        self._boost = {text_field: text.format.field_boost, pairs_field: pairs.format.field_boost}
        self.words = _Numbered()  # each word segmented -> its number
        self.parts: list[tuple[str, ...]] = []  # by word number: the finer words inside it
        self.tokens = array("I")  # each document's words' numbers, one document after another
        self.ends = array("q")  # by document: where its words end in ``tokens``
        self.paired = bytearray()  # by document: 1 where it has the pairs field
        self.others: list[dict[str, Any]] = []  # by document: its other fields
        self.docnum = 0
        self.held = 0  # about the postings the documents make

    def add(self, doc_fields: Mapping[str, Any]) -> None:
        fields = {name: value for name, value in doc_fields.items() if value is not None}
        unknown = fields.keys() - self._fields.keys()
        if unknown:
            raise ValueError(f"search index: unknown field {min(unknown)!r}")
        text = fields.pop(self.text_field, None)
        if text is not None:
            words, parts = index_words(text)
            known = len(self.parts)
            self.tokens.extend(map(self.words.__getitem__, words))
            self.parts += map(parts.__getitem__, self.words.order[known:])
            self.held += 2 * len(words)
        self.ends.append(len(self.tokens))
        self.paired.append(fields.pop(self.pairs_field, None) is not None)
        self.others.append(fields)
        self.held += len(fields)
        self.docnum += 1

    def finish(self):
        """Make the postings, write them in term order, and close the segment."""
        postings, lengths = self._words_and_pairs()
        for name, field in self._fields.items():
            if field.indexed and name not in postings:
                postings[name], lengths[name] = self._field_postings(name, field)
        self._write_per_document(lengths)
        writer = self.codec.field_writer(self.storage, self.segment)
        for name in sorted(postings):
            if not len(postings[name].term):
                continue
            field = self._fields[name]
            writer.start_field(name, field)
            _write_terms(writer, postings[name], lengths[name], field.format.fixed_value_size())
            writer.finish_field()
        writer.close()
        self._clear()
        segment = self.segment
        segment.set_doc_count(self.docnum)
        return segment  # left as separate files (see whoosh_backend.COMPOUND)

    def _clear(self) -> None:
        self.tokens, self.ends, self.others, self.parts = array("I"), array("q"), [], []
        self.words, self.paired = _Numbered(), bytearray()

    def _words_and_pairs(self) -> tuple[dict[str, _Postings], dict[str, np.ndarray]]:
        """The text and pairs fields' postings, and each document's length in them."""
        tokens = np.frombuffer(self.tokens, dtype=np.uint32).astype(np.int64)
        ends = np.frombuffer(self.ends, dtype=np.int64)
        counts = np.diff(ends, prepend=0)
        docs = np.repeat(np.arange(len(ends)), counts)  # each word's document
        positions = _ranges(0, counts)
        # Terms are numbered in term order: a word's term is it in lower case (words
        # differing in case are one term), and so are its finer words'.
        word_terms = [word.lower().encode() for word in self.words.order]
        part_terms = [tuple(part.lower().encode() for part in parts) for parts in self.parts]
        names = sorted(set(word_terms).union(*part_terms))
        number = {name: n for n, name in enumerate(names)}
        of_word = np.array([number[name] for name in word_terms], dtype=np.int64)
        words = of_word[tokens]
        # A word's finer words stand at its position: the k-th of each, k = 0, 1, ...
        found_terms, found_docs, found_positions = [words], [docs], [positions]
        for k in range(max(map(len, part_terms), default=0)):
            kth = np.array([number[p[k]] if len(p) > k else -1 for p in part_terms])
            inside = kth[tokens]
            where = inside >= 0
            found_terms.append(inside[where])
            found_docs.append(docs[where])
            found_positions.append(positions[where])
        term, doc, position = map(np.concatenate, (found_terms, found_docs, found_positions))
        text_lengths = np.bincount(doc, minlength=len(ends))
        term, doc, position = _sorted_together(term, doc, position)
        starts = _starts(term, doc)
        counts_in = _runs(starts, len(term))
        gaps = position - np.concatenate(([0], position[:-1]))
        gaps[starts] = position[starts]
        values = _PositionsValues(gaps, starts, counts_in)
        boost = self._boost[self.text_field]
        text = _Postings(names, term[starts], doc[starts],
                         (counts_in * boost).astype(np.float32), values)  # fmt: skip
        # Pairs: adjacent words of one document (that has the field), as terms "a|b".
        paired = np.frombuffer(bytes(self.paired), dtype=np.uint8).astype(bool)
        keep = (docs[1:] == docs[:-1]) & paired[docs[1:]]
        pairs = self._pairs(names, words[:-1][keep], words[1:][keep], docs[1:][keep])
        pair_lengths = np.where(paired, np.maximum(counts - 1, 0), 0)
        return ({self.text_field: text, self.pairs_field: pairs},
                {self.text_field: text_lengths, self.pairs_field: pair_lengths})  # fmt: skip

    def _pairs(
        self, names: list[bytes], first: np.ndarray, second: np.ndarray, docs: np.ndarray
    ) -> _Postings:
        """The pairs field's postings: each pair of term numbers in ``names`` at ``first``
        and ``second`` is a term ``first|second``, found in the document ``docs``.

        The pairs are sorted as numbers, without naming each: "a|b" sorts before "c|d" as
        "a|" sorts before "c|" (the first words are numbered in that order), then as b
        before d (``names`` is sorted). That holds while no word holds "|", which the
        analysis drops as punctuation.
        """
        if any(_PAIR in name for name in names):
            raise ValueError('search index: a word holds the pairs\' separator "|"')
        first_order = sorted(range(len(names)), key=lambda n: names[n] + _PAIR)
        first_rank = np.empty(len(names), dtype=np.int64)
        first_rank[first_order] = np.arange(len(names))
        first, second, docs = _sorted_together(first_rank[first], second, docs)
        starts = _starts(first, second, docs)
        new_term = np.zeros(len(starts), dtype=bool)
        new_term[_starts(first[starts], second[starts])] = True
        pair_names = [names[first_order[a]] + _PAIR + names[b]
                      for a, b in zip(first[starts][new_term].tolist(),
                                      second[starts][new_term].tolist(), strict=True)]  # fmt: skip
        frequencies = _runs(starts, len(first))
        boost = self._boost[self.pairs_field]
        return _Postings(pair_names, np.cumsum(new_term) - 1, docs[starts],
                         (frequencies * boost).astype(np.float32),  # Frequency.encode:
                         _FixedValues(_big_endian(frequencies, ">u4")))  # fmt: skip

    def _field_postings(self, name: str, field) -> tuple[_Postings, np.ndarray]:
        """Another field's postings, as its Whoosh field type indexes each value, and each
        document's length in it. Each distinct value is indexed once (filter values repeat,
        and a date field alone costs ~12 µs to index); its terms then go to every document
        that holds it as arrays."""
        distinct, docs, value_of = _Numbered(), array("q"), array("q")
        for docnum, fields in enumerate(self.others):
            value = fields.get(name)
            if value is not None:
                docs.append(docnum)
                value_of.append(distinct[value])
        # Each value's rows (term, frequency, weight, encoded value), one after another.
        indexed = [list(field.index(value)) for value in distinct.order]
        counts = np.fromiter(map(len, indexed), dtype=np.int64, count=len(indexed))
        listed = list(chain.from_iterable(indexed))
        names = sorted({row[0] for row in listed})
        number = {term: n for n, term in enumerate(names)}
        item_term = np.array([number[row[0]] for row in listed], dtype=np.int64)
        frequency = np.array([row[1] for row in listed], dtype=np.int64)
        weight = np.array([row[2] for row in listed], dtype=np.float32)
        # Each document's postings: the rows of its value (``item``: each posting's row).
        docs, value_of = np.frombuffer(docs, dtype=np.int64), np.frombuffer(value_of, np.int64)
        per_doc = counts[value_of]
        first = _before(counts)
        item = _ranges(first[value_of], per_doc)
        term, doc, item = _sorted_together(item_term[item], np.repeat(docs, per_doc), item)
        lengths = np.zeros(len(self.others), dtype=np.int64)
        if field.scorable:
            of_value = np.repeat(np.arange(len(counts)), counts)
            value_lengths = np.bincount(of_value, frequency, minlength=len(counts))
            lengths[docs] = value_lengths[value_of]
        encoded = [row[3] for row in listed]
        sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        values = _Values(np.frombuffer(b"".join(encoded), dtype=np.uint8), sizes[item],
                         _before(sizes)[item])  # fmt: skip
        return _Postings(names, term, doc, weight[item], values), lengths

    def _write_per_document(self, lengths: dict[str, np.ndarray]) -> None:
        """Each document's stored fields, sort columns and field lengths, as the codec's
        per-document writer keeps them (written column by column, not document by document)."""
        perdoc, others = self.perdoc, self.others
        names = sorted(set(self._fields) - {self.text_field, self.pairs_field})
        stored = [name for name in names if self._fields[name].stored]
        writer = perdoc._colwriters["_stored"]
        for docnum, fields in enumerate(others):
            kept = {name: fields[name] for name in stored if name in fields}
            if kept:
                writer.add(docnum, kept)
        for name in names:
            field = self._fields[name]
            if field.column_type is None:
                continue
            perdoc._create_column(name, field.column_type)
            writer = perdoc._colwriters[name]
            for docnum, fields in enumerate(others):
                value = fields.get(name)
                if value is not None:
                    writer.add(docnum, field.to_column_value(value))
        for name in sorted(lengths):
            found = lengths[name]
            documents = np.flatnonzero(found)
            if not len(documents):
                continue
            perdoc._create_column(_lenfield(name), LENGTHS_COLUMN)
            writer = perdoc._colwriters[_lenfield(name)]
            bytes_ = _length_bytes(found[documents])
            for docnum, byte in zip(documents.tolist(), bytes_.tolist(), strict=True):
                writer.add(docnum, byte)
            perdoc._fieldlengths[name] += int(found.sum())
        perdoc._doccount = self.docnum
        perdoc.close()

    def cancel(self) -> None:
        """Close and delete what was written of the segment (after a failure)."""
        try:
            if not self.perdoc.is_closed:
                self.perdoc.close()
        finally:
            _delete(self.storage, self.segment)
        self._clear()


def _delete(storage, segment) -> None:
    """A segment's files (one that never made it into the index)."""
    for name in segment.list_files(storage):
        storage.delete_file(name)


def _write_terms(writer, postings: _Postings, lengths: np.ndarray, fixed_size) -> None:
    """One field's share of the segment's term table and postings file, as ``W3FieldWriter``
    writes them (``start_term``, ``add`` per posting, ``finish_term``): each term's tag,
    then its blocks of postings, each block its size, its statistics (pickled) and its
    postings (pickled: document numbers, weights, values).

    Whoosh's posting writer takes a posting at a time, and its term table a row at a time
    in several calls: most terms of a segment have one posting, so those calls were most
    of the segment's writing time (~35 µs a term), and pickling each block one by one still
    ~10 µs. Here the field's whole postings file and term table are laid out as arrays of
    bytes: every block's and term's statistics are worked out at once, and so is every
    pickle, written opcode by opcode as ``pickle`` writes them.

    A block's postings are pickled by protocol 3 (Whoosh's own writer uses 2, which pickles
    each bytes value as a call to _codecs.encode, 12 times slower to read) and left
    uncompressed (each block records whether it is; readers go by that): zlib took a quarter
    of the writing time for postings 2.6 times smaller, and searches read them without
    inflating. The codec writes no term's postings inline (``inlinelimit`` 1).
    """
    term, doc, weight = postings.term, postings.doc, postings.weight
    count = len(term)
    term_starts = _starts(term)
    per_term = _runs(term_starts, count)
    # Blocks of up to BLOCK_LIMIT postings, each within one term.
    within = _ranges(0, per_term)
    starts = np.flatnonzero(within % BLOCK_LIMIT == 0)
    sizes = _runs(starts, count)
    block_of = np.repeat(np.arange(len(starts)), sizes)  # each posting's block
    first = np.ones(len(starts), dtype=bool)  # the first block of its term
    first[1:] = within[starts[1:]] == 0
    last = np.append(first[1:], True)  # the last block of its term
    first_blocks = np.flatnonzero(first)
    # Each posting's document length as a byte (256: none, for minima); the block's and
    # the term's statistics, as W3PostingsWriter and W3TermInfo.add_block keep them.
    length = lengths[doc]
    byte = _length_bytes(length)
    shortest = np.minimum.reduceat(np.where(length > 0, byte, 256), starts)
    longest = np.maximum.reduceat(byte, starts)
    heaviest = np.maximum.reduceat(weight, starts)
    lightest = np.minimum.reduceat(weight, starts)
    block_weights = np.add.reduceat(weight.astype(np.float64), starts)

    # A block's statistics: (postings, last document, most weight, compression 0, shortest
    # and longest length as bytes), pickled as a tuple.
    info = [_coded(sizes), _coded(doc[starts + sizes - 1]),
            _coded(np.where(shortest == 256, 0, shortest)), _coded(longest)]  # fmt: skip
    info_size = 3 + 9 + 2 + 2 + sum(used for _rows, used in info)
    # Its postings: the documents as gaps (the first whole), pickled as ints...
    gaps = doc - np.concatenate(([0], doc[:-1]))
    gaps[starts] = doc[starts]
    gap_rows, gap_used = _coded(gaps)
    gap_bytes = np.add.reduceat(gap_used, starts)
    # ... the weights: None if all are 1, one float if all are equal, else a tuple of them...
    same = lightest == heaviest
    ones = same & (heaviest == 1.0)
    weight_bytes = np.where(same, np.where(ones, 1, 9), 2 + 9 * sizes)
    # ... and the values: a tuple of those not empty (formats of no fixed size, such as
    # Positions), all of them joined in one bytes value (Frequency), or None (Existence).
    value_lengths = postings.values.lengths
    in_tuple = fixed_size is None or fixed_size < 0
    if in_tuple:
        header_rows, header_used = _coded(value_lengths, _BYTES)
        header_used[value_lengths == 0] = 0
        piece = header_used + value_lengths
        value_bytes = 2 + np.add.reduceat(piece, starts)
    elif fixed_size:
        joined = np.add.reduceat(value_lengths, starts)
        header_rows, header_used = _coded(joined, _BYTES)
        value_bytes = header_used + joined
    else:
        value_bytes = np.ones(len(starts), dtype=np.int64)
    block_size = info_size + 3 + gap_bytes + 1 + weight_bytes + value_bytes + 2
    # Laid out: a term's tag, then each of its blocks: size (negative: the last), then it.
    taken = 4 * first + 4 + block_size
    block_at = _before(taken) + 4 * first
    buffer = np.empty(int(taken.sum()), dtype=np.uint8)
    _put(buffer, block_at[first] - 4, WHOOSH3_HEADER_MAGIC)
    _put(buffer, block_at, _big_endian(np.where(last, -block_size, block_size), ">i4"))
    at = block_at + 4
    _put(buffer, at, b"\x80\x02(")  # protocol 2, a tuple's items follow
    at = at + 3
    for rows, used in info[:2]:
        _put(buffer, at, rows, used)
        at = at + used
    buffer[at] = ord("G")  # a float, big-endian
    _put(buffer, at + 1, _big_endian(np.maximum(heaviest, 0), ">f8"))
    _put(buffer, at + 9, b"K\x00")  # compression: none
    at = at + 11
    for rows, used in info[2:]:
        _put(buffer, at, rows, used)
        at = at + used
    _put(buffer, at, b"t.")  # the tuple, the end
    at = at + 2
    _put(buffer, at, b"\x80\x03(")  # protocol 3; the postings' tuple of three
    at = at + 3
    _put(buffer, at[block_of] + _within(gap_used, starts, block_of), gap_rows, gap_used)
    at = at + gap_bytes
    buffer[at] = ord("t")
    at = at + 1
    buffer[at[ones]] = ord("N")
    single = same & ~ones
    buffer[at[single]] = ord("G")
    _put(buffer, at[single] + 1, _big_endian(heaviest[single], ">f8"))
    varied = ~same
    buffer[at[varied]] = ord("(")
    spread = varied[block_of]  # the postings in blocks of varied weights
    where = at[block_of[spread]] + 1 + 9 * _ranges(0, sizes)[spread]
    buffer[where] = ord("G")
    _put(buffer, where + 1, _big_endian(weight[spread], ">f8"))
    buffer[at[varied] + 1 + 9 * sizes[varied]] = ord("t")
    at = at + weight_bytes
    if in_tuple:
        buffer[at] = ord("(")
        where = at[block_of] + 1 + _within(piece, starts, block_of)
        _put(buffer, where, header_rows, header_used)
        postings.values.write(buffer, where + header_used)
        buffer[at + value_bytes - 1] = ord("t")
    elif fixed_size:
        _put(buffer, at, header_rows, header_used)
        where = (at + header_used)[block_of] + _within(value_lengths, starts, block_of)
        postings.values.write(buffer, where)
    else:
        buffer[at] = ord("N")
    _put(buffer, at + value_bytes, b"\x87.")  # the tuple of three, the end
    postfile = writer._postfile
    base = postfile.tell()
    postfile.write(buffer.tobytes())

    # The term table: a row per term, as W3TermInfo.to_bytes packs it (not inlined), under
    # the field's number and the term, as OrderedHashWriter.add, then HashWriter.add keep it.
    rows = np.zeros(len(term_starts), dtype=_TERM_ROW)
    rows["weight"] = np.add.reduceat(block_weights, first_blocks)
    rows["df"] = per_term
    shortest_of_term = np.minimum.reduceat(shortest, first_blocks)
    rows["minlength"] = np.where(shortest_of_term == 256, 0, shortest_of_term)
    rows["maxlength"] = np.maximum.reduceat(longest, first_blocks)
    rows["maxweight"] = np.maximum(np.maximum.reduceat(heaviest, first_blocks), 0)
    rows["minid"] = doc[term_starts]
    rows["maxid"] = doc[term_starts + per_term - 1]
    rows["offset"] = base + block_at[first] - 4
    rows["length"] = block_at[last] + block_size[last] - (block_at[first] - 4)
    prefix = pack_ushort(writer._fieldid)
    keys = [prefix + name for name in postings.terms]
    key_lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    entry_at = _before(8 + key_lengths + _TERM_ROW.itemsize)
    entries = np.empty(int(entry_at[-1] + 8 + key_lengths[-1] + _TERM_ROW.itemsize), np.uint8)
    _put(entries, entry_at, _big_endian(key_lengths, ">i4"))
    _put(entries, entry_at + 4, _TERM_ROW.itemsize.to_bytes(4, "big"))
    keys_bytes = np.frombuffer(b"".join(keys), dtype=np.uint8)
    _copy(entries, entry_at + 8, keys_bytes, _before(key_lengths), key_lengths)
    _put(entries, entry_at + 8 + key_lengths, rows.view(np.uint8).reshape(len(rows), -1))
    table = writer._tindex  # an OrderedHashWriter
    places = (table.dbfile.tell() + entry_at).tolist()
    table.dbfile.write(entries.tobytes())
    table.index.extend(places)
    hashfn, buckets = table.hashfn, table.buckets
    for key, place in zip(keys, places, strict=True):
        found = hashfn(key)
        buckets[found & 255].append((found, place))
    table.lastkey = keys[-1]


def _write_segments(index, docs: Iterable[Mapping[str, Any]], text_field: str,
                    pairs_field: str) -> list:  # fmt: skip
    """Write ``docs`` as segments, starting a new one whenever the postings held in memory
    reach ``MAX_HELD``; a failure deletes what this call wrote and raises."""
    segments = []
    builder = SegmentBuilder(index, text_field, pairs_field)
    try:
        for doc_fields in docs:
            builder.add(doc_fields)
            if builder.held >= MAX_HELD:
                segments.append(builder.finish())
                builder = SegmentBuilder(index, text_field, pairs_field)
        if builder.docnum:
            segments.append(builder.finish())
    except BaseException:
        builder.cancel()
        for segment in segments:
            _delete(index.storage, segment)
        raise
    return segments


def _batches(connection) -> Iterator[Mapping[str, Any]]:
    while (batch := connection.recv()) is not None:
        yield from batch


def _write_from(index, text_field: str, pairs_field: str, connection) -> None:
    """A writing process: batches of documents until None, then its segments sent back."""
    try:
        segments = _write_segments(index, _batches(connection), text_field, pairs_field)
        connection.send(("ok", segments))
    except BaseException as error:  # reported to the parent, which raises
        connection.send(("error", f"{type(error).__name__}: {error!r}"))
    finally:
        connection.close()


def write_index(
    index, docs: Iterable[Mapping[str, Any]], *, text_field: str, pairs_field: str,
    procs: int = 0,
) -> int:  # fmt: skip
    """Replace the whole of ``index`` (whose write lock the caller holds) with ``docs``.

    ``procs`` writing processes (0: one per CPU, at most 4) each write a segment; documents
    are handed out in batches in turn. With one, the documents are written in this process.
    Returns the number of documents written.
    """
    procs = procs or min(4, os.cpu_count() or 1)
    generation = index.latest_generation() + 1
    if procs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        segments = _write_segments(index, docs, text_field, pairs_field)
        count = sum(segment.doc_count_all() for segment in segments)
    else:
        segments, count = _write_in_processes(index, docs, text_field, pairs_field, procs)
    TOC(index.schema, segments, generation).write(index.storage, index.indexname)
    clean_files(index.storage, index.indexname, generation, segments)
    # The column files' scratch folder, as Whoosh's own writer removes it when it finishes.
    index.storage.temp_storage(f"{index.indexname}.tmp").destroy()
    return count


def _write_in_processes(index, docs, text_field, pairs_field, procs):
    # Forked, not spawned: the children need only the index and these functions; the
    # parent's database connections are never used in them (and they leave by os._exit).
    context = multiprocessing.get_context("fork")
    pipes, workers = [], []
    for _ in range(procs):
        parent, child = context.Pipe()
        worker = context.Process(
            target=_write_from, args=(index, text_field, pairs_field, child), daemon=True
        )
        with warnings.catch_warnings():
            # Python 3.12+ warns when a process with threads forks: a child could find a
            # lock held by a thread that was not copied. These children take none the
            # parent's threads use: they read their pipe, segment and write files.
            warnings.simplefilter("ignore", DeprecationWarning)
            worker.start()
        child.close()
        pipes.append(parent)
        workers.append(worker)
    count = 0
    try:
        iterator = iter(docs)
        turn = 0
        try:
            while batch := list(itertools.islice(iterator, BATCH)):
                pipes[turn % procs].send(batch)
                count += len(batch)
                turn += 1
            for pipe in pipes:
                pipe.send(None)
        except (BrokenPipeError, ConnectionResetError) as error:  # a process gave up
            raise RuntimeError(f"search rebuild: {_failure(pipes)}") from error
        segments = []
        for pipe in pipes:
            try:
                status, found = pipe.recv()
            except EOFError:
                status, found = "error", "a writing process ended without its segment"
            if status != "ok":
                raise RuntimeError(f"search rebuild: a writing process failed: {found}")
            segments += found
    except BaseException:
        for worker in workers:
            worker.terminate()
        raise
    for worker in workers:
        worker.join()
    return segments, count


def _failure(pipes) -> str:
    """What the writing process that stopped reading said before it went."""
    for pipe in pipes:
        try:
            if pipe.poll():
                status, found = pipe.recv()
                if status != "ok":
                    return f"a writing process failed: {found}"
        except (EOFError, OSError):
            continue
    return "a writing process ended early"
