"""The transliteration bridge: consonant skeletons that match Latin-script names with their
Arabic spellings, the embedder's gate over them, and what it adds to the BM25 query of an
English question over the Arabic sample corpus; the other way, what it adds to the BM25 query
of an Arabic question over a small English archive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings
from test_dictionary import write_dictd

from rag.index.names import MIN_KEY, NameIndex, pick_closest, pick_names
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.ingest.run import ingest
from rag.transliterate import arabic_keys, latin_keys, name_keys

# (name as an English text writes it, its spelling in Arabic Wikipedia / news)
PAIRS = [
    ("Broncos", "برونكوز"),
    ("Steelers", "ستيلرز"),
    ("Gegeen", "جيجين"),  # two g's apart are two sounds; «جيجين» is JJN, not JN
    ("Hobbes", "هوبز"),  # a doubled letter is one sound
    ("Temüjin", "تيموجين"),
    ("Jacksonville", "جاكسونفيل"),
    ("Panthers", "بانثرز"),
    ("Kublai", "قوبلاي"),
    ("Pentagon", "البنتاغون"),  # with the article
    ("Huguenots", "الهوغونوتيون"),  # with the article and a plural ending
    ("Denver", "ودنفر"),  # with a conjunction
]


@pytest.mark.parametrize(("latin", "arabic"), PAIRS)
def test_a_name_and_its_arabic_spelling_share_a_skeleton(latin: str, arabic: str) -> None:
    assert set(latin_keys(latin)) & arabic_keys(arabic)
    assert NameIndex.build([arabic, "مدينة", "الحكومة"]).candidates(latin) == [arabic]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Ryder", "رايدر", True),
        ("Pat", "بات", True),
        ("Al-Qaim", "القائم", True),
        ("Qaim", "القائم", True),
        ("Washington", "واشنطن", True),
        ("McFarlin", "ماكفارلين", True),
        ("Erbil", "أربيل", True),
        ("Hoesung", "هوسونغ", True),
        ("بغداد", "لبغداد", True),  # Arabic to Arabic, through a clitic
        ("Richard", "رايدر", False),
        ("Raider", "بات", False),
        ("Biden", "بغداد", False),
        ("Jordan", "سوريا", False),
    ],
)
def test_the_skeletons_that_check_an_answers_names(a: str, b: str, same: bool) -> None:
    # rag/answer/verify.py keeps a claim's name only when its quotes hold it: these are the
    # cases its tests (tests/test_llm_protocol.py) rely on, and a few it now also reads.
    assert bool(name_keys(a) & name_keys(b)) is same
    assert name_keys("Ain") == set()  # too short to check


def test_unrelated_words_and_short_skeletons_do_not_match() -> None:
    index = NameIndex.build([a for _, a in PAIRS] + ["بغداد", "لي", "كانت"])
    assert index.candidates("Tesla") == []
    assert index.candidates("Baghdad") == ["بغداد"]
    # "Lee" is L: one consonant matches too many words to look it up at all
    assert all(len(k) < MIN_KEY for k in latin_keys("Lee"))
    assert index.candidates("Lee") == []
    assert index.candidates("") == []
    assert index.candidates("Москва") == []  # a script the skeletons do not read
    assert len(NameIndex.build(["", "123", "abc"])) == 0


def test_candidates_per_name_are_capped() -> None:
    # Fifty words with the skeleton MLF (ملف "file" and its forms): a short name in a large
    # archive; each candidate is embedded with the question, so there is a cap.
    words = [f"ملف{'ا' * i}" for i in range(50)]
    found = NameIndex.build(words).candidates("Melfi")
    assert 0 < len(found) < 50
    assert found == words[: len(found)]


def test_the_gate_keeps_the_closest_spellings_above_the_threshold() -> None:
    names = [("Hobson", ["a", "b", "c"]), ("Gegeen", ["d"])]
    vectors = np.array(
        [
            [1.0, 0.0],  # Hobson
            [0.2, 0.98],  # a: cosine 0.2
            [0.9, 0.44],  # b: 0.9
            [0.5, 0.87],  # c: 0.5
            [0.0, 1.0],  # Gegeen
            [1.0, 0.0],  # d: 0.0
        ]
    )
    assert pick_names(names, vectors, 0.3, 1) == ["b"]
    assert pick_names(names, vectors, 0.3, 2) == ["b", "c"]
    assert pick_names(names, vectors, 0.0, 1) == ["b", "d"]
    assert pick_names([], np.zeros((0, 2)), 0.3, 1) == []


def _queries(store_path: Path, embedder, question: str, **retrieve) -> dict[bool, str]:
    out = {}
    for names in (False, True):
        settings = make_settings(store_path, retrieve={"names": names, **retrieve})
        retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
        out[names] = retriever.lexical_query(question)
        assert retriever.search(question, k=3)
    return out


def test_names_join_the_bm25_query_of_an_english_question(corpus_store: Path, embedder) -> None:
    # Neither the embedding bridge nor the dictionary finds these two names in the sample
    # corpus; their sound does.
    queries = _queries(corpus_store, embedder, "What did the Pentagon say about the Nujaba?")
    assert "البنتاغون" not in queries[False] and "النجباء" not in queries[False]
    assert "البنتاغون" in queries[True] and "النجباء" in queries[True]


def test_a_lowercase_word_the_dictionary_lists_is_not_a_name(
    corpus_store: Path, tmp_path: Path, embedder
) -> None:
    index = write_dictd(tmp_path / "dict", {"pentagon": "مخمس"})
    settings = make_settings(corpus_store, retrieve={"dictionary": str(index)})
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    assert retriever._name_candidates("what did the pentagon say") == []
    names = retriever._name_candidates("What did the Pentagon say")
    assert [n for n, _ in names] == ["Pentagon"] and "البنتاغون" in names[0][1]


def test_the_name_index_follows_the_archive(copy_store: Path, tmp_path: Path, embedder) -> None:
    settings = make_settings(copy_store)
    store = Store.open(settings.store, embedder)
    retriever = Retriever(store, settings.retrieve)
    question = "What did Hobson write about the coalition?"
    assert "هوبسون" not in retriever.lexical_query(question)
    docs = tmp_path / "new"
    docs.mkdir()
    (docs / "hobson.txt").write_text(
        "الخميس, 1 فبراير 2024\n\n"
        "كتب الاقتصادي جون هوبسون عن الإمبريالية وأسبابها الاقتصادية في بداية القرن.\n",
        "utf-8",
    )
    assert ingest(docs, store, settings.ingest, settings.chunk).added
    assert "هوبسون" in retriever.lexical_query(question)
    assert retriever.search(question, k=1)[0].doc_id.endswith("hobson.txt")


def test_a_question_looks_up_a_few_names_only(corpus_store: Path, embedder) -> None:
    # Twelve of these sound like words of the sample corpus; each name brings up to 32
    # candidates to embed, so a pasted list of names must not make a search slow.
    settings = make_settings(corpus_store)
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    question = (
        "Pentagon Nujaba Baghdad Ryder Erbil Harir Asad Sudani Austin Washington Syria Iraq "
        "Iran Trump Biden Kataib Hezbollah Anbar Qaim Reuters"
    )
    names = [n for n, _ in retriever._name_candidates(question)]
    assert names == [
        "Pentagon",
        "Nujaba",
        "Baghdad",
        "Ryder",
        "Erbil",
        "Harir",
        "Sudani",
        "Washington",
    ]
    assert retriever.search(question, k=3)


@pytest.mark.parametrize(("latin", "arabic"), PAIRS)
def test_an_arabic_spelling_finds_the_english_word(latin: str, arabic: str) -> None:
    # The archive's words are light tokens: case-folded
    words = [latin.casefold(), "city", "government", "the", "1990s", arabic]
    index = NameIndex.build(words, "latin")
    assert index.candidates(arabic) == [latin.casefold()]


def test_the_english_index_holds_content_words_only() -> None:
    index = NameIndex.build(["hobson", "the", "which", "1990s", "هوبسون", "ab"], "latin")
    assert {w for ws in index.by_key.values() for w in ws} == {"hobson"}
    assert index.candidates("هوبسون") == ["hobson"]
    assert index.candidates("بغداد") == []
    assert NameIndex.build(["هوبسون"]).candidates("Hobson") == ["هوبسون"]  # Arabic by default


def test_the_looked_up_gate_keeps_the_closest_above_the_threshold() -> None:
    vectors = {
        "هوبسون": [1.0, 0.0],
        "hobson": [0.9, 0.44],  # cosine 0.9
        "hobbes": [0.5, 0.87],  # 0.5
        "habsin": [0.2, 0.98],  # 0.2
        "جيجين": [0.0, 1.0],
        "gegeen": [1.0, 0.0],  # 0.0
    }

    def vectors_of(words):
        found = [w for w in words if w in vectors]
        return found, np.array([vectors[w] for w in found]).reshape(len(found), 2)

    names = {"هوبسون": ["habsin", "hobbes", "hobson", "unknown"], "جيجين": ["gegeen"]}
    assert pick_closest(names, vectors_of, 0.3, 1) == {"هوبسون": ["hobson"]}
    assert pick_closest(names, vectors_of, 0.3, 2) == {"هوبسون": ["hobson", "hobbes"]}
    assert pick_closest(names, vectors_of, 0.0, 1) == {"هوبسون": ["hobson"], "جيجين": ["gegeen"]}
    assert pick_closest({"سين": ["x"]}, vectors_of, 0.0, 1) == {}  # no vector for the word
    assert pick_closest({}, vectors_of, 0.3, 1) == {}


HOBSON = "ماذا كتب هوبسون عن الإمبريالية؟"  # "What did Hobson write about imperialism?"


def test_names_join_the_bm25_query_of_an_arabic_question(english_store: Path, embedder) -> None:
    # The embedding bridge maps «الإمبريالية» to "imperialism" but «هوبسون» to nothing; its
    # sound finds "hobson", and the search finds his article first.
    queries = _queries(english_store, embedder, HOBSON)
    assert "imperialism" in queries[False] and "hobson" not in queries[False]
    assert "hobson" in queries[True]
    settings = make_settings(english_store)
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    assert retriever.search(HOBSON, k=1)[0].doc_id == "hobson.txt"


def test_an_arabic_word_the_dictionary_translates_is_not_a_name(
    english_store: Path, tmp_path: Path, embedder
) -> None:
    # «التلفزيون» sounds like "television" (TLFSN); translated into an archive word, it is
    # not looked up by its sound. A word the dictionary translates into words the archive
    # lacks still is.
    index = write_dictd(tmp_path / "dict", {"television": "التلفزيون", "xylophone": "هوبسون"})
    question = "هل عرض التلفزيون نتائج الانتخابات التي كتب عنها هوبسون؟"
    found = {}
    for setting in ("off", str(index)):
        settings = make_settings(english_store, retrieve={"dictionary": setting})
        retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
        found[setting] = dict(retriever._name_candidates(question))
    assert "television" in found["off"]["التلفزيون"] and "hobson" in found["off"]["هوبسون"]
    assert "التلفزيون" not in found[str(index)]
    assert "hobson" in found[str(index)]["هوبسون"]


def test_arabic_questions_over_the_arabic_archive_are_not_read_in_reverse(
    corpus_store: Path, embedder, gold: list[dict]
) -> None:
    # The reverse aids are for questions whose words the archive does not know: the news
    # gold set's answerable Arabic questions over the Arabic sample corpus never are.
    settings = make_settings(corpus_store)
    retriever = Retriever(Store.open(settings.store, embedder), settings.retrieve)
    questions = [g["question"] for g in gold if g["lang"] == "ar" and g["answerable"]]
    assert len(questions) >= 40
    for question in questions:
        assert retriever._crossed_arabic(question) == [], question
        assert all(n.isascii() for n, _ in retriever._name_candidates(question)), question
