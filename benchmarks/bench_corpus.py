"""How fast the corpus generator runs (issue: benchmarks; 1M comments in a few minutes)."""

from __future__ import annotations

from benchmarks.harness import Context, record


def run(ctx: Context):
    seconds = ctx.extra["corpus_seconds"]
    groups = ctx.corpus.duplicate_groups()
    planted = sum(len(ids) for ids in groups.values())
    yield record(
        ctx,
        "corpus.generate",
        [ctx.size / seconds],
        "comments/s",
        comments=ctx.size,
        drafts=len(ctx.corpus.drafts),
        duplicate_groups=len(groups),
        duplicate_share=round(planted / max(1, ctx.size), 3),
        checksum=ctx.corpus.checksum(),
    )
