"""One typed settings tree. Environment variables use the RAG_ prefix and __ for nesting
(RAG_LLM__MODEL=...); a TOML file (RAG_CONFIG, or ./rag.toml when present) may set any field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EmbedSettings(_Section):
    backend: Literal["use", "openai"] = Field(
        "use",
        description="'use': multilingual Universal Sentence Encoder shipped with the package "
        "(offline); 'openai': any OpenAI-compatible /v1/embeddings endpoint.",
    )
    threads: int = Field(1, ge=1, le=64, description="BLAS threads for the offline embedder.")
    batch_size: int = Field(256, ge=1, le=4096, description="Texts per embedding call.")
    base_url: str | None = Field(
        None, description="Base URL of the OpenAI-compatible embeddings server (openai backend)."
    )
    api_key: SecretStr | None = Field(None, description="API key for the embeddings server.")
    model: str = Field(
        "text-embedding-3-small", description="Embedding model name (openai backend)."
    )
    timeout: float = Field(30.0, gt=0, description="Seconds before an embeddings call fails.")


class StoreSettings(_Section):
    path: Path = Field(
        PROJECT_ROOT / "store",
        description="Directory of the persistent Chroma store (and the BM25 index beside it).",
    )
    server_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000). When set, vectors "
        "live on the server and only the BM25 index stays in `path`.",
    )
    collection: str = Field("news", description="Name of the Chroma collection of passages.")
    hnsw_ef_search: int = Field(
        500,
        ge=10,
        le=10_000,
        description="Candidates Chroma's HNSW graph keeps while searching (Chroma's default: "
        "100). At 100k passages 100 returned 85% of the exact 40 nearest for English gold "
        "questions (one got none of them), 500 returned 94% for ~1 ms more per search. Set "
        "on a new store and by each ingest into an existing one.",
    )


class ChunkSettings(_Section):
    max_tokens: int = Field(
        200, ge=16, le=2048, description="Token budget of one chunk (tiktoken, see encoding)."
    )
    overlap_tokens: int = Field(
        30, ge=0, le=512, description="Tokens of whole sentences repeated from the previous chunk."
    )
    encoding: str = Field("cl100k_base", description="tiktoken encoding used to count tokens.")


class DumpFields(_Section):
    """Which field of a JSONL/CSV dump row holds what. Unset: the first of the usual names
    present in the row (see rag/ingest/dumps.py); names match case-insensitively, and a
    dotted name reaches into nested JSON objects (source.name)."""

    text: str | None = Field(
        None, description="Article text (default: text, content, body, article, maintext)."
    )
    title: str | None = Field(None, description="Headline (default: title, headline).")
    date: str | None = Field(
        None,
        description="Publication date (default: date, published, published_at, pubDate, "
        "date_publish, publish_date).",
    )
    url: str | None = Field(None, description="Address of the article (default: url, link).")
    outlet: str | None = Field(
        None, description="Outlet name (default: outlet, source, site, source_domain)."
    )
    id: str | None = Field(
        None,
        description="Stable record id, part of the doc id (default: id, guid, uuid; else "
        "the line number).",
    )
    author: str | None = Field(None, description="Author (default: author, authors, byline).")
    updated: str | None = Field(
        None,
        description="Last update date (default: updated, modified, updated_at, date_modify).",
    )


class IngestSettings(_Section):
    max_file_mb: float = Field(
        10.0,
        gt=0,
        description="Files larger than this are skipped with a message; in streamed "
        "containers (WARC, JSONL, CSV), records larger than this.",
    )
    extensions: tuple[str, ...] = Field(
        (
            *(".txt", ".md", ".html", ".htm", ".pdf"),
            *(".warc", ".warc.gz", ".xml", ".rss", ".atom"),
            *(".jsonl", ".ndjson", ".jsonl.gz", ".csv", ".tsv"),
        ),
        description="File name endings read by ingest (saved pages, documents, web archives, "
        "feeds and dataset dumps).",
    )
    fields: DumpFields = Field(
        default_factory=DumpFields,
        description="Field mapping of JSONL/CSV dumps (rag ingest --field text=body).",
    )


class RetrieveSettings(_Section):
    k: int = Field(5, ge=1, le=100, description="Passages returned by search and given to answers.")
    candidates: int = Field(
        40, ge=1, le=1000, description="Candidates taken from each retriever before fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(
        2.0,
        ge=0,
        description="Weight of the BM25 ranking in fusion (2.0 measured best on the gold set).",
    )
    bm25_weight_ar: float = Field(
        25.0,
        ge=0,
        description="Weight of the BM25 ranking for an Arabic question whose terms the archive "
        "knows. Arabic BM25 over two stemmers beats the dense list on every Arabic set here "
        "(ARCD nDCG@10 0.831 alone against 0.597), so it leads and the dense ranking only "
        "re-orders near neighbours: 4 → 25 gave ARCD 0.800 → 0.827, XQuAD ar→ar "
        "0.927 → 0.932, gold Arabic doc@1 0.817 → 0.847 (docs/BENCHMARKS.md, 'Two Arabic "
        "stemmers'). Not for English questions: in an Arabic archive holding a few English "
        "documents, BM25 finds only those, and at 4.0 they pushed the Arabic answer out.",
    )

    bm25_weight_cross: float = Field(
        2.0,
        ge=0,
        description="Weight of the BM25 ranking when the question is in another script than "
        "the archive and reaches BM25 only through bridge words. 2.0 is best on the news gold "
        "set; Wikipedia-style XQuAD en→ar prefers 1.0 (docs/BENCHMARKS.md).",
    )
    bridge: bool = Field(
        True,
        description="Expand BM25 queries with archive words of another script that the "
        "embedder finds close (cross-lingual lexical matching, see rag/bridge.py).",
    )
    bridge_threshold: float = Field(
        0.6, ge=0, le=1, description="Minimum word similarity for a bridge expansion."
    )
    bridge_terms: int = Field(2, ge=1, le=10, description="Expansions per question word.")
    bridge_terms_translated: int = Field(
        2,
        ge=0,
        le=10,
        description="Expansions per question word that the dictionary translates. 1 suits "
        "encyclopaedic archives (XQuAD en→ar nDCG@10 0.860 → 0.875: the embedder's second "
        "neighbour mostly repeats the first's sense) but costs the news gold set two English "
        "key facts (0.86 → 0.82), whose questions use their articles' own words; 0 leaves "
        "such words to the dictionary alone (docs/BENCHMARKS.md).",
    )
    bridge_keep_case: bool = Field(
        True,
        description="Embed question words as written for the bridge ('Baghdad', not "
        "'baghdad'): case-folded proper names land next to look-alike words. Lifts English "
        "retrieval everywhere measured (docs/BENCHMARKS.md); the extractive backend then "
        "answers one more unanswerable English gold question.",
    )
    names: bool = Field(
        True,
        description="Transliteration bridge (rag/index/names.py): a Latin-script name in a "
        "question (a capitalised word, or one the dictionary lacks) also searches BM25 for the "
        "archive's Arabic word that sounds alike and that the embedder finds close to it "
        "('Hobson' → «هوبسون»); the other way, over English sources, an Arabic question word "
        "the dictionary does not translate searches for the English word that sounds alike "
        "(«هوبسون» → 'hobson'; XQuAD ar→en nDCG@10 0.786 → 0.821 alone, docs/BENCHMARKS.md). "
        "Used only with `bridge` on.",
    )
    names_threshold: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Minimum similarity between a name as written and an archive word of the "
        "other script that sounds alike for the word to join the BM25 query.",
    )
    names_terms: int = Field(
        1, ge=1, le=5, description="Spellings in the other script kept per name."
    )
    dictionary: str = Field(
        "auto",
        description="A bilingual dictionary as a second bridge for English words over an "
        "Arabic archive, and read backwards for Arabic words over English sources "
        "(rag/index/dictionary.py; XQuAD ar→en nDCG@10 0.786 → 0.818 alone, "
        "docs/BENCHMARKS.md): 'auto' uses FreeDict eng-ara where scripts/freedict.sh or "
        "Debian's dict-freedict-eng-ara put it (none if absent), 'off' never, or the path of a "
        "dictd .index file. Used only with `bridge` on.",
    )
    dictionary_senses: int = Field(
        2,
        ge=1,
        le=10,
        description="Dictionary translations used per question word. Backwards, an Arabic "
        "word's English headwords are those of which it is one of the first this many senses, "
        "and this many of them are kept, the closest to it by the embedder. 3 measured XQuAD "
        "ar→en nDCG@10 0.842 → 0.843 and XQuAD-R ar→en 0.682 → 0.685, but it also changes "
        "English questions over Arabic archives, where the scale benchmark was not re-run "
        "with it: 2 stays (docs/BENCHMARKS.md).",
    )
    feedback: bool = Field(
        True,
        description="Cross-script pseudo-relevance feedback: for a question in another script "
        "than the archive, add to the BM25 query the words of the top dense passages closest "
        "to the question's words (rag/index/feedback.py). XQuAD en→ar nDCG@10 0.870 → 0.886; "
        "on the news gold set every document figure is unchanged (docs/BENCHMARKS.md).",
    )
    feedback_passages: int = Field(
        2,
        ge=1,
        le=100,
        description="Top dense passages whose words feed the BM25 query (2: XQuAD en→ar "
        "0.886, 3: 0.883, 5: 0.878; more passages, more words off the question's topic).",
    )
    feedback_threshold: float = Field(
        0.6, ge=0, le=1, description="Minimum word similarity for a feedback word."
    )
    feedback_terms: int = Field(1, ge=1, le=10, description="Feedback words per question word.")
    feedback_variant: float = Field(
        0.75,
        ge=0,
        le=1,
        description="A feedback word at least this similar to a word the query already has is "
        "an inflection or another spelling of it («المسؤول» beside «المسؤولين»), not a "
        "translation, and is left out: such words pulled English questions off their articles "
        "(scale benchmark, 100k passages: recall@5 0.88 with them, 0.90 without). 1 keeps "
        "them.",
    )
    translate: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Translate a question the archive's words do not cover (English over an "
        "Arabic archive, or the reverse) with the configured LLM, and add the translation's "
        "words to the BM25 query (rag/index/translation.py). 'auto': when the LLM "
        "(llm.base_url) is served from another machine, not when it runs on this one: with "
        "the 1.5B test model on 2 cores a translation cost English questions ~4 s to first "
        "token and raised no key facts (docs/BENCHMARKS.md); never on the offline default. "
        "'on': with any configured LLM; 'off': never.",
    )
    translate_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a question's translation may take; past them (or on any LLM "
        "failure) the question is searched untranslated, and the answer says why.",
    )
    translate_cooldown: float = Field(
        60.0,
        ge=0,
        description="Seconds no translation is asked for after one failed, so that a down or "
        "hanging server costs one question a timeout rather than every question.",
    )
    proximity_weight: float = Field(
        3.0,
        ge=0,
        description="Weight of a third fused ranking: the first `proximity_depth` candidates "
        "by how much of the query's BM25 terms (IDF-weighted) they hold within "
        "`proximity_window` consecutive terms. 0 turns it off.",
    )
    proximity_depth: int = Field(
        10, ge=1, le=1000, description="Fused candidates ranked again by term proximity."
    )
    proximity_window: int = Field(
        60,
        ge=2,
        description="Terms in a proximity window (an Arabic word counts twice: its two stems; "
        "60 is about two news sentences).",
    )
    date_weight: float = Field(
        2.0,
        ge=0,
        description="Weight of a fused ranking of the first `date_depth` candidates whose "
        "document is dated in a month or on a day the question names ('the plan reported in "
        "October 2025'; rag/index/dated.py). 0 turns it off.",
    )
    date_depth: int = Field(
        10, ge=1, le=1000, description="Fused candidates looked at for the question's dates."
    )
    date_pad_days: int = Field(
        14,
        ge=0,
        le=366,
        description="Days after a named day or month that still count as its period: news "
        "reports an event on its day or in the days after.",
    )
    collapse_duplicates: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Near-copies (content-word Jaccard at least this) of a better-ranked "
        "passage from another document take no place in the results; they are listed in its "
        "`also` (also reported by). 0: every copy is a result.",
    )
    fusion: Literal["fixed", "adaptive"] = Field(
        "fixed",
        description="'fixed': the configured weights; 'adaptive': each list's weight is scaled "
        "by how many of its top hits the other list also ranks (rag/index/fusion.py). "
        "'adaptive' measured no better once feedback is on (docs/BENCHMARKS.md).",
    )
    agreement_depth: int = Field(
        10, ge=1, le=1000, description="Top hits of each list checked against the other."
    )
    agreement_floor: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Share of a list's weight kept when none of its top hits is confirmed.",
    )


class LLMSettings(_Section):
    base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint (https://api.openai.com/v1, "
        "http://127.0.0.1:11434/v1 for Ollama, a vLLM or llama.cpp server). Unset: no LLM.",
    )
    api_key: SecretStr | None = Field(
        None, description="API key; required for api.openai.com, optional for local servers."
    )
    model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    timeout: float = Field(
        60.0, gt=0, description="Seconds the endpoint may stay silent before a call is abandoned."
    )
    deadline: float | None = Field(
        None,
        gt=0,
        description="Seconds one question may spend on the LLM overall (follow-up rewrite, "
        "retries, Retry-After waits and slow streams included); past it the extractive answer "
        "is given, with `fallback` saying why. Unset: 90 for a server on this machine, 30 "
        "for a remote one.",
    )
    max_retries: int = Field(2, ge=0, le=10, description="Retries with backoff on 429 and 5xx.")
    max_tokens: int = Field(300, ge=16, description="Maximum tokens of the generated answer.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    protocol: Literal["json", "text"] = Field(
        "json",
        description="How the model replies: 'json' (structured output with a schema; "
        "llama.cpp, vLLM, Ollama, OpenAI) or 'text' (sentences ending in [n] markers). "
        "A server that refuses 'json' is asked again in 'text'.",
    )
    evidence_sentences: int = Field(
        10, ge=1, le=60, description="Most evidence sentences shown to the model per question."
    )
    whole_sentences: bool = Field(
        False,
        description="Show the model a sentence cut by a chunk boundary whole, as the "
        "extractive backend quotes it. Off: with the 1.5B test model, whole sentences raised "
        "key facts 0.55 -> 0.61 but abstention recall fell 0.75 -> 0.44 (more material to "
        "answer unanswerable questions from; docs/BENCHMARKS.md).",
    )
    context_tokens: int = Field(
        800,
        ge=64,
        description="Token budget of the evidence sentences put in the prompt (prompt "
        "processing dominates answer time on small local models).",
    )


class AnswerSettings(_Section):
    backend: Literal["auto", "extractive", "openai"] = Field(
        "auto",
        description="'auto': the LLM when configured and reachable, else extractive.",
    )
    when_unverified: Literal["agree", "extractive", "abstain"] = Field(
        "agree",
        description="When the LLM answered but none of its claims could be verified against "
        "the sources: 'agree' gives the extractive answer (the sources' own words, `fallback` "
        "saying why) only if the model cited the sentence that answer quotes first (both "
        "point at the same place), else abstains; 'extractive' always gives it; 'abstain' "
        "never. A model that declines to answer always abstains.",
    )
    language: Literal["auto", "ar", "en"] = Field(
        "auto", description="Answer language; 'auto' answers in the question's language."
    )
    max_sentences: int = Field(
        3, ge=1, le=6, description="Sentences quoted by the extractive backend."
    )
    min_relevance: float = Field(
        0.25,
        ge=-1,
        le=1,
        description="Abstain when no passage in the question's language reaches this dense "
        "cosine similarity (off-topic questions; calibrated on the gold set).",
    )
    min_relevance_cross: float = Field(
        0.15,
        ge=-1,
        le=1,
        description="As min_relevance for passages in another language than the question "
        "(cross-lingual similarities run lower).",
    )
    min_evidence_same: float = Field(
        0.60,
        ge=0,
        le=2,
        description="Extractive backend: abstain when the best sentence scores below this and "
        "the sentence is in the question's language (calibrated on the gold set).",
    )
    min_evidence_cross: float = Field(
        0.50,
        ge=0,
        le=2,
        description="As min_evidence_same, when question and sentence languages differ "
        "(cross-lingual similarities run lower).",
    )
    extra_margin: float = Field(
        0.25,
        ge=0,
        le=2,
        description="Extractive backend: a second or third sentence is quoted only when it "
        "scores within this margin of the best one.",
    )
    claim_margin: float = Field(
        0.2,
        ge=0,
        le=2,
        description="LLM backend: a claim is shown only if a sentence it cites scores within "
        "this of the question's best evidence sentence (the extractive backend's sentence "
        "score); claims about something else are dropped (measured on the gold set with a 1.5B "
        "model: wrong answers become abstentions, docs/BENCHMARKS.md). 0: no such check.",
    )
    claim_relevant: float = Field(
        0.7,
        ge=0,
        le=2,
        description="LLM backend: a cited sentence scoring at least this is relevant whatever "
        "the best one scores (`claim_margin` asks no more). A best sentence that restates the "
        "question scores far above the one that answers it (1.21 against 0.72 for 'where "
        "will the troops leaving Ain al-Asad move to?').",
    )
    conflict_margin: float = Field(
        0.35,
        ge=0,
        le=2,
        description="Extractive backend, number and date questions: a sentence from another "
        "source giving another figure or date is shown beside the best one when it scores "
        "within this margin of it (disagreeing sources side by side).",
    )
    passages: int = Field(
        8, ge=1, le=50, description="Passages retrieved to answer a question (rag ask --k)."
    )
    min_support: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Support a cited quote in the claim's language must give it to count as "
        "verified: the share of the claim's content words it contains, or the embedding "
        "similarity if higher.",
    )
    min_support_cross: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Embedding similarity a quote in another language than the claim (an "
        "English claim citing an Arabic sentence), or one of its clauses, must reach to count "
        "as verified.",
    )
    min_support_anchored: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Lower similarity bar for a claim whose figures, dates or added names were "
        "all found in its quotes (an answer that restates the question is far from the quote "
        "in embedding space although its answer is checked exactly).",
    )
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Directory of prompt files.")


class UISettings(_Section):
    host: str = Field(
        "127.0.0.1",
        description="Interface the UI binds to. Anything but loopback (127.0.0.0/8, ::1, "
        "localhost) needs username and password, or `rag serve --no-auth`.",
    )
    port: int = Field(7860, ge=1, le=65535, description="Port of the UI.")
    username: str | None = Field(
        None, description="Login name of the UI (RAG_UI__USERNAME); unset: no login page."
    )
    password: SecretStr | None = Field(
        None,
        description="Login password (RAG_UI__PASSWORD); never a command-line option, so it "
        "stays out of shell history and process lists.",
    )
    password_file: Path | None = Field(
        None,
        description="File whose first line is the login password (instead of `password`; "
        "e.g. a container secret).",
    )
    tls_certfile: Path | None = Field(
        None,
        description="PEM certificate (chain) to serve HTTPS with, with `tls_keyfile`; over "
        "plain HTTP the login and its cookie cross the network in clear.",
    )
    tls_keyfile: Path | None = Field(
        None, description="PEM private key of `tls_certfile` (unencrypted)."
    )
    login_max_failures: int = Field(
        5,
        ge=0,
        description="Failed logins from one client address within `login_lockout_s` after "
        "which that address is refused for `login_lockout_s` seconds (behind a reverse proxy "
        "every client has the proxy's address). 0: no limit.",
    )
    login_max_failures_total: int = Field(
        50,
        ge=0,
        description="Failed logins from all addresses together within `login_lockout_s` after "
        "which every login is refused for `login_lockout_s` seconds (a guesser spread over "
        "many addresses). 0: no limit.",
    )
    login_lockout_s: float = Field(
        300.0, gt=0, description="Window and length of the login lockout, in seconds."
    )
    read_only: bool = Field(
        False,
        description="Ask only: no upload panel, no upload endpoint, and Gradio's file route "
        "accepts no file.",
    )
    max_upload_mb: float = Field(10.0, gt=0, description="Largest file accepted by upload.")
    max_upload_files: int = Field(
        20, ge=1, le=1000, description="Files accepted by one upload; the rest are refused."
    )
    max_history_turns: int = Field(
        6,
        ge=0,
        le=100,
        description="Earlier question/answer turns kept per session and given to the pipeline "
        "to read follow-up questions.",
    )
    max_source_panels: int = Field(
        10,
        ge=1,
        le=200,
        description="Answers per session whose sources stay in the sources panel; the chat "
        "shows as many turns, so every citation link leads somewhere.",
    )
    max_sessions: int = Field(
        1000,
        ge=1,
        description="Browser sessions whose state the server keeps; the least recently used "
        "is dropped beyond this.",
    )
    concurrency: int = Field(4, ge=1, description="Requests the UI's queue runs at once.")
    housekeeping_s: float = Field(
        10.0,
        ge=0,
        description="Seconds between sweeps that free closed sessions and hand freed heap "
        "memory back to the system (glibc malloc_trim); without them the server stays at "
        "its peak after load. 0: off.",
    )
    session_grace_s: float = Field(
        60.0,
        ge=0,
        description="Seconds a closed browser session's state is kept for a reconnect "
        "before it is freed (Gradio alone keeps it an hour).",
    )
    malloc_arenas: int = Field(
        2,
        ge=0,
        le=64,
        description="glibc malloc arenas of the server (as MALLOC_ARENA_MAX); fewer arenas "
        "fragment less under many threads. 0: the C library's default (8 per core).",
    )


class Settings(BaseSettings):
    """Effective settings: defaults < TOML file < environment < explicit arguments."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_nested_delimiter="__", extra="forbid", validate_assignment=True
    )

    embed: EmbedSettings = Field(default_factory=EmbedSettings, description="Embeddings.")
    store: StoreSettings = Field(default_factory=StoreSettings, description="Vector store.")
    chunk: ChunkSettings = Field(default_factory=ChunkSettings, description="Chunking.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingestion.")
    retrieve: RetrieveSettings = Field(default_factory=RetrieveSettings, description="Retrieval.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="LLM endpoint.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answering.")
    ui: UISettings = Field(default_factory=UISettings, description="Chat UI.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = config_file()
        if config is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)


def config_file() -> Path | None:
    """The TOML file settings are read from: $RAG_CONFIG, else ./rag.toml if it exists."""
    named = os.environ.get("RAG_CONFIG")
    if named:
        return Path(named)
    local = Path("rag.toml")
    return local if local.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Build settings from file and environment; `overrides` are nested dicts per section."""
    from pydantic import ValidationError

    from rag.errors import ConfigError

    named = os.environ.get("RAG_CONFIG")
    if named and not Path(named).is_file():
        raise ConfigError(f"config file not found: {named}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets masked (for `rag config`)."""
    data = settings.model_dump(mode="json")
    for section in ("embed", "llm"):
        if data[section].get("api_key"):
            data[section]["api_key"] = "****"
    return data
