"""Parse throughput of the legal-text parser (issue: drafts; target ≥ 1 M characters/s)."""

from __future__ import annotations

from benchmarks.harness import Context, record, timed
from consult.drafts.legal_text import parse

TARGET = {
    "value": 1_000_000,
    "unit": "chars/s",
    "what": "at least 1 M characters of input a second",
}


def run(ctx: Context):
    drafts = ctx.corpus.drafts
    law = [(name, text) for name, text in drafts if not name.startswith(("gen", "code"))]
    cases = []
    if law:
        cases.append(("parse.largest_corpus_document", max(law, key=lambda d: len(d[1]))))
    cases.append(("parse.code_1260_articles", next(d for d in drafts if d[0] == "code1260")))
    for name, (doc_name, text) in cases:
        seconds = timed(lambda text=text: parse(text), ctx.runs)
        throughput = [len(text) / s for s in seconds]
        yield record(
            ctx,
            name,
            throughput,
            "chars/s",
            target=TARGET,
            higher_is_better=True,
            document=doc_name,
            chars=len(text),
        )
