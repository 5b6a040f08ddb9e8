"""`make bench` / `python -m benchmarks [--size 10k] [--only NAME] [--runs N]`.

Prints one JSON object per measurement to stdout and to benchmarks/results/latest.jsonl.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from benchmarks import (
    bench_corpus,
    bench_import,
    bench_parse,
    bench_record,
    bench_review,
    bench_search,
    bench_stats,
)
from benchmarks.corpus import generate
from benchmarks.harness import SIZES, Context, Reporter, machine

BENCHMARKS = {
    "corpus": bench_corpus.run,
    "parse": bench_parse.run,
    "import": bench_import.run,
    "http": bench_record.run,
    "search": bench_search.run,
    "review": bench_review.run,
    "stats": bench_stats.run,
}

# Groups whose run also yields measurements under another name.
ALSO_MEASURES = {"import": ("render",)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", default=os.environ.get("BENCH_SIZE", "10k"), choices=SIZES)
    parser.add_argument(
        "--only", action="append", default=[], help="run benchmarks whose name contains this"
    )
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "7")))
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)

    # CONSULT_DATABASE_URL (as the app reads it) or CONSULT_BENCH_DATABASE_URL names the
    # database the benchmarks build in; it must be an empty database made for them.
    url = os.environ.get("CONSULT_BENCH_DATABASE_URL") or os.environ.get("CONSULT_DATABASE_URL")
    if url:
        os.environ["CONSULT_BENCH_DATABASE_URL"] = url
    backend = "postgresql" if (url or "").startswith("postgres") else "sqlite"
    reporter = Reporter()
    started = time.perf_counter()
    reporter.emit({"name": "machine", **machine(), "size": args.size, "backend": backend})
    ctx = Context(args.size, SIZES[args.size], backend, args.runs)
    for group, run in BENCHMARKS.items():
        # --only filters by measurement name; skip whole groups that cannot match
        names = (group, *ALSO_MEASURES.get(group, ()))
        if args.only and not any(
            part in name or name in part for part in args.only for name in names
        ):
            continue
        if group != "stats" and ctx.corpus is None:  # the statistics generate their own data
            corpus_start = time.perf_counter()
            ctx.corpus = generate(SIZES[args.size], seed=args.seed)
            ctx.extra["corpus_seconds"] = time.perf_counter() - corpus_start
        for item in run(ctx):
            if args.only and not any(part in item["name"] for part in args.only):
                continue
            reporter.emit(item)
    reporter.emit({"name": "total", "seconds": round(time.perf_counter() - started, 2)})
    reporter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
