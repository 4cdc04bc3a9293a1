"""Consistency tests for the hand-made bilingual gold set in eval/gold/."""

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).parents[1]
GOLD_DIR = ROOT / "eval" / "gold"
QUESTIONS = GOLD_DIR / "questions.jsonl"
SCHEMA = GOLD_DIR / "schema.json"
CORPUS = ROOT / "data" / "corpus"

ABSTENTION = {
    "ar": "لا تتضمن الوثائق المتاحة إجابة عن هذا السؤال",
    "en": "The documents don't contain an answer to this question",
}

# --- normalisation -----------------------------------------------------------
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # + tatweel
_TRANS = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended (Persian) digits
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",  # Farsi yeh (appears in the scraped corpus)
        "ک": "ك",  # keheh
        "ة": "ه",
        "\u00a0": " ",
        "\u066c": ",",  # Arabic thousands separator
    }
)
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")


def normalise(text: str) -> str:
    text = _DIACRITICS.sub("", text).translate(_TRANS).casefold()
    return re.sub(r"\s+", " ", text).strip()


def number_tokens(text: str) -> set[str]:
    return set(re.findall(r"\d+", _THOUSANDS.sub("", normalise(text))))


def variant_supported(variant: str, text: str) -> bool:
    """The variant occurs in the (normalised) text, or all its numbers do."""
    if normalise(variant) in normalise(text):
        return True
    digits = number_tokens(variant)
    return bool(digits) and digits <= number_tokens(text)


def has_arabic(text: str) -> bool:
    return re.search("[\u0600-\u06ff]", text) is not None


# --- fixtures ------------------------------------------------------------------
def _load_items() -> list[dict]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ITEMS = _load_items()
BY_ID = {item["id"]: item for item in ITEMS}
ANSWERABLE = [item for item in ITEMS if item.get("answerable")]


def _doc_text(doc_id: str) -> str:
    return (CORPUS / doc_id).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _ids(items: list[dict]) -> list[str]:
    return [item.get("id", "?") for item in items]


# --- file-level tests -------------------------------------------------------------
def test_file_is_utf8_jsonl_without_blank_lines():
    raw = QUESTIONS.read_bytes().decode("utf-8")
    lines = raw.splitlines()
    assert lines, "questions.jsonl is empty"
    for number, line in enumerate(lines, 1):
        assert line.strip(), f"blank line {number}"
        assert isinstance(json.loads(line), dict), f"line {number} is not an object"
    assert "\\u06" not in raw, "write with ensure_ascii=False (Arabic should be readable)"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_item_matches_schema(item, validator):
    errors = sorted(validator.iter_errors(item), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_ids_unique():
    dupes = [i for i, n in Counter(_ids(ITEMS)).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_counts():
    langs = Counter(item["lang"] for item in ITEMS)
    unanswerable = [item for item in ITEMS if not item["answerable"]]
    paired = [item for item in ITEMS if "pair" in item]
    assert len(ITEMS) >= 64
    assert langs["ar"] >= 27
    assert langs["en"] >= 27
    assert len(unanswerable) >= 12
    assert {item["lang"] for item in unanswerable} == {"ar", "en"}
    assert len(paired) >= 25


def test_all_types_covered():
    types = {item["type"] for item in ITEMS}
    expected = {
        "date",
        "person",
        "place",
        "number",
        "conflict",
        "read_also",
        "other",
        "unanswerable",
    }
    assert expected <= types, f"missing types: {expected - types}"


PAIRED = [item for item in ITEMS if "pair" in item]


@pytest.mark.parametrize("item", PAIRED, ids=_ids(PAIRED))
def test_pairs(item):
    other = BY_ID.get(item["pair"])
    assert other is not None, f"pair {item['pair']} does not exist"
    assert other["lang"] != item["lang"], "pair must be in the other language"
    assert other["answerable"] == item["answerable"], "pair must have the same answerability"
    assert other["type"] == item["type"], "pair must have the same type"
    assert other.get("pair") == item["id"], "pair must point back"
    assert sorted(other["source_docs"]) == sorted(item["source_docs"])


# --- answerability ------------------------------------------------------------------
@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_answerability_consistent(item):
    if item["answerable"]:
        assert item["type"] != "unanswerable"
        assert len(item["key_facts"]) >= 1
        assert len(item["quotes"]) >= 1
        assert len(item["source_docs"]) >= 1
    else:
        assert item["type"] == "unanswerable"
        assert item["reference_answer"] == ABSTENTION[item["lang"]]
        assert item["key_facts"] == [] and item["quotes"] == [] and item["source_docs"] == []


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_question_language(item):
    if item["lang"] == "ar":
        assert has_arabic(item["question"]) and has_arabic(item["reference_answer"])
    else:
        assert not has_arabic(item["question"])
        assert re.search("[A-Za-z]", item["reference_answer"])


# --- documents and quotes ---------------------------------------------------------------
@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_source_docs_exist(item):
    for doc_id in item["source_docs"]:
        assert (CORPUS / doc_id).is_file(), f"missing corpus file {doc_id}"


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_quotes_verbatim(item):
    quoted_docs = set()
    for quote in item["quotes"]:
        assert quote["doc_id"] in item["source_docs"], f"{quote['doc_id']} not in source_docs"
        assert quote["text"] in _doc_text(quote["doc_id"]), (
            f"not verbatim in {quote['doc_id']}: {quote['text']!r}"
        )
        quoted_docs.add(quote["doc_id"])
    assert quoted_docs == set(item["source_docs"]), "every source doc needs at least one quote"


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_key_facts_bilingual(item):
    for fact in item["key_facts"]:
        assert any(has_arabic(v) for v in fact), f"no Arabic variant in {fact}"
        assert any(not has_arabic(v) for v in fact), f"no English/ASCII variant in {fact}"


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_quotes_support_key_facts(item):
    """Each key fact has a variant (or its numbers) in at least one of the item's quotes."""
    for fact in item["key_facts"]:
        quotes = [quote["text"] for quote in item["quotes"]]
        assert any(variant_supported(variant, text) for variant in fact for text in quotes), (
            f"key fact {fact} not found in the quotes"
        )


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_key_facts_in_source_docs(item):
    text = "\n".join(_doc_text(doc_id) for doc_id in item["source_docs"])
    for fact in item["key_facts"]:
        assert any(variant_supported(v, text) for v in fact), f"key fact {fact} not in source docs"


def test_normalise():
    assert normalise("دفاعًا عن النفس") == "دفاعا عن النفس"
    assert normalise("الأمریکیة") == normalise("الامريكيه")
    assert normalise("أبو التقوى") == "ابو التقوي"
    assert normalise("٢٠٢٥ September") == "2025 september"
    assert number_tokens("2,500 troops") == {"2500"}


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_reference_answer_has_key_facts(item):
    """A scorer using the key facts must accept the item's own reference answer."""
    answer = normalise(item["reference_answer"])
    for fact in item["key_facts"]:
        assert any(normalise(v) in answer for v in fact), f"{fact} missing from reference answer"
