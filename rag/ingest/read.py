"""Reading files: bytes to text. Decoding (UTF-8, UTF-16 with or without BOM, Windows
Arabic cp1256), visible text of HTML pages and the text layer of PDFs. A file that cannot be
read raises SkipFile with a reason that ingest reports and goes on."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

from rag.errors import RagError
from rag.text import detect_language


class SkipFile(RagError):
    """A file that cannot be read; ingestion reports it and goes on."""


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM or not), UTF-16 with BOM, then cp1256 (Windows Arabic).
    UTF-8 with a few invalid bytes (a damaged download, a truncated character) stays UTF-8,
    the bad bytes replaced by U+FFFD and counted in the encoding ("utf-8, 4 bad bytes
    replaced"): read as cp1256 it was mojibake from end to end."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError:
        raise SkipFile("cannot decode: the byte-order mark does not match the content") from None
    if b"\x00" in data:
        # NUL bytes never occur in real UTF-8 text, but BOM-less UTF-16 Arabic is valid
        # UTF-8 byte for byte (0x46 0x06 …), so this must be decided first.
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text):
                return text, enc
        raise SkipFile("binary file (not text)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    bad = _invalid_utf8_bytes(data)
    # Real cp1256 Arabic is almost all invalid as UTF-8 (its letters are bytes 0xC1-0xFE);
    # UTF-8 Arabic with a handful of bad bytes is not cp1256 at all.
    if bad <= max(8, len(data) // 200):
        text = data.decode("utf-8", errors="replace")
        return text, f"utf-8, {bad} bad byte{'s' if bad != 1 else ''} replaced"
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        raise SkipFile("cannot decode as UTF-8, UTF-16 or cp1256") from None
    if not _looks_like_text(text) or detect_language(text) != "ar":
        raise SkipFile("cannot decode as UTF-8, UTF-16 or cp1256")
    return text, "cp1256"


def _invalid_utf8_bytes(data: bytes) -> int:
    """How many bytes of `data` are not part of a valid UTF-8 sequence (surrogateescape
    turns each into one lone surrogate, which valid UTF-8 never decodes to)."""
    text = data.decode("utf-8", errors="surrogateescape")
    return sum(1 for ch in text if "\udc80" <= ch <= "\udcff")


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    return bad / len(text) < 0.01


class _HTMLText(html.parser.HTMLParser):
    _SKIP = frozenset(
        {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg"}
    )
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "section",
            "article",
            "blockquote",
            "ul",
            "ol",
            "table",
            "title",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skip += 1
        self._in_title = tag == "title"
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page, one block per line, scripts and navigation dropped."""
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.parts))
    text = re.sub(r" *\n[ \n]*", "\n\n", text).strip()
    title = " ".join(parser.title.split())
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return text


def pdf_to_text(data: bytes) -> str:
    """Text of a PDF's pages (pypdf); fails for scanned PDFs without a text layer."""
    import io

    import pypdf
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise SkipFile(f"unreadable PDF ({exc})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise SkipFile("PDF has no text layer (scanned?)")
    return text


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The raw bytes of one file, or SkipFile (too large, unreadable)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(f"too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB limit)")
        return path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"cannot read ({exc.strerror or exc})") from None


def to_text(path: Path, data: bytes) -> tuple[str, str]:
    """(original text, encoding) of a file's bytes, or SkipFile with the reason."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_to_text(data), "pdf"
    text, encoding = decode(data)
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    if not text.strip():
        raise SkipFile("empty file")
    return text, encoding
