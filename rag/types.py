"""Records passed between pipeline stages. Offsets are character offsets (Python str indices)
into a document's original text: the decoded file for .txt/.md, the headline and extracted
main text of a web page (.html, a WARC record) or feed entry, the text field of a dump row,
the text layer of a PDF. That text is kept in the store so every quote can be checked
against it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Chunk(BaseModel):
    """A passage of whole sentences from one section of one document."""

    chunk_id: str = Field(description="Stable id: doc id, content hash and position.")
    doc_id: str = Field(
        description="Path of the source relative to the ingested root; for a record of a "
        "container file (WARC, feed, dump) '<path>#<record key>'."
    )
    text: str = Field(description="Cleaned passage text.")
    start: int = Field(description="Start offset of the passage in the original text.")
    end: int = Field(description="End offset (exclusive) in the original text.")
    title: str = Field("", description="Headline of the document (or of its section).")
    outlet: str = Field("", description="Outlet named by the text, if any.")
    date: str = Field("", description="ISO date of the passage's section, '' when unknown.")
    date_source: str = Field("", description="'section', 'page' or '' (how date was found).")
    section: str = Field("main", description="'main' or 'read_also' (an embedded article).")
    language: str = Field("ar", description="Detected language of the passage.")
    index: int = Field(0, description="Position of the chunk in its document.")
    url: str = Field("", description="Address of the source page, '' when unknown.")
    instructions: list[tuple[int, int]] | None = Field(
        None,
        description="Spans (in `text`) of sentences addressed to an AI assistant, found at "
        "ingest; never answer evidence. None: written before this check existed.",
    )


class SourceRef(BaseModel):
    """Another document that carries the same passage (a reprinted wire story)."""

    doc_id: str = Field(description="Document id of the copy.")
    chunk_id: str = Field(description="Chunk id of the copy.")
    title: str = Field("", description="Its headline.")
    outlet: str = Field("", description="Its outlet, if named.")
    date: str = Field("", description="Its ISO date, '' when unknown.")
    url: str = Field("", description="Its address, '' when unknown.")


class Passage(Chunk):
    """A retrieved chunk with its scores."""

    score: float = Field(0.0, description="Fused score (reciprocal rank fusion).")
    dense_score: float | None = Field(None, description="Cosine similarity to the question.")
    bm25_score: float | None = Field(None, description="BM25 score, None if not matched.")
    also: list[SourceRef] = Field(
        default_factory=list,
        description="Near-copies of this passage in other documents, ranked lower and left "
        "out of the results (also reported by).",
    )


class DocumentInfo(BaseModel):
    """What the store knows about one ingested document."""

    doc_id: str
    content_hash: str
    title: str = ""
    date: str = ""
    outlet: str = ""
    language: str = ""
    encoding: str = ""
    chunks: int = 0
    path: str = ""
    # Stated by the source (page markup, feed entry, dump fields); '' when it does not say.
    url: str = ""
    author: str = ""
    updated: str = ""  # ISO date of the last update, when the source states another one
    format: str = ""  # text, html, pdf, warc, feed, jsonl or csv; '' in older stores
