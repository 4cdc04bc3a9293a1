"""The bilingual dictionary bridge: dictd reading, inflections, whole phrases, and what it adds
to the BM25 query of an English question over the Arabic sample corpus; read in reverse, what
it adds to the BM25 query of an Arabic question over a small English archive."""

from __future__ import annotations

import gzip
import os
from functools import partial
from pathlib import Path

import pytest
from conftest import make_settings

from rag.errors import InputError
from rag.index.dictionary import Dictionary, arabic_forms, find_dictionary, translate_words
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


REVERSE = {
    "attack": "1. الهجوم\n2. هجوم",
    "assault": "1. اعتداء\n2. الهجوم",
    "offensive": "1. هجومي\n2. عدواني\n3. الهجوم",  # a third sense
    "drone": "الطائرة بدون طيّار",  # a phrase is not one word: not read backwards
    "air force": "الطيران",  # nor a headword of two words
    "polis": "مدينة",
    "city": "المدينة",
    "book": "كتاب",
    "repent": "تاب",
    "withdrawal": "الإنسحاب",
}


def test_the_reverse_lookup_reads_the_first_senses_backwards(tmp_path: Path) -> None:
    d = Dictionary.load(write_dictd(tmp_path, REVERSE))
    # first senses first; the third sense of "offensive" counts only with three senses
    assert d.reverse_lookup("الهجوم", 2) == ["attack", "assault"]
    assert d.reverse_lookup("الهجوم", 3) == ["attack", "assault", "offensive"]
    assert d.reverse_lookup("هجوم", 1) == ["attack"]  # «هجوم» is a second sense, «الهجوم» first
    # a conjunction or preposition before the article, with or without the article
    for word in ("والهجوم", "بالهجوم", "للهجوم", "هجوم"):
        assert d.reverse_lookup(word, 2) == ["attack", "assault"], word
    assert d.reverse_lookup("طائرة", 2) == d.reverse_lookup("الطائرة", 2) == []
    assert d.reverse_lookup("الطيران", 2) == []
    # with and without the article are one word: both entries
    assert d.reverse_lookup("مدينة", 2) == ["polis", "city"]
    # a one-letter clitic is stripped only when the word as written is not listed
    assert d.reverse_lookup("كتاب", 2) == ["book"]
    assert d.reverse_lookup("وكتاب", 2) == ["book"]
    assert d.reverse_lookup("تاب", 2) == ["repent"]
    # normalised as BM25 normalises: hamza forms fold
    assert d.reverse_lookup("الانسحاب", 2) == ["withdrawal"]
    assert d.reverse_lookup("الحرب", 2) == []
    assert arabic_forms("للهجوم") == [["للهجوم", "الهجوم", "هجوم"]]


ELECTION = "كم كانت نسبة المشاركة في الانتخابات؟"  # "What was the turnout in the election?"


def test_reverse_dictionary_words_join_the_bm25_query_of_an_arabic_question(
    english_store: Path, tmp_path: Path, embedder
) -> None:
    index = write_dictd(
        tmp_path / "dict",
        {
            "turnout": "1. الإقبال\n2. المشاركة",
            "zebra": "الانتخابات",  # deliberately wrong: proves the dictionary added it
            "xylophone": "المشاركة",  # the archive does not have it
        },
    )
    queries = {}
    for setting, senses in (("off", 2), (str(index), 2), (str(index), 1)):
        settings = make_settings(
            english_store, retrieve={"dictionary": setting, "dictionary_senses": senses}
        )
        retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
        # the archive knows none of the question's words: it is read in reverse
        assert retriever._crossed_arabic(ELECTION) == ["نسبة", "المشاركة", "الانتخابات"]
        queries[setting, senses] = retriever.lexical_query(ELECTION)
        assert retriever.search(ELECTION, k=1)[0].doc_id == "election.txt"
    # the embedding bridge alone finds "election", not "turnout"
    assert "election" in queries["off", 2]
    assert "turnout" not in queries["off", 2] and "zebra" not in queries["off", 2]
    assert "turnout" in queries[str(index), 2] and "zebra" in queries[str(index), 2]
    assert "xylophone" not in queries[str(index), 2]
    # «المشاركة» is the second sense of "turnout": not with one sense per word
    assert "turnout" not in queries[str(index), 1] and "zebra" in queries[str(index), 1]


def test_freedict_read_backwards_finds_the_english_archives_words(
    freedict: Path, english_store: Path, embedder
) -> None:
    settings = make_settings(english_store)
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    question = "ماذا باع المزارعون في مهرجان الحصاد بعد العاصفة؟"
    words = retriever._crossed_arabic(question)
    assert words == ["باع", "المزارعون", "مهرجان", "الحصاد", "العاصفة"]
    own = dict(zip(words, embedder.embed(words), strict=True))
    found = retriever._translations(
        question, partial(retriever.store.bridge().vectors_of, also=own)
    )
    # FreeDict gives harvest, harvesting, reaping; gale, storm, tempest ...: the archive has one
    assert found["الحصاد"] == ["harvest"]
    assert found["المزارعون"] == ["farmers"]
    assert found["العاصفة"] == ["storm"]
    # without vectors to rank them, or for an English question, nothing is read backwards
    assert retriever._translations(question) == {}
    assert retriever._translations("What did the farmers sell at the harvest festival?") == {}
