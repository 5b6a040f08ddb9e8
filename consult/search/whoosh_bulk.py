"""Writing a whole Whoosh index at once: the rebuild's fast path.

Whoosh's own writer sends every posting through a general pipeline: a token object per word
and field, a sorting pool spilled to temporary files, and, when the segment is written,
a lookup of the document's field length for each posting. Measured on the benchmark corpus,
that pipeline cost about 2 ms per comment, and the segmentation fed into it another 0.6 ms
(the text and the word pairs each segmented on their own).

Here each document is segmented once (:func:`consult.search.analysis.analyse` gives both
the positions and the pairs), its postings are gathered per term in memory, and the segment
is written through Whoosh's codec in term order, the way Whoosh's own writer writes it: the
same files, the same postings (a test compares the two indexes posting by posting).
Several processes each write a segment of their own; the new segments replace the index in
one commit of its table of contents.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import warnings
from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from whoosh.codec import default_codec
from whoosh.index import TOC, clean_files
from whoosh.system import pack_uint

from consult.search.analysis import PAIR, analyse

# Documents go to the writing processes in batches of this many: few enough messages that
# sending them costs little, small enough that a point's comments stay in one stretch.
BATCH = 2000
# Posting blocks of fewer postings are written uncompressed (see _fill_blocks).
COMPRESS_FROM = 16
_PAIR = PAIR.encode()
# A writing process starts a new segment when it holds this many postings in memory (about
# 60,000 comments' worth, ~1 GB): a large rebuild then needs no more memory than that.
MAX_HELD = 12_000_000


class _Postings:
    """One term's postings while a segment is gathered: document numbers, weights, values."""

    __slots__ = ("docnums", "values", "weights")

    def __init__(self) -> None:
        self.docnums = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []


class SegmentBuilder:
    """One new segment of ``index``: documents in, their postings gathered, then written.

    ``text_field`` is segmented by :func:`analyse` (words with positions); ``pairs_field``
    gets that same segmentation's adjacent word pairs (frequencies). Every other field is
    indexed by its own Whoosh field type.
    """

    def __init__(self, index, text_field: str, pairs_field: str):
        self.schema = index.schema
        self.codec = default_codec()
        self.storage = index.storage
        self.segment = self.codec.new_segment(self.storage, index.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self.text_field = text_field
        self.pairs_field = pairs_field
        self.terms: dict[str, dict[bytes, _Postings]] = {}
        self.lengths: dict[str, array] = {}  # field -> each document's field length
        self.docnum = 0
        self.held = 0  # postings gathered so far
        text, pairs = self.schema[text_field], self.schema[pairs_field]
        self._encode_positions = text.format.encode
        self._positions: dict[int, bytes] = {}  # one position -> its encoding (most postings)
        self._frequencies: dict[int, bytes] = {}
        self._terms: dict[str, bytes] = {}  # a word -> its term (lower case, UTF-8)
        # (field, value) -> what the field's type indexes for it: filter values repeat
        # (a task's, a point's, a day's), and a date field alone costs ~70 µs to index.
        self._indexed: dict[tuple[str, Any], list[tuple[bytes, int, float, bytes]]] = {}
        self._fields = dict(self.schema.items())
        self._boost = {text_field: text.format.field_boost, pairs_field: pairs.format.field_boost}

    def _positions_value(self, positions: list[int]) -> bytes:
        if len(positions) > 1:
            return self._encode_positions(positions)
        found = self._positions.get(positions[0])
        if found is None:
            found = self._positions[positions[0]] = self._encode_positions(positions)
        return found

    def _term(self, word: str) -> bytes:
        found = self._terms[word] = word.lower().encode()
        return found

    def _frequency_value(self, frequency: int) -> bytes:
        found = self._frequencies.get(frequency)
        if found is None:
            found = self._frequencies[frequency] = pack_uint(frequency)
        return found

    def _post(self, name: str, docnum: int, items: Iterable[tuple[bytes, float, bytes]]) -> None:
        """One document's (term, weight, value) postings of field ``name``."""
        terms = self.terms.get(name)
        if terms is None:
            terms = self.terms[name] = {}
        for term, weight, value in items:
            entry = terms.get(term)
            if entry is None:
                entry = terms[term] = _Postings()
            entry.docnums.append(docnum)
            entry.weights.append(weight)
            entry.values.append(value)
            self.held += 1

    def _post_words(self, docnum: int, found_tokens: list[tuple[str, int, int, int]]) -> int:
        """The text field's postings of one document (positions, as ``Positions`` encodes
        them); returns the field's length, its number of tokens."""
        cache = self._terms
        positions: dict[bytes, list[int]] = {}  # by term: words differing in case are one
        for word, position, _start, _end in found_tokens:
            term = cache.get(word) or self._term(word)
            places = positions.get(term)
            if places is None:
                positions[term] = [position]
            else:
                places.append(position)
        boost = self._boost[self.text_field]
        self._post(self.text_field, docnum, (
            (term, len(places) * boost, self._positions_value(places))
            for term, places in positions.items()
        ))  # fmt: skip
        return len(found_tokens)

    def _post_pairs(self, docnum: int, words: list[str]) -> int:
        """The pairs field's postings of one document (``pairs_of`` the accurate words, as
        ``Frequency`` encodes them); returns the field's length, its number of pairs."""
        cache = self._terms
        found = [cache.get(word) or self._term(word) for word in words]
        counts: dict[bytes, int] = {}
        for first, second in itertools.pairwise(found):
            pair = first + _PAIR + second
            counts[pair] = counts.get(pair, 0) + 1
        boost = self._boost[self.pairs_field]
        self._post(self.pairs_field, docnum, (
            (pair, count * boost, self._frequency_value(count)) for pair, count in counts.items()
        ))  # fmt: skip
        return max(0, len(found) - 1)

    def _post_field(self, docnum: int, name: str, field, value: Any) -> int:
        """Any other field's postings, as its Whoosh field type indexes the value."""
        if field.unique:
            items = list(field.index(value))
        else:
            items = self._indexed.get((name, value))
            if items is None:
                items = self._indexed[(name, value)] = list(field.index(value))
        self._post(name, docnum, ((term, weight, value) for term, _f, weight, value in items))
        return sum(frequency for _term, frequency, _weight, _value in items)

    def add(self, doc_fields: Mapping[str, Any]) -> None:
        perdoc, docnum = self.perdoc, self.docnum
        found_tokens, words = analyse(doc_fields[self.text_field])
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
                    length = self._post_words(docnum, found_tokens)
                elif name == self.pairs_field:
                    length = self._post_pairs(docnum, words)
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
            for btext in sorted(terms):
                writer.start_term(btext)
                _fill_blocks(writer._postwriter, terms[btext], lengths)
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self.terms, self.lengths = {}, {}
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
        self.terms, self.lengths = {}, {}


def _delete(storage, segment) -> None:
    """A segment's files (one that never made it into the index)."""
    for name in segment.list_files(storage):
        storage.delete_file(name)


def _fill_blocks(postings_writer, postings: _Postings, lengths: array) -> None:
    """A term's postings into the codec's posting writer, a whole block at a time.

    ``W3PostingsWriter.add_posting`` does this one posting at a time (type checks, running
    minima and maxima: most of the segment's writing time); these are the same blocks,
    with the same statistics, filled with slices. The last block is left buffered for
    ``finish_term``, which writes it (or inlines a single posting) as it always does.
    """
    limit = postings_writer._blocklimit
    compression = postings_writer._compression
    docnums, weights, values = postings.docnums, postings.weights, postings.values
    total = len(docnums)
    for start in range(0, total, limit):
        ids = docnums[start : start + limit]
        block_lengths = [lengths[d] for d in ids]
        nonzero = [n for n in block_lengths if n]
        postings_writer._ids = ids
        postings_writer._weights = weights[start : start + limit]
        postings_writer._values = [v for v in values[start : start + limit] if v]
        postings_writer._maxweight = max(0, max(postings_writer._weights))
        postings_writer._minlength = min(nonzero) if nonzero else None
        postings_writer._maxlength = max(0, max(block_lengths))
        # zlib costs ~15 µs a call whatever the size: only blocks worth it are compressed
        # (each block records whether it is; readers decompress by that flag).
        postings_writer._compression = compression if len(ids) >= COMPRESS_FROM else 0
        if start + limit < total:
            postings_writer._write_block()


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
