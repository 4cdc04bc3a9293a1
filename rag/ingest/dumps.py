"""Dataset dumps, as news crawlers and datasets export them: JSONL (one JSON object per
line, optionally gzipped) and CSV/TSV (a header row, then one row per article). Every row is
one document whose stored original text is its text field, verbatim.

Which field holds what comes from settings (IngestSettings.fields, `rag ingest --field`),
else the usual names below. A row is keyed by its id field, else its line number. A bad line
(invalid JSON, a malformed CSV row, no text) is reported with its line number and skipped;
the rest of the file is read."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from rag.ingest.items import Item, Loaded
from rag.ingest.meta import DocMeta, one_line
from rag.ingest.read import SkipFile, decode
from rag.settings import DumpFields

__all__ = ["DEFAULT_FIELDS", "csv_items", "jsonl_items", "resolve", "row_item"]

DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "article", "maintext", "article_text", "full_text"),
    "title": ("title", "headline"),
    "date": ("date", "published", "published_at", "pubdate", "date_publish", "publish_date"),
    "url": ("url", "link"),
    "outlet": ("outlet", "source", "site", "source_domain", "publisher"),
    "id": ("id", "guid", "uuid"),
    "author": ("author", "authors", "byline"),
    "updated": ("updated", "modified", "updated_at", "date_modify"),
}
_FORMAT = b"dump/1\0"  # bump when the reading of a row changes


def jsonl_items(
    path: Path, fields: DumpFields, max_bytes: int, skipped: Counter[str]
) -> Iterator[Item]:
    """The rows of a JSONL file (.jsonl.gz decompressed on the fly), streamed line by line."""
    ids: dict[str, int] = {}
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            for n, raw in enumerate(fh, 1):
                if len(raw) > max_bytes:
                    yield _bad(n, f"line too large ({len(raw) / 1e6:.1f} MB)")
                    continue
                try:
                    line = raw.decode("utf-8-sig" if n == 1 else "utf-8").strip()
                except UnicodeDecodeError:
                    yield _bad(n, "not UTF-8")
                    continue
                if not line:
                    skipped["blank line"] += 1
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield _bad(n, f"invalid JSON ({exc.msg} at column {exc.colno})")
                    continue
                if not isinstance(row, dict):
                    yield _bad(n, "not a JSON object")
                    continue
                yield row_item(row, n, fields, ids, "jsonl")
    except (OSError, EOFError) as exc:  # a corrupt or truncated gzip stream
        raise SkipFile(f"unreadable ({exc})") from None


def csv_items(
    path: Path, fields: DumpFields, max_bytes: int, skipped: Counter[str]
) -> Iterator[Item]:
    """The rows of a CSV (or, for .tsv, tab-separated) file with a header row, streamed."""
    # Article texts outgrow the csv module's 128 KiB default field limit; raise it (it is
    # process-wide, and only ever raised) to the per-record size limit.
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    delimiter = "\t" if path.name.lower().endswith(".tsv") else ","
    ids: dict[str, int] = {}
    try:
        with path.open("rb") as raw:
            encoding = _sniff_encoding(raw.read(1 << 16))
            raw.seek(0)
            with io.TextIOWrapper(raw, encoding=encoding, newline="") as fh:
                yield from _csv_rows(fh, delimiter, fields, ids, skipped, encoding)
    except UnicodeDecodeError as exc:
        raise SkipFile(f"cannot decode as {encoding} past byte {exc.start}") from None
    except OSError as exc:
        raise SkipFile(f"cannot read ({exc})") from None


def _csv_rows(
    fh: IO[str],
    delimiter: str,
    fields: DumpFields,
    ids: dict[str, int],
    skipped: Counter[str],
    encoding: str,
) -> Iterator[Item]:
    reader = csv.reader(fh, delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SkipFile("empty file") from None
    except csv.Error as exc:
        raise SkipFile(f"unreadable header row ({exc})") from None
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader resumes at the next line: one broken row costs only itself (an
            # unterminated quote runs to the end of the file, and says so).
            yield _bad(start, f"malformed CSV row ({exc})")
            continue
        if not any(v.strip() for v in values):
            skipped["blank line"] += 1
            continue
        if len(values) != len(header):
            yield _bad(start, f"expected {len(header)} fields, found {len(values)}")
            continue
        row = dict(zip(header, values, strict=True))
        yield row_item(row, start, fields, ids, "csv", encoding)


def _sniff_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) if the sample reads as UTF-8, else what rag's decoder
    makes of it (cp1256 for Arabic Windows exports, UTF-16 with a BOM)."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        # Incremental: a character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return decode(sample)[1]


def _bad(line: int, reason: str) -> Item:
    return Item(key=f"line {line}", problem=reason)  # the doc id carries the line number


def _lookup(row: dict[str, Any], name: str) -> Any:
    """A row's value under `name`: exact key, else case-insensitive, else a dotted path."""
    if name in row:
        return row[name]
    folded = name.casefold()
    for key, value in row.items():
        if str(key).casefold() == folded:
            return value
    if "." in name:
        value: Any = row
        for part in name.split("."):
            if not isinstance(value, dict):
                return None
            value = _lookup(value, part)
        return value
    return None


def resolve(row: dict[str, Any], fields: DumpFields) -> dict[str, tuple[str, Any]]:
    """(field name, value) of each role present in the row, from the mapping or defaults."""
    found: dict[str, tuple[str, Any]] = {}
    for role, defaults in DEFAULT_FIELDS.items():
        chosen = getattr(fields, role)
        for name in (chosen,) if chosen else defaults:
            value = _lookup(row, name)
            if value not in (None, "", [], {}):
                found[role] = (name, value)
                break
    return found


def row_item(
    row: dict[str, Any],
    line: int,
    fields: DumpFields,
    ids: dict[str, int],
    fmt: str,
    encoding: str = "utf-8",
) -> Item:
    """One dump row as a document item (or a bad-line item when it has no usable text)."""
    found = resolve(row, fields)
    text = found.get("text", ("", None))[1]
    if not isinstance(text, str) or not text.strip():
        tried = fields.text or ", ".join(DEFAULT_FIELDS["text"])
        what = "no text" if text is None else "text is not a non-empty string"
        return _bad(line, f"{what} (field {tried})")
    key = f"line {line}"
    if "id" in found:
        record_id = one_line(found["id"][1])
        if record_id in ids:
            return _bad(line, f"duplicate id {record_id!r} (first on line {ids[record_id]})")
        ids[record_id] = line
        key = record_id
    values = {role: value for role, (_, value) in found.items() if role != "text"}
    meta_values = {role: _text_value(v) for role, v in values.items() if role != "id"}
    # Which fields were read shapes the document as much as their values do.
    fingerprint = _FORMAT + json.dumps(
        [text, meta_values, sorted((r, n) for r, (n, _) in found.items())],
        ensure_ascii=False,
        default=str,
    ).encode("utf-8", "surrogatepass")
    return Item(
        key=key, fingerprint=fingerprint, load=lambda: _load(text, meta_values, fmt, encoding)
    )


def _text_value(value: Any) -> str:
    if isinstance(value, dict):  # {"name": "Reuters", "url": …}
        value = value.get("name") or value.get("title") or ""
    return one_line(value)


def _load(text: str, meta: dict[str, str], fmt: str, encoding: str) -> Loaded:
    return Loaded(
        text=text,
        encoding=encoding,
        meta=DocMeta(
            title=meta.get("title", ""),
            author=meta.get("author", ""),
            outlet=meta.get("outlet", ""),
            url=meta.get("url", ""),
            date=meta.get("date", ""),
            updated=meta.get("updated", ""),
        ).normalised(),
        format=fmt,
    )
