"""The bilingual dictionary bridge: dictd reading, inflections, whole phrases, and what it adds
to the BM25 query of an English question over the Arabic sample corpus."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from conftest import make_settings

from rag.errors import InputError
from rag.index.dictionary import Dictionary, find_dictionary, translate_words
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.text import normalize_arabic

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(n: int) -> str:
    out = ""
    while True:
        out = _B64[n % 64] + out
        n //= 64
        if not n:
            return out


def write_dictd(directory: Path, entries: dict[str, str], name: str = "test-eng-ara") -> Path:
    """A dictd dictionary as FreeDict ships it: gzip text plus a base64-offset index."""
    data, index = b"", ["00databaseshort\tA\tB"]
    for head, body in entries.items():
        text = f"{head} /x/\n{body}\n".encode()
        index.append(f"{head}\t{_b64(len(data))}\t{_b64(len(text))}")
        data += text
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.dict.dz").write_bytes(gzip.compress(data))
    path = directory / f"{name}.index"
    path.write_text("\n".join(index) + "\n", "utf-8")
    return path


ENTRIES = {
    "attack": "الهجوم",
    "study": "1. دراسة\n2. يدرس",
    "drone": "الطائرة بدون طيّار",
    "zebra": "القاعدة",  # deliberately wrong: proves the dictionary, not the embedder, added it
    "xylophone": "إكسيليفون",
}


def test_reads_dictd_entries_numbered_senses_and_inflections(tmp_path: Path) -> None:
    d = Dictionary.load(write_dictd(tmp_path, ENTRIES))
    assert len(d) == len(ENTRIES)
    assert d.lookup("Attack") == ["الهجوم"]
    assert d.lookup("attacks") == ["الهجوم"]
    assert d.lookup("attacked") == ["الهجوم"]
    assert d.lookup("studies") == ["دراسة", "يدرس"]
    assert d.lookup("unknownword") == []


def test_a_translation_counts_only_whole_and_only_if_the_archive_knows_it(tmp_path: Path) -> None:
    d = Dictionary.load(write_dictd(tmp_path, ENTRIES))
    known = {"الطائرة", "بدون", "دراسة", "الهجوم"}  # not طيار, not يدرس
    found = translate_words(d, ["drones", "studies", "attack", "xylophone"], known.__contains__, 2)
    assert found == {"studies": ["دراسة"], "attack": ["الهجوم"]}
    # one sense only: the second translation is not used
    assert translate_words(d, ["studies"], lambda w: True, 1) == {"studies": ["دراسة"]}
    # Arabic words are not looked up in an English-Arabic dictionary
    assert translate_words(d, ["الهجوم"], lambda w: True, 2) == {}


def test_a_damaged_or_missing_dictionary_is_a_clear_error(tmp_path: Path) -> None:
    index = write_dictd(tmp_path, ENTRIES)
    index.write_text("attack\t!!\tB\n", "utf-8")
    with pytest.raises(InputError, match="damaged dictionary index"):
        Dictionary.load(index)
    index.with_suffix(".dict.dz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match="cannot read the dictionary"):
        Dictionary.load(index)
    with pytest.raises(InputError, match="no dictionary index"):
        find_dictionary(str(tmp_path / "absent.index"))
    assert find_dictionary("off") is None


def test_auto_finds_the_dictionary_in_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = write_dictd(tmp_path / "rag-news" / "freedict", ENTRIES, "freedict-eng-ara")
    assert find_dictionary("auto") == cached


def test_dictionary_words_join_the_bm25_query_of_an_english_question(
    copy_store: Path, tmp_path: Path, embedder
) -> None:
    index = write_dictd(tmp_path / "dict", ENTRIES)
    question = "Which zebra was hit by the xylophone?"
    queries = {}
    for setting in ("off", str(index)):
        settings = make_settings(copy_store, retrieve={"dictionary": setting})
        retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
        queries[setting] = retriever.lexical_query(question)
        hits = retriever.search(question, k=3)
        assert hits
    assert "القاعدة" not in queries["off"]
    assert "القاعدة" in queries[str(index)]
    assert "إكسيليفون" not in queries[str(index)]  # the archive does not have it


@pytest.fixture(scope="module")
def freedict() -> Path:
    path = find_dictionary("auto")
    if path is None:
        if os.environ.get("RAG_TEST_DICT_REQUIRED") == "1":
            pytest.fail("RAG_TEST_DICT_REQUIRED=1 but scripts/freedict.sh found no dictionary")
        pytest.skip("no FreeDict eng-ara dictionary here (scripts/freedict.sh fetches it)")
    return path


def test_freedict_translates_the_news_vocabulary_of_the_sample_corpus(
    freedict: Path, corpus_store: Path, embedder
) -> None:
    d = Dictionary.load(freedict)
    assert len(d) > 80_000
    settings = make_settings(corpus_store)
    store = Store.open(settings.store, embedder)
    found = translate_words(
        d, ["coalition", "mission", "withdrawal", "troops", "embassy"], store.lexical().knows, 2
    )
    assert found["coalition"] == ["التحالف"]
    # FreeDict spells it الإنسحاب; BM25 folds hamza forms, so it matches the news' الانسحاب
    assert [normalize_arabic(w) for w in found["withdrawal"]] == [normalize_arabic("الانسحاب")]
    assert found["troops"] == ["القوات"]
    assert "embassy" not in found  # السفارة: the sample corpus never says it


def test_a_word_the_dictionary_translates_can_keep_fewer_bridge_words(
    corpus_store: Path, tmp_path: Path, embedder
) -> None:
    index = write_dictd(tmp_path / "dict", {"coalition": "التحالف"})
    question = "When does the coalition end?"
    bridged = {}
    for per_word in (2, 1, 0):
        settings = make_settings(
            corpus_store,
            retrieve={"dictionary": str(index), "bridge_terms_translated": per_word},
        )
        retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
        words = ["coalition", "end"]
        vectors = embedder.embed(words)
        bridged[per_word] = retriever._bridged(words, vectors, retriever._translations(question))
        assert retriever.search(question, k=3)
    # "end" is not in this dictionary and keeps its two bridge words whatever the setting;
    # "coalition" has two («التحالف», «المتحالفة»), one, or none beside its translation
    end = bridged[0]
    assert len(end) == 2
    assert len(bridged[2]) == 4 and bridged[2][:2] == end
    assert bridged[1] == bridged[2][:3]
