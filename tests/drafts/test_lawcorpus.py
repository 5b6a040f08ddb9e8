"""Every document of ../shared/lawcorpus parses to the counts its manifest expects."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from consult.drafts.files import read_document
from consult.drafts.legal_text import parse, resolve

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "lawcorpus"


def corpus_documents():
    if not CORPUS.is_dir():
        return []
    documents = []
    for manifest in sorted(CORPUS.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["documents"]:
            documents.append(pytest.param(manifest.parent / entry["file"], entry, id=entry["id"]))
    return documents


DOCUMENTS = corpus_documents()
needs_corpus = pytest.mark.skipif(
    not DOCUMENTS, reason=f"the law corpus is not at {CORPUS} (it comes with ../shared)"
)


def non_space(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


def items_in_articles(document) -> int:
    return sum(1 for n in document.walk() if n.kind == "item" and n.parent.parent.kind == "article")


@needs_corpus
@pytest.mark.parametrize(("path", "entry"), DOCUMENTS)
def test_counts_match_the_manifest(path, entry):
    document = parse(read_document(path.read_bytes(), path.name))
    counts = document.counts()
    expected = entry["expected"]
    found = {
        "bian": counts["part"],
        "fenbian": counts["subpart"],
        "zhang": counts["chapter"],
        "jie": counts["section"],
        "tiao": counts["article"],
        "tiao_zhiyi": counts["article_insert"],
        "enum_sections": counts["enum_section"],
    }
    assert found == {key: expected[key] for key in found}
    # 项 and 目 are regex counts in the manifest (approximate, see its README): a recovered
    # glued item or a wrapped line may move them by a little.
    assert abs(items_in_articles(document) - expected["xiang"]) <= max(2, expected["xiang"] // 20)
    assert abs(counts["subitem"] - expected["mu"]) <= max(2, expected["mu"] // 20)
    if entry.get("title"):
        assert document.title.replace("《", "").startswith(entry["title"][:6].replace("《", ""))


@needs_corpus
@pytest.mark.parametrize(("path", "entry"), DOCUMENTS)
def test_nothing_is_lost(path, entry):
    text = read_document(path.read_bytes(), path.name)
    document = parse(text)
    assert non_space("".join(document.pieces())) == non_space(text)


@needs_corpus
@pytest.mark.parametrize(("path", "entry"), DOCUMENTS)
def test_every_citation_resolves_back(path, entry):
    document = parse(read_document(path.read_bytes(), path.name))
    for node in document.walk():
        assert resolve(document, node.citation) is node, node.citation


@needs_corpus
@pytest.mark.parametrize(("path", "entry"), DOCUMENTS)
def test_warnings_name_a_line_of_the_file(path, entry):
    """Every warning carries a line number inside the file, and says it."""
    text = read_document(path.read_bytes(), path.name)
    document = parse(text)
    lines = len(text.splitlines())
    for warning in document.warnings:
        assert 1 <= warning.line <= lines
        assert f"第{warning.line}行" in warning.message
