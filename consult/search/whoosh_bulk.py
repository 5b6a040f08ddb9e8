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

import multiprocessing
import os
from array import array
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

from whoosh.codec import default_codec
from whoosh.index import TOC, clean_files
from whoosh.system import pack_uint

from consult.search.analysis import analyse, pairs_of

# Documents go to the writing processes in batches of this many: few enough messages that
# sending them costs little, small enough that a point's comments stay in one stretch.
BATCH = 2000
# Posting blocks of fewer postings are written uncompressed (see _fill_blocks).
COMPRESS_FROM = 16


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
        self._scorable = {name: field.scorable for name, field in self.schema.items()}
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

    def _analysed(self, text: str) -> dict[str, list[tuple[bytes, int, float, bytes]]]:
        """(term, frequency, weight, value) of the text and pairs fields, as their formats
        would give them: positions for the words, frequencies for the pairs."""
        found_tokens, words = analyse(text)
        terms = self._terms
        positions: dict[bytes, list[int]] = {}  # by term: words differing in case are one
        slot = positions.setdefault
        for word, position, _start, _end in found_tokens:
            slot(terms.get(word) or self._term(word), []).append(position)
        counts: dict[str, int] = {}
        for pair in pairs_of(words):
            counts[pair] = counts.get(pair, 0) + 1
        boost, pair_boost = self._boost[self.text_field], self._boost[self.pairs_field]
        return {
            self.text_field: [
                (term, len(places), len(places) * boost, self._positions_value(places))
                for term, places in positions.items()
            ],
            self.pairs_field: [
                (pair.encode(), n, n * pair_boost, self._frequency_value(n))
                for pair, n in counts.items()
            ],
        }

    def add(self, doc_fields: Mapping[str, Any]) -> None:
        schema, perdoc, docnum = self.schema, self.perdoc, self.docnum
        analysed = self._analysed(doc_fields[self.text_field])
        perdoc.start_doc(docnum)
        for name in sorted(doc_fields):
            value = doc_fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                items = analysed.get(name)
                if items is None and field.unique:
                    items = list(field.index(value))
                elif items is None:
                    items = self._indexed.get((name, value))
                    if items is None:
                        items = self._indexed[(name, value)] = list(field.index(value))
                terms = self.terms.get(name)
                if terms is None:
                    terms = self.terms[name] = {}
                for btext, freq, weight, vbytes in items:
                    found = terms.get(btext)
                    if found is None:
                        found = terms[btext] = _Postings()
                    found.docnums.append(docnum)
                    found.weights.append(weight)
                    found.values.append(vbytes)
                    length += freq
                self.held += len(items)
                if not self._scorable[name]:
                    length = 0
                lengths = self.lengths.get(name)
                if lengths is None:
                    lengths = self.lengths[name] = array("I")
                lengths.extend([0] * (docnum + 1 - len(lengths)))
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
            for name in self.segment.list_files(self.storage):
                self.storage.delete_file(name)
        self.terms, self.lengths = {}, {}


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


def _write_from(index, text_field: str, pairs_field: str, connection) -> None:
    """A writing process: batches of documents until None, then its segment sent back."""
    builder = SegmentBuilder(index, text_field, pairs_field)
    try:
        while (batch := connection.recv()) is not None:
            for doc_fields in batch:
                builder.add(doc_fields)
        connection.send(("ok", builder.finish() if builder.docnum else None))
    except BaseException as error:  # reported to the parent, which raises
        builder.cancel()
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
        builder = SegmentBuilder(index, text_field, pairs_field)
        try:
            for doc_fields in docs:
                builder.add(doc_fields)
            segments = [builder.finish()] if builder.docnum else []
        except BaseException:
            builder.cancel()
            raise
        count = builder.docnum
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
        worker.start()
        child.close()
        pipes.append(parent)
        workers.append(worker)
    count = 0
    try:
        iterator = iter(docs)
        turn = 0
        try:
            while batch := list(islice(iterator, BATCH)):
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
            if found is not None:
                segments.append(found)
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
