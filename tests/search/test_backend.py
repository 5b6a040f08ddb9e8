"""The Whoosh backend: filters, phrases, dates, facets, highlights, keys (in memory)."""

from __future__ import annotations

from datetime import date

import pytest

from consult.search.backend import WhooshBackend, document


@pytest.fixture
def backend():
    backend = WhooshBackend()
    backend.apply([
        document("comment", 1, "建议规范电动自行车充电管理，楼道里不得充电。",
                 day=date(2026, 11, 1), task_id=7, point_id=1, unit_id=10, channel="forum",
                 status="active"),
        document("comment", 2, "電動自行車應當集中充電。", day=date(2026, 11, 5),
                 task_id=7, point_id=2, unit_id=20, channel="visit", status="active"),
        document("comment", 3, "养犬登记应当免费<script>alert(1)</script>", day=date(2026, 10, 1),
                 task_id=7, point_id=1, unit_id=11, channel="online", status="active"),
        document("clause", 40, "养犬人应当办理养犬登记。", citation="第四条第一款",
                 version_id=3, draft_id=2, published=True),
    ])  # fmt: skip
    return backend


def keys(result):
    return sorted(hit.key for hit in result.hits)


def test_words_phrases_and_traditional(backend):
    assert keys(backend.search("电动自行车")) == ["comment:1", "comment:2"]
    assert keys(backend.search('"自行车充电"')) == ["comment:1"]
    assert keys(backend.search("集中 充电")) == ["comment:2"]
    assert keys(backend.search("养犬 OR 充电")) == [
        "clause:40",
        "comment:1",
        "comment:2",
        "comment:3",
    ]
    assert keys(backend.search("充电 NOT 楼道")) == ["comment:2"]


def test_filters_decide_what_is_counted(backend):
    mine = backend.search("充电", filters={"point_id": 1}, facets=True)
    assert keys(mine) == ["comment:1"] and mine.total == 1
    assert mine.facets["channel"] == {"forum": 1}  # point 2's visit is not even counted
    clauses = backend.search("登记", filters={"kind": "clause", "published": True})
    assert keys(clauses) == ["clause:40"] and clauses.hits[0].kind == "clause"


def test_dates_and_newest_first(backend):
    november = backend.search("", filters={"kind": "comment"}, day_from=date(2026, 11, 1))
    assert keys(november) == ["comment:1", "comment:2"]
    newest = backend.search("", filters={"kind": "comment"}, newest_first=True)
    assert [hit.key for hit in newest.hits] == ["comment:2", "comment:1", "comment:3"]


def test_highlights_are_escaped(backend):
    hit = backend.search("养犬", filters={"kind": "comment"}).hits[0]
    assert '<mark class="hit' in hit.snippet and "养犬" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


def test_updates_replace_and_deletes_remove(backend):
    backend.apply([document("comment", 1, "改为意见：停车难。", point_id=1)], deletes=["comment:3"])
    assert keys(backend.search("停车")) == ["comment:1"]
    assert keys(backend.search("充电")) == ["comment:2"]
    assert backend.keys() == {"comment:1", "comment:2", "clause:40"}
    backend.clear()
    assert backend.keys() == set()


def test_index_on_disk_survives_reopening(tmp_path):
    WhooshBackend(str(tmp_path)).apply([document("comment", 5, "噪声扰民问题", point_id=1)])
    assert keys(WhooshBackend(str(tmp_path)).search("噪声")) == ["comment:5"]
