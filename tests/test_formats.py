"""Archive formats end to end, with real Chroma and the real embedder: saved HTML pages with
real-world clutter, a web archive with mixed records, RSS and Atom feeds, JSONL and CSV dumps
with broken lines. Checks documents and their metadata, exact citation offsets, idempotence,
per-record updates and pruning inside a container."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import make_settings

from rag.answer.cite import searchable
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.ingest.run import ingest
from rag.pipeline import Pipeline
from rag.settings import DumpFields, IngestSettings

FIXTURES = Path(__file__).parent / "fixtures" / "archives"
HTML = FIXTURES / "html"
TRUTH = json.loads((HTML / "truth.json").read_text("utf-8"))


def _ingest(path: Path, store_dir: Path, embedder, ingest_settings=None, **kw):
    settings = make_settings(store_dir)
    store = Store.open(settings.store, embedder, create=True)
    report = ingest(path, store, ingest_settings or settings.ingest, settings.chunk, **kw)
    return report, store


def _chunks(store: Store):
    return list(store.chunks(store.chunk_ids()).values())


def _fold(text: str) -> str:
    return " ".join(text.split())


def _assert_offsets_exact(store: Store) -> None:
    chunks = _chunks(store)
    texts = store.texts(sorted({c.doc_id for c in chunks}))
    assert chunks
    for c in chunks:
        assert searchable(texts[c.doc_id][c.start : c.end])[0] == searchable(c.text)[0]


# --- HTML pages ------------------------------------------------------------------------------


def test_html_pages_keep_the_article_drop_the_clutter_and_state_their_metadata(
    tmp_path: Path, embedder
) -> None:
    from rag.text import split_sentences

    report, store = _ingest(HTML, tmp_path / "s", embedder)
    assert sorted(report.added) == sorted(TRUTH) and report.skipped == []
    assert report.decoded == {"ar_bridge_cp1256.html": "cp1256"}
    docs = store.documents()
    kept_text = {d: _fold(" ".join(c.text for c in _chunks(store) if c.doc_id == d)) for d in docs}
    article = boiler = article_kept = boiler_kept = 0
    for name, truth in TRUTH.items():
        info = docs[name]
        assert (info.title, info.date, info.outlet) == (
            truth["title"],
            truth["date"],
            truth["outlet"],
        )
        assert (info.updated, info.author, info.url) == (
            truth["updated"],
            truth["author"],
            truth["url"],
        )
        assert info.format == "html"
        for para in truth["article"]:
            for s, e in split_sentences(para):
                article += 1
                article_kept += _fold(para[s:e]) in kept_text[name]
        for line in truth["boilerplate"]:
            boiler += 1
            boiler_kept += _fold(line) in kept_text[name]
    # The goals: >= 95 % of article sentences kept, <= 5 % of boilerplate kept.
    assert article_kept / article >= 0.95, (article_kept, article)
    assert boiler_kept / boiler <= 0.05, (boiler_kept, boiler)
    dates = {c.date for c in _chunks(store) if c.doc_id == "en_pentagon.html"}
    assert dates == {"2024-01-05"}
    _assert_offsets_exact(store)


def test_a_page_without_main_text_falls_back_to_the_visible_text(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    # Too short for trafilatura's main-text heuristics: our reader keeps it.
    (folder / "brief.html").write_text(
        "<html><body><p>عاجل: إغلاق معبر القائم</p></body></html>", "utf-8"
    )
    report, store = _ingest(folder, tmp_path / "s", embedder)
    assert report.added == ["brief.html"]
    assert "معبر القائم" in store.texts(["brief.html"])["brief.html"]


# --- web archives ----------------------------------------------------------------------------


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a> "
        f"<a href='/world'>World</a></nav><article><h1>{title}</h1>{body}</article>"
        "<footer>© Example News</footer></body></html>"
    ).encode()


UNDATED = _page(
    "Water levels fall in the Euphrates",
    [
        "Water levels in the Euphrates fell sharply this week, exposing sandbanks near the "
        "city of Raqqa that farmers say they have not seen in decades.",
        "Officials blamed reduced flows from upstream dams and an unusually dry winter, and "
        "asked residents to save water until the spring rains arrive.",
    ],
)
PAGES = {
    "https://alrafidain.example/news/2024/09/27/coalition-withdrawal": (
        (HTML / "ar_withdrawal.html").read_bytes(),
        "2024-09-30T06:00:00Z",
    ),
    "https://gulfobserver.example/world/pentagon-baghdad-strike-self-defence": (
        (HTML / "en_pentagon.html").read_bytes(),
        "2024-01-07T12:00:00Z",
    ),
    "https://example.org/euphrates-levels": (UNDATED, "2024-03-15T08:00:00Z"),
}


def write_warc(path: Path, pages: dict[str, tuple[bytes, str]]) -> None:
    """A crawl's WARC: warcinfo, a request before every response, HTML pages, an image, a
    redirect, a 404, a duplicate capture, a metadata and a revisit record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def http(status: str, ctype: str) -> StatusAndHeaders:
        return StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))

        def response(uri, body, date, status="200 OK", ctype="text/html; charset=utf-8"):
            request = StatusAndHeaders(
                "GET / HTTP/1.1", [("Host", uri.split("/")[2])], is_http_request=True
            )
            headers = {"WARC-Date": date}
            writer.write_record(
                writer.create_warc_record(
                    uri,
                    "request",
                    payload=io.BytesIO(b""),
                    http_headers=request,
                    warc_headers_dict=headers,
                )
            )
            writer.write_record(
                writer.create_warc_record(
                    uri,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=http(status, ctype),
                    warc_headers_dict=headers,
                )
            )

        for uri, (body, date) in pages.items():
            response(uri, body, date)
        response(
            "https://example.org/logo.png",
            b"\x89PNG\r\n\x1a\n",
            "2024-03-15T08:00:01Z",
            ctype="image/png",
        )
        response("https://example.org/old", b"", "2024-03-15T08:00:02Z", status="301 Moved")
        response(
            "https://example.org/missing",
            b"<html>Not found</html>",
            "2024-03-15T08:00:03Z",
            status="404 Not Found",
        )
        first_uri, (first_body, first_date) = next(iter(pages.items()))
        response(first_uri, first_body, first_date)  # the same capture again
        writer.write_record(
            writer.create_warc_record(
                "https://example.org/euphrates-levels",
                "metadata",
                payload=io.BytesIO(b"outlinks: https://example.org/"),
                warc_content_type="application/warc-fields",
            )
        )
        writer.write_record(
            writer.create_revisit_record(
                "https://example.org/euphrates-levels",
                "sha1:AAAA",
                "https://example.org/euphrates-levels",
                "2024-03-15T08:00:00Z",
            )
        )


def test_warc_pages_become_documents_incrementally(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    warc = folder / "crawl.warc.gz"
    write_warc(warc, PAGES)
    first, store = _ingest(folder, tmp_path / "s", embedder)
    ids = {uri: f"crawl.warc.gz#{uri}" for uri in PAGES}
    assert sorted(first.added) == sorted(ids.values()) and first.skipped == []
    assert first.files_seen == 1 and first.documents_seen == 3
    assert first.records_skipped == {
        "crawl.warc.gz": {
            "warcinfo record": 1,
            "request record": 7,
            "not HTML (image/png)": 1,
            "HTTP status 301": 1,
            "HTTP status 404": 1,
            "duplicate capture": 1,
            "metadata record": 1,
            "revisit record": 1,
        }
    }
    docs = store.documents()
    ar = docs[ids["https://alrafidain.example/news/2024/09/27/coalition-withdrawal"]]
    assert (ar.title, ar.date, ar.updated, ar.format) == (
        TRUTH["ar_withdrawal.html"]["title"],
        "2024-09-27",  # the page's own date, not the crawl's
        "2024-09-28",
        "warc",
    )
    undated = docs[ids["https://example.org/euphrates-levels"]]
    assert undated.title == "Water levels fall in the Euphrates"
    assert undated.date == "2024-03-15"  # no date in the page: the record's WARC-Date
    assert undated.url == "https://example.org/euphrates-levels"
    _assert_offsets_exact(store)

    again, store = _ingest(folder, tmp_path / "s", embedder)
    assert again.added == again.updated == [] and again.chunks_written == 0
    assert sorted(again.unchanged) == sorted(ids.values())

    # One page changes: only its document is rewritten.
    en_uri = "https://gulfobserver.example/world/pentagon-baghdad-strike-self-defence"
    before = {c.chunk_id for c in _chunks(store) if c.doc_id != ids[en_uri]}
    changed = dict(PAGES)
    changed[en_uri] = (
        PAGES[en_uri][0].replace(
            b"</p>\n    </div>",
            b" The Pentagon later confirmed that two drones were used in the strike.</p>\n"
            b"    </div>",
        ),
        PAGES[en_uri][1],
    )
    assert changed[en_uri][0] != PAGES[en_uri][0]
    write_warc(warc, changed)
    third, store = _ingest(folder, tmp_path / "s", embedder)
    assert third.updated == [ids[en_uri]] and third.added == []
    assert {c.chunk_id for c in _chunks(store) if c.doc_id != ids[en_uri]} == before
    assert any("two drones" in c.text for c in _chunks(store) if c.doc_id == ids[en_uri])

    # A page gone from the archive is pruned; the others stay.
    del changed["https://example.org/euphrates-levels"]
    write_warc(warc, changed)
    kept, store = _ingest(folder, tmp_path / "s", embedder)
    assert kept.removed == [] and len(store.documents()) == 3  # no --prune: kept
    pruned, store = _ingest(folder, tmp_path / "s", embedder, prune=True)
    assert pruned.removed == [ids["https://example.org/euphrates-levels"]]
    assert sorted(store.documents()) == sorted(ids[u] for u in changed)

    # The whole archive gone: all its documents go with --prune.
    (folder / "note.txt").write_text("A note that keeps the folder non-empty.\n", "utf-8")
    warc.unlink()
    gone, store = _ingest(folder, tmp_path / "s", embedder, prune=True)
    assert sorted(gone.removed) == sorted(ids[u] for u in changed)
    assert set(store.documents()) == {"note.txt"}
    assert all(c.doc_id == "note.txt" for c in _chunks(store))


@pytest.mark.parametrize("name", ["cut.warc", "cut.warc.gz"])
def test_a_truncated_warc_keeps_its_complete_records(tmp_path: Path, embedder, name) -> None:
    import zlib

    folder = tmp_path / "crawl"
    folder.mkdir()
    full = tmp_path / name.replace("cut", "full")
    write_warc(full, PAGES)
    data = full.read_bytes()
    if name.endswith(".gz"):
        starts, at = [], 0  # one gzip member per record: warcinfo, request, response, …
        while at < len(data):
            starts.append(at)
            member = zlib.decompressobj(31)
            member.decompress(data[at:])
            at = len(data) - len(member.unused_data)
        cut = starts[4] + 300  # inside the second response
    else:
        uri = b"https://gulfobserver.example/world/pentagon-baghdad-strike-self-defence"
        cut = data.index(uri) + 2000  # inside the second response
    (folder / name).write_bytes(data[:cut])
    report, store = _ingest(folder, tmp_path / "s", embedder)
    first = "https://alrafidain.example/news/2024/09/27/coalition-withdrawal"
    assert report.added == [f"{name}#{first}"]
    assert [d for d, _ in report.skipped] == [name]
    assert "truncated" in report.skipped[0][1]
    # Re-ingesting the cut file with --prune keeps what it had.
    again, store = _ingest(folder, tmp_path / "s", embedder, prune=True)
    assert again.removed == [] and list(store.documents()) == [f"{name}#{first}"]


# --- feeds -----------------------------------------------------------------------------------


def test_rss_and_atom_entries_become_dated_titled_documents(tmp_path: Path, embedder) -> None:
    report, store = _ingest(FIXTURES / "feeds", tmp_path / "s", embedder)
    assert report.skipped == [] and len(report.added) == 5
    docs = store.documents()
    rss = docs["alrafidain.rss#alrafidain-10457"]
    assert rss.title == "واشنطن وبغداد تتفقان على جدول انسحاب قوات التحالف"
    assert (rss.date, rss.author, rss.outlet, rss.format) == (
        "2024-09-27",
        "سارة الجبوري",
        "شبكة الرافدين الإخبارية",
        "feed",
    )
    assert rss.url == "https://alrafidain.example/news/2024/09/27/coalition-withdrawal"
    # An item without a guid is keyed by its link.
    no_guid = "alrafidain.rss#https://alrafidain.example/sport/2025/11/03/youth-final"
    assert docs[no_guid].date == "2025-11-03"
    atom = docs["gulf_observer.atom#tag:gulfobserver.example,2024:article-88121"]
    assert (atom.title, atom.date, atom.updated, atom.author) == (
        "Pentagon says Baghdad strike was self-defence",
        "2024-01-05",
        "2024-01-06",
        "Daniel Hayes",
    )
    # Only an update date: it dates the entry.
    assert docs["gulf_observer.atom#tag:gulfobserver.example,2025:article-90417"].date == (
        "2025-10-12"
    )
    text = store.texts([rss.doc_id])[rss.doc_id]
    assert text.startswith(rss.title + "\n\n") and "<p>" not in text
    assert "قاعدة عين الأسد" in text  # the full content, not the one-line description
    _assert_offsets_exact(store)
    again, _ = _ingest(FIXTURES / "feeds", tmp_path / "s", embedder)
    assert again.added == again.updated == [] and len(again.unchanged) == 5


def test_a_file_that_is_not_a_feed_is_skipped_with_a_reason(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset><url><loc>https://example.org/</loc></url></urlset>'
    )
    (folder / "note.txt").write_text("The Pentagon said 2,500 troops remain in Iraq.\n")
    report, _ = _ingest(folder, tmp_path / "s", embedder)
    assert report.added == ["note.txt"]
    assert [d for d, _ in report.skipped] == ["sitemap.xml"]


# --- dumps -----------------------------------------------------------------------------------


def test_jsonl_rows_become_documents_and_bad_lines_are_reported(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    shutil.copy(FIXTURES / "dumps" / "crawl.jsonl", folder)
    report, store = _ingest(folder, tmp_path / "s", embedder)
    assert sorted(report.added) == [
        "crawl.jsonl#ar-001",
        "crawl.jsonl#ar-005",
        "crawl.jsonl#en-002",
    ]
    skipped = dict(report.skipped)
    assert sorted(skipped) == ["crawl.jsonl#line 3", "crawl.jsonl#line 4", "crawl.jsonl#line 6"]
    assert skipped["crawl.jsonl#line 3"].startswith("invalid JSON")
    assert skipped["crawl.jsonl#line 4"].startswith("no text")
    docs = store.documents()
    en = docs["crawl.jsonl#en-002"]
    assert (en.title, en.date, en.outlet, en.author, en.format) == (
        "Oil prices climb on supply fears",
        "2024-06-13",
        "The Gulf Observer",
        "Ana Ruiz, Omar Said",
        "jsonl",
    )
    assert docs["crawl.jsonl#ar-001"].date == "2024-06-12"  # the day as written, not UTC
    assert docs["crawl.jsonl#ar-005"].date == "2025-10-09"  # a Unix timestamp
    raw = json.loads((folder / "crawl.jsonl").read_text("utf-8").splitlines()[0])
    assert store.texts(["crawl.jsonl#ar-001"])["crawl.jsonl#ar-001"] == raw["text"]
    _assert_offsets_exact(store)

    # Re-ingest: nothing written. One row edited and one dropped: only those change.
    again, store = _ingest(folder, tmp_path / "s", embedder)
    assert again.chunks_written == 0 and len(again.unchanged) == 3
    lines = (folder / "crawl.jsonl").read_text("utf-8").splitlines()
    row = json.loads(lines[1])
    row["body"] += " Analysts expect prices to stay high through the summer."
    lines[1] = json.dumps(row, ensure_ascii=False)
    del lines[4]  # ar-005
    (folder / "crawl.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    third, store = _ingest(folder, tmp_path / "s", embedder, prune=True)
    assert third.updated == ["crawl.jsonl#en-002"] and third.added == []
    assert third.unchanged == ["crawl.jsonl#ar-001"]
    assert third.removed == ["crawl.jsonl#ar-005"]


def test_csv_rows_with_a_field_mapping(tmp_path: Path, embedder) -> None:
    csv_path = FIXTURES / "dumps" / "desert_wire.csv"
    # "story" is no usual name for the text: without a mapping every row lacks text.
    report, store = _ingest(csv_path, tmp_path / "plain", embedder)
    assert report.added == [] and len(report.skipped) == 5
    mapped = IngestSettings(fields=DumpFields(text="story"))
    report, store = _ingest(csv_path, tmp_path / "s", embedder, ingest_settings=mapped)
    assert sorted(report.added) == [
        "desert_wire.csv#csv-1",
        "desert_wire.csv#csv-2",
        "desert_wire.csv#csv-5",
    ]
    skipped = dict(report.skipped)
    assert skipped["desert_wire.csv#line 4"].startswith("malformed CSV row")
    assert skipped["desert_wire.csv#line 5"] == "expected 5 fields, found 3"
    docs = store.documents()
    assert (docs["desert_wire.csv#csv-1"].title, docs["desert_wire.csv#csv-1"].date) == (
        "Vaccination campaign starts in rural Deir ez-Zor",
        "2025-10-19",
    )
    assert docs["desert_wire.csv#csv-5"].outlet == "Desert Wire"
    _assert_offsets_exact(store)


# --- answers cite container documents verbatim ------------------------------------------------


def test_answers_quote_archive_documents_verbatim(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_warc(folder / "crawl.warc.gz", PAGES)
    shutil.copy(FIXTURES / "dumps" / "crawl.jsonl", folder)
    shutil.copytree(FIXTURES / "feeds", folder / "feeds")
    _, store = _ingest(folder, tmp_path / "s", embedder)
    settings = make_settings(tmp_path / "s")
    pipeline = Pipeline(settings, Retriever(store, settings.retrieve), None)
    for question, doc_prefix in (
        ("How many US troops remain in Iraq?", ("crawl.warc.gz#", "feeds/")),
        ("متى صوت مجلس النواب على قانون الموازنة؟", ("crawl.jsonl#",)),
    ):
        answer = pipeline.ask(question, backend="extractive")
        assert answer.citations, question
        texts = store.texts([c.doc_id for c in answer.citations])
        assert any(c.doc_id.startswith(doc_prefix) for c in answer.citations)
        for c in answer.citations:
            assert texts[c.doc_id][c.start : c.end] == c.quote
            assert c.date and c.title


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--field", "body"], "expected ROLE=NAME"), (["--field", "txt=body"], "unknown role")],
)
def test_bad_field_options_are_one_line_errors(tmp_path: Path, args, needle) -> None:
    from test_cli import one_line_error, run

    one_line_error(run("ingest", str(FIXTURES / "dumps"), "--store", str(tmp_path), *args), needle)


def test_cli_ingests_a_dump_with_field_flags(tmp_path: Path) -> None:
    from test_cli import run

    proc = run(
        "ingest",
        str(FIXTURES / "dumps" / "desert_wire.csv"),
        "--store",
        str(tmp_path / "s"),
        "--field",
        "text=story",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["added"]) == 3 and report["documents_seen"] == 5
    assert [d for d, _ in report["skipped"]] == ["desert_wire.csv#line 4", "desert_wire.csv#line 5"]


def test_reading_archives_opens_no_network_connection(tmp_path: Path, monkeypatch) -> None:
    """trafilatura, htmldate and feedparser can fetch URLs; given bytes they must not."""
    import socket

    from rag.ingest.sources import Source

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    write_warc(tmp_path / "crawl.warc.gz", PAGES)
    files = [tmp_path / "crawl.warc.gz", *sorted(FIXTURES.glob("*/*"))]
    loaded = 0
    for path in files:
        if path.name == "truth.json":
            continue
        for item in Source(path, path.name, IngestSettings(), 10**7):
            if item.load is not None:
                loaded += bool(item.load().text)
    assert loaded == 4 + 3 + 5 + 3  # pages, WARC pages, feed entries, good JSONL rows
