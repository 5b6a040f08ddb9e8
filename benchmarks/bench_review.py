"""Duplicate grouping: time, peak memory, precision and recall against the planted groups.

The corpus plants ~30 % exact copies, templates with a personal sentence added, and small
rewrites; the generator records their groups. Precision and recall are pairwise: of the
pairs of comments put in one group, the share that the generator planted together, and of
the planted pairs, the share found.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections import Counter
from math import comb

from benchmarks.harness import Context, record


def pairwise(predicted: dict[int, int], truth: dict[int, int]) -> tuple[float, float]:
    both = Counter((predicted[i], truth[i]) for i in truth)
    found = sum(comb(n, 2) for n in both.values())
    claimed = sum(comb(n, 2) for n in Counter(predicted.values()).values())
    planted = sum(comb(n, 2) for n in Counter(truth.values()).values())
    return (found / claimed if claimed else 1.0), (found / planted if planted else 1.0)


def _group(items, queue) -> None:
    from consult.review.duplicates import group

    start = time.perf_counter()
    grouping = group(items)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, peak, [g.ids for g in grouping.groups], grouping.distinct))


def run(ctx: Context):
    comments = ctx.corpus.comments
    # Blocked by draft and clause, as the product groups one task's comments by clause.
    items = [(c.id, c.body, (c.draft, c.clause)) for c in comments]
    truth = {c.id: c.group if c.group is not None else -c.id for c in comments}
    # In a child process, so that its peak memory is the grouping's, not the corpus's.
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_group, args=(items, queue))
    child.start()
    seconds, peak, groups, distinct = queue.get()
    child.join()
    predicted = {c.id: -c.id for c in comments}
    for number, ids in enumerate(groups):
        for i in ids:
            predicted[i] = number
    precision, recall = pairwise(predicted, truth)
    planted = sum(1 for c in comments if c.group is not None)
    yield record(
        ctx, "review.duplicate_grouping", [seconds], "s", target={"value": 60.0},
        peak_rss_mb_child=round(peak, 1), precision=round(precision, 4),
        recall=round(recall, 4), meets_quality=precision >= 0.95 and recall >= 0.9,
        comments=len(comments), planted_share=round(planted / len(comments), 3),
        groups=len(groups), distinct=distinct,
    )  # fmt: skip
