"""Writing a whole Whoosh index at once: the rebuild's fast path.

Whoosh's own writer sends every posting through a general pipeline: a token object per word
and field, a sorting pool spilled to temporary files, and, when the segment is written,
a lookup of the document's field length for each posting. Measured on the benchmark corpus,
that pipeline cost about 2 ms per comment, and the segmentation fed into it another 0.6 ms
(the text and the word pairs each segmented on their own).

Here each document is segmented once (:func:`consult.search.analysis.index_words` gives
both the positions and the pairs), its postings are gathered per term in memory, and the
segment is written in term order, as Whoosh's own writer writes it: the same files, the same
postings (a test compares the two indexes posting by posting), except that the posting
blocks are not compressed (see _TermTable).
Several processes each write a segment of their own; the new segments replace the index in
one commit of its table of contents.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import warnings
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, pairwise, repeat
from operator import sub
from pickle import dumps
from struct import Struct
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.formats import Positions
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte

from consult.search.analysis import PAIR, index_words

# Documents go to the writing processes in batches of this many: few enough messages that
# sending them costs little, small enough that a point's comments stay in one stretch.
BATCH = 2000
# The codec's settings, which _TermTable writes by: Whoosh's defaults, as its own writer
# uses them (postings per block, zlib's level, postings inlined in the term table: none).
BLOCK_LIMIT, COMPRESSION, INLINE_LIMIT = 128, 3, 1
_PAIR = PAIR.encode()
_TERM_ROW = W3TermInfo._struct.pack  # a term table row: W3TermInfo.to_bytes
_KEY_VALUE = Struct("!ii").pack  # a key's and its value's lengths: HashWriter.add
# A writing process starts a new segment when it holds this many postings in memory (about
# 60,000 comments' worth, ~1 GB): a large rebuild then needs no more memory than that.
MAX_HELD = 12_000_000


class _Encoded(dict):
    """A key -> ``encode(key)``, worked out once per key (positions, frequencies)."""

    def __init__(self, encode) -> None:
        super().__init__()
        self.encode = encode

    def __missing__(self, key):
        found = self[key] = self.encode(key)
        return found


# A posting's weight as a block keeps it: a 32-bit float (weights repeat: counts, boosts).
_FLOAT32 = _Encoded(lambda weight: array("f", (weight,))[0])


def _no_terms() -> defaultdict[str, defaultdict[bytes, list]]:
    return defaultdict(lambda: defaultdict(list))


def _encode_positions(positions: list[int]) -> bytes:
    """``Positions.encode``: the count, then the pickled gaps (without a Python loop)."""
    return pack_uint(len(positions)) + dumps(list(map(sub, positions, chain((0,), positions))), 2)


class SegmentBuilder:
    """One new segment of ``index``: documents in, their postings gathered, then written.

    ``text_field`` is segmented by :func:`index_words` (words with positions);
    ``pairs_field`` gets that same segmentation's adjacent word pairs (frequencies). Every
    other field is indexed by its own Whoosh field type.

    A term's postings are gathered in one flat list: document number, weight, value, and
    again for the next document (a list of references costs less memory than one of tuples).
    A document adds its postings to these lists through ``map``, without a Python loop.
    """

    def __init__(self, index, text_field: str, pairs_field: str):
        self.schema = index.schema
        self.codec = W3Codec(BLOCK_LIMIT, COMPRESSION, INLINE_LIMIT)
        self.storage = index.storage
        self.segment = self.codec.new_segment(self.storage, index.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self.text_field = text_field
        self.pairs_field = pairs_field
        # field -> term -> [docnum, weight, value, docnum, weight, value, ...]
        self.terms: dict[str, defaultdict[bytes, list]] = _no_terms()
        self.lengths: dict[str, array] = {}  # field -> each document's field length
        self.docnum = 0
        self.held = 0  # postings gathered so far
        text, pairs = self.schema[text_field], self.schema[pairs_field]
        self._words = _Encoded(lambda word: word.lower().encode())  # a word -> its term
        self._parts: dict[str, tuple[bytes, ...]] = {}  # a word -> its finer words' terms
        encode = _encode_positions if type(text.format) is Positions else text.format.encode
        self._one_position = _Encoded(lambda position: encode([position]))
        self._encode_positions = encode
        self._frequency = _Encoded(pack_uint)
        # (field, value) -> what the field's type indexes for it: filter values repeat
        # (a task's, a point's, a day's), and a date field alone costs ~70 µs to index.
        self._indexed: dict[tuple[str, Any], list[tuple[bytes, int, float, bytes]]] = {}
        self._fields = dict(self.schema.items())
        self._boost = {text_field: text.format.field_boost, pairs_field: pairs.format.field_boost}

    def _post(self, name: str, docnum: int, terms, weights, values) -> None:
        """One document's postings of field ``name``: ``terms`` with their weights and
        values, each term once."""
        postings = self.terms[name]
        deque(map(list.extend, map(postings.__getitem__, terms),
                  zip(repeat(docnum), weights, values)), maxlen=0)  # fmt: skip

    def _finer(self, word: str, parts: tuple[str, ...]) -> tuple[bytes, ...]:
        found = self._parts[word] = tuple(self._words[part] for part in parts)
        return found

    def _post_words(self, docnum: int, words: list[str], terms: list[bytes], parts) -> int:
        """The text field's postings of one document (positions, as ``Positions`` encodes
        them); returns the field's length, its number of tokens."""
        finer = self._parts
        positions: dict[bytes, list[int]] = {}  # by term: words differing in case are one
        length = len(terms)
        for position, term in enumerate(terms):
            places = positions.get(term)
            if places is None:
                positions[term] = [position]
            else:
                places.append(position)
            word = words[position]
            inside = finer.get(word)
            if inside is None:
                inside = self._finer(word, parts[word])
            for part in inside:
                places = positions.get(part)
                if places is None:
                    positions[part] = [position]
                else:
                    places.append(position)
            length += len(inside)
        lists = list(positions.values())
        counts = list(map(len, lists))
        one, encode = self._one_position, self._encode_positions
        values = [one[p[0]] if len(p) == 1 else encode(p) for p in lists]
        boost = self._boost[self.text_field]
        weights = counts if boost == 1 else [count * boost for count in counts]
        self._post(self.text_field, docnum, positions, weights, values)
        self.held += len(lists)
        return length

    def _post_pairs(self, docnum: int, terms: list[bytes]) -> int:
        """The pairs field's postings of one document (``pairs_of`` the accurate words, as
        ``Frequency`` encodes them); returns the field's length, its number of pairs."""
        counts = Counter([first + _PAIR + second for first, second in pairwise(terms)])
        frequencies = list(counts.values())
        boost = self._boost[self.pairs_field]
        weights = frequencies if boost == 1 else [count * boost for count in frequencies]
        values = map(self._frequency.__getitem__, frequencies)
        self._post(self.pairs_field, docnum, counts, weights, values)
        self.held += len(frequencies)
        return max(0, len(terms) - 1)

    def _post_field(self, docnum: int, name: str, field, value: Any) -> int:
        """Any other field's postings, as its Whoosh field type indexes the value."""
        if field.unique:
            items = list(field.index(value))
        else:
            items = self._indexed.get((name, value))
            if items is None:
                items = self._indexed[(name, value)] = list(field.index(value))
        postings = self.terms[name]
        for term, _frequency, weight, encoded in items:
            postings[term].extend((docnum, weight, encoded))
        self.held += len(items)
        return sum(frequency for _term, frequency, _weight, _value in items)

    def add(self, doc_fields: Mapping[str, Any]) -> None:
        perdoc, docnum = self.perdoc, self.docnum
        words, parts = index_words(doc_fields[self.text_field])
        terms = list(map(self._words.__getitem__, words))
        perdoc.start_doc(docnum)
        for name in sorted(doc_fields):
            value = doc_fields[name]
            if value is None:
                continue
            field = self._fields.get(name)
            if field is None:
                raise ValueError(f"search index: unknown field {name!r}")
            length = 0
            if field.indexed:
                if name == self.text_field:
                    length = self._post_words(docnum, words, terms, parts)
                elif name == self.pairs_field:
                    length = self._post_pairs(docnum, terms)
                else:
                    length = self._post_field(docnum, name, field, value)
                if not field.scorable:
                    length = 0
                lengths = self.lengths.get(name)
                if lengths is None:
                    lengths = self.lengths[name] = array("I")
                if len(lengths) <= docnum:
                    lengths.extend(bytes(docnum + 1 - len(lengths)))
                lengths[docnum] = length
            perdoc.add_field(name, field, value if field.stored else None, length)
            column = field.column_type
            if column is not None:
                perdoc.add_column_value(name, column, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def finish(self):
        """Write the postings in term order, block by block, and close the segment."""
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        for name in sorted(self.terms):
            writer.start_field(name, self.schema[name])
            terms = self.terms[name]
            lengths = self.lengths[name]
            table = _TermTable(writer, lengths, self.schema[name].format.fixed_value_size())
            for btext in sorted(terms):
                table.write(btext, terms[btext])
            writer.finish_field()
        writer.close()
        self.terms, self.lengths = _no_terms(), {}
        segment = self.segment
        segment.set_doc_count(self.docnum)
        return segment  # left as separate files (see whoosh_backend.COMPOUND)

    def cancel(self) -> None:
        """Close and delete what was written of the segment (after a failure)."""
        try:
            if not self.perdoc.is_closed:
                self.perdoc.close()
        finally:
            _delete(self.storage, self.segment)
        self.terms, self.lengths = _no_terms(), {}


def _delete(storage, segment) -> None:
    """A segment's files (one that never made it into the index)."""
    for name in segment.list_files(storage):
        storage.delete_file(name)


class _TermTable:
    """One field's share of the segment's term table and postings file, as ``W3FieldWriter``
    writes them (``start_term``, ``add`` per posting, ``finish_term``).

    Whoosh's posting writer takes a posting at a time (type checks, running minima and
    maxima) and keeps a term's statistics block by block through several calls, and the
    term table's ``add`` writes a row in three writes after two checks; most terms of a
    segment have one posting, so those calls were most of the segment's writing time
    (~35 µs a term). Here a block is made from slices, a term of one posting without them,
    and each is written in one write. The codec writes no term's postings inline
    (``inlinelimit`` 1: see SegmentBuilder).
    """

    def __init__(self, writer, lengths: array, fixed_size: int | None):
        self.postfile = writer._postfile
        self.table = writer._tindex  # an OrderedHashWriter
        self.prefix = pack_ushort(writer._fieldid)
        self.lengths = lengths
        # how a block keeps its values: a tuple of them (values of no fixed size), joined
        # (a fixed size), or none at all (a size of 0)
        self.values = (
            "tuple" if fixed_size is None or fixed_size < 0 else "join" if fixed_size else None
        )

    def write(self, btext: bytes, postings: list) -> None:
        postfile = self.postfile
        offset = postfile.tell()
        if len(postings) == 3:
            block, stats = self._one(*postings)
        else:
            block, stats = self._blocks(postings)
        postfile.write(block)
        # the term's row, as W3TermInfo.to_bytes packs it (not inlined)
        row = _TERM_ROW(0, *stats) + pack_long(offset) + pack_int(postfile.tell() - offset)
        table, key = self.table, self.prefix + btext
        place = table.dbfile.tell()
        table.index.append(place)  # as OrderedHashWriter.add, then HashWriter.add
        table.dbfile.write(_KEY_VALUE(len(key), len(row)) + key + row)
        found = table.hashfn(key)
        table.buckets[found & 255].append((found, place))
        table.lastkey = key

    def _one(self, docnum: int, weight: float, value: bytes) -> tuple[bytes, tuple]:
        """A term of one posting: its block, and its row's statistics."""
        weight = _FLOAT32[weight]
        length = self.lengths[docnum]
        byte = length_to_byte(length)
        shortest = byte if length else 0  # a length of 0 counts as none
        values = self._minified([value] if value else [])
        data = dumps(((docnum,), None if weight == 1.0 else weight, values), 5)
        most = max(0, weight)
        info = dumps((1, docnum, most, 0, shortest, byte), 2)
        block = WHOOSH3_HEADER_MAGIC + pack_int(-len(info) - len(data)) + info + data
        return block, (weight, 1, shortest, byte, most, docnum, docnum)

    def _minified(self, present: list[bytes]):
        """A block's values (those not empty), as W3PostingsWriter._write_block keeps them."""
        if self.values == "tuple":
            return tuple(present)
        return b"".join(present) if self.values else None

    def _blocks(self, postings: list) -> tuple[bytes, tuple]:
        """A term's blocks of up to BLOCK_LIMIT postings, and its row's statistics."""
        limit, lengths = BLOCK_LIMIT, self.lengths
        docnums = array("I", postings[0::3])
        weights = array("f", postings[1::3])
        values = postings[2::3]
        total = len(docnums)
        written = [WHOOSH3_HEADER_MAGIC]
        weight, minlength, maxlength, maxweight = 0, None, 0, 0
        for start in range(0, total, limit):
            ids = docnums[start : start + limit]
            block_weights = weights[start : start + limit]
            block_lengths = list(map(lengths.__getitem__, ids))
            block_min = min(filter(None, block_lengths), default=None)
            block_max = max(0, max(block_lengths))
            block_weight = max(0, max(block_weights))
            # the term's statistics, as W3TermInfo.add_block keeps them
            weight += sum(block_weights)
            minlength = block_min if minlength is None else min(minlength, block_min)
            maxlength = max(maxlength, block_max)
            maxweight = max(maxweight, block_weight)
            # the block, as W3PostingsWriter._write_block minifies and writes it
            count = len(ids)
            if block_weights.count(1.0) == count:
                mini_weights = None
            elif block_weights.count(block_weights[0]) == count:
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            mini_values = self._minified([v for v in values[start : start + limit] if v])
            # Uncompressed (each block records whether it is; readers go by that): zlib
            # took a quarter of the writing time, ~150 µs a comment, for postings 2.6 times
            # smaller (30 MB instead of 79 at 20,000 comments), and searches read them
            # without inflating. Pickled by protocol 5, not Whoosh's 2, which pickles each
            # bytes value as a call to _codecs.encode (12 times slower to write, and read).
            ids_gaps = tuple(map(sub, ids, chain((0,), ids)))
            data = dumps((ids_gaps, mini_weights, mini_values), 5)
            info = dumps((count, ids[-1], block_weight, 0, length_to_byte(block_min),
                          length_to_byte(block_max)), 2)  # fmt: skip
            size = len(info) + len(data)
            written += (pack_int(-size if start + limit >= total else size), info, data)
        stats = (weight, total, 0 if minlength is None else length_to_byte(minlength),
                 length_to_byte(maxlength), maxweight, docnums[0], docnums[-1])  # fmt: skip
        return b"".join(written), stats


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
