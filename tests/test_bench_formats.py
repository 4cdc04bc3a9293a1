"""`rag bench formats` on the HTML fixtures and a tiny generated WARC (report fields and
what they must say; no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings

from rag.bench.corpus import BENCHMARKS
from rag.bench.formats import html_quality, ingest_speed, to_markdown


def test_html_quality_compares_the_readers() -> None:
    quality = html_quality()
    current, earlier = quality["overall"]["current"], quality["overall"]["earlier"]
    assert current["article_kept"] >= 0.95 and current["clutter_kept"] <= 0.05
    assert current["titles_right"] == current["dates_right"] == "4/4"
    # The earlier visible-text reader keeps the clutter: that is what the change is for.
    assert earlier["clutter_kept"] > current["clutter_kept"]
    assert len(quality["pages"]) == 8
    table = to_markdown(quality, None)
    assert "| current |" in table and "| earlier |" in table


@pytest.mark.skipif(
    not (BENCHMARKS / "arcd" / "arcd.json").is_file(), reason="../shared/benchmarks missing"
)
def test_ingest_speed_ingests_the_same_articles_both_ways(tmp_path: Path) -> None:
    speed = ingest_speed(make_settings(tmp_path / "unused"), pages=6, work=tmp_path)
    txt, warc = speed["runs"]["txt"], speed["runs"]["warc"]
    assert txt["documents"] == warc["documents"] == 6
    assert txt["skipped"] == warc["skipped"] == 0
    assert warc["records_skipped"] == 6  # the request records
    # The same text either way: the page clutter is dropped, the articles are kept.
    assert abs(warc["passages"] - txt["passages"]) <= 0.1 * txt["passages"]
    assert txt["reingest_written"] == warc["reingest_written"] == 0
    assert "WARC passages/s" in to_markdown(None, speed)
