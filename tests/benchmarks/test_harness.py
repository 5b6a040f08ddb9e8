"""The benchmark harness cannot rot: a deterministic corpus and a tiny run of the runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.corpus import generate
from consult.drafts.legal_text import parse

ROOT = Path(__file__).resolve().parents[2]
# The corpus of seed 20261122 at 1k comments without ../shared. Changing the generator
# changes this on purpose: update it and say why in the commit.
CHECKSUM_1K = "788001adc9780b20e0eb263771ab271920718eb937729a61ef3814c76e1e2edc"


def test_same_seed_same_corpus():
    corpus = generate(1000, use_lawcorpus=False)
    assert corpus.checksum() == CHECKSUM_1K
    assert generate(1000, seed=7, use_lawcorpus=False).checksum() != CHECKSUM_1K


def test_corpus_reads_like_the_real_thing():
    corpus = generate(2000, use_lawcorpus=False)
    lengths = [len(c.body) for c in corpus.comments]
    assert min(lengths) >= 20 and max(lengths) <= 400
    planted = sum(len(ids) for ids in corpus.duplicate_groups().values())
    assert planted / len(corpus.comments) >= 0.25
    code = dict(corpus.drafts)["code1260"]
    counts = parse(code).counts()
    assert counts["article"] == 1260 and counts["part"] == 7
    # comments point at clauses that exist in their draft
    documents = [parse(text) for _name, text in corpus.drafts]
    for comment in corpus.comments[:200]:
        if comment.clause:
            assert comment.clause in documents[comment.draft].citation_index()


def test_runner_smoke(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--size", "tiny", "--runs", "1"],
        cwd=ROOT,
        env=os.environ | {"BENCH_RESULTS": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    names = {r["name"] for r in records}
    assert {"machine", "corpus.generate", "parse.code_1260_articles", "total"} <= names
    assert {"search.rebuild", "search.phrase", "search.two_words_filter"} <= names
    (rebuilt,) = [r for r in records if r["name"] == "search.rebuild"]
    assert rebuilt["runs"] == len(rebuilt["seconds"]) == 3  # a median of three rebuilds
    assert rebuilt["reference"]["engine"] == "tantivy" and rebuilt["reference"]["median"] > 0
    (recorded,) = [r for r in records if r["name"] == "search.record_while_indexed.latency"]
    assert recorded["stored_equals_sent"] and recorded["index_agrees"], recorded
    assert {"stats.by_collector", "stats.by_month", "stats.xlsx_export_all"} <= names
    for item in records:
        if item["name"] not in ("machine", "total"):
            assert {
                "median",
                "p95",
                "min",
                "max",
                "runs",
                "peak_rss_mb",
                "reference",
                "ratio",
            } <= set(item)
    latest = (tmp_path / "latest.jsonl").read_text(encoding="utf-8")
    assert len(latest.splitlines()) == len(records)
