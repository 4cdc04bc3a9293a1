"""Tests for rag.dates: finding dates in Arabic/English news text and parsing user dates."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.cite import dated_time_from_one_source, times_of_day_held
from rag.dates import (
    FoundDate,
    dateline_end,
    day_parts,
    days_of_month,
    find_dates,
    is_dateline,
    parse_date,
    parse_date_precision,
)

D = dt.date


def only(text: str) -> FoundDate:
    found = find_dates(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "date", "kind", "matched"),
    [
        ("الجمعة, 5 يناير 2024 10:04 ص", D(2024, 1, 5), "published", "الجمعة, 5 يناير 2024"),
        ("الأربعاء، 1 أكتوبر 2025", D(2025, 10, 1), "published", "الأربعاء، 1 أكتوبر 2025"),
        ("تاريخ النشر: 15th, January 2024 GMT", D(2024, 1, 15), "published", "15th, January 2024"),
        ("آخر تحديث: 12 أكتوبر 2025 - 8:50 صبغداد/ شبكة", D(2025, 10, 12), "published", None),
        ("نشر في 3 مايو 2023", D(2023, 5, 3), "published", "3 مايو 2023"),
        ("Published: Jan. 5, 2024", D(2024, 1, 5), "published", "Jan. 5, 2024"),
        ("Updated on 7 March 2024", D(2024, 3, 7), "published", "7 March 2024"),
        ("قال إنه في 15 يناير 2024 وقع الاتفاق", D(2024, 1, 15), "mention", "15 يناير 2024"),
        ("وقع يوم الجمعة 5 يناير 2024 هجوم", D(2024, 1, 5), "mention", "الجمعة 5 يناير 2024"),
        ("The deal of January 15, 2024 was signed", D(2024, 1, 15), "mention", "January 15, 2024"),
        ("signed on 15 January 2024 in Baghdad", D(2024, 1, 15), "mention", "15 January 2024"),
        ("the 15th of January, 2024 talks", D(2024, 1, 15), "mention", None),
        ("in a 2024-01-15 memo", D(2024, 1, 15), "mention", "2024-01-15"),
        ("in a 15/01/2024 memo", D(2024, 1, 15), "mention", "15/01/2024"),
        ("report dated 05.02.2024 says", D(2024, 2, 5), "mention", "05.02.2024"),
        ("في 4 كانون الثاني/يناير 2024 قال", D(2024, 1, 4), "mention", "4 كانون الثاني/يناير 2024"),
        ("في 4 يناير/كانون الثاني 2024 قال", D(2024, 1, 4), "mention", None),
        ("a study published January 5, 2024 found", D(2024, 1, 5), "mention", None),
        ("تقرير نشر في 3 مايو 2023 كشف", D(2023, 5, 3), "mention", None),
    ],
)
def test_find_dates_examples(text: str, date: D, kind: str, matched: str | None) -> None:
    f = only(text)
    assert (f.date, f.kind, f.precision) == (date, kind, "day")
    if matched is not None:
        assert text[f.start : f.end] == matched


def test_glued_update_line_from_corpus_doc_000() -> None:
    text = "آخر تحديث: 12 أكتوبر 2025 - 8:50 صبغداد/ شبكة أخبار العراق- قالت مصادر"
    f = only(text)
    assert text[f.start : f.end] == "12 أكتوبر 2025"
    assert text[dateline_end(text) :].startswith("بغداد/ شبكة")


@pytest.mark.parametrize(
    ("names", "month"),
    [
        (["يناير", "كانون الثاني", "كانون ثاني"], 1),
        (["فبراير", "شباط"], 2),
        (["مارس", "آذار", "اذار"], 3),
        (["أبريل", "إبريل", "ابريل", "نيسان"], 4),
        (["مايو", "أيار", "ايار"], 5),
        (["يونيو", "يونيه", "حزيران"], 6),
        (["يوليو", "يوليه", "تموز"], 7),
        (["أغسطس", "اغسطس", "آب"], 8),
        (["سبتمبر", "أيلول"], 9),
        (["أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول"], 10),
        (["نوفمبر", "تشرين الثاني"], 11),
        (["ديسمبر", "كانون الأول", "كانون الاول"], 12),
    ],
)
def test_both_arabic_month_systems(names: list[str], month: int) -> None:
    for name in names:
        text = f"وفي 9 {name} 2023 أعلن"
        f = only(text)
        assert f.date == D(2023, month, 9), name
        assert text[f.start : f.end] == f"9 {name} 2023"


@pytest.mark.parametrize("month", range(1, 13))
def test_english_months_full_and_abbreviated(month: int) -> None:
    full = dt.date(2023, month, 1).strftime("%B")
    assert only(f"on {full} 9, 2023 they").date == D(2023, month, 9)
    assert only(f"on 9 {full[:3]} 2023 they").date == D(2023, month, 9)


def test_arabic_indic_and_persian_digits_keep_spans() -> None:
    for text in ("في ٥ يناير ٢٠٢٤ قال", "في ۵ يناير ۲۰۲۴ قال", "في ١٥/٠١/٢٠٢٤ قال"):
        f = only(text)
        assert f.date in (D(2024, 1, 5), D(2024, 1, 15))
        assert text[f.start : f.end].startswith(("٥", "۵", "١٥"))


def test_month_and_year_only_is_a_month_precision_mention() -> None:
    text = "المقرر أن تنهي المهمة بحلول سبتمبر/أيلول 2025، ورد أن"
    f = only(text)
    assert (f.date, f.kind, f.precision) == (D(2025, 9, 1), "mention", "month")
    assert text[f.start : f.end] == "سبتمبر/أيلول 2025"
    assert only("حتى سبتمبر 2025 ستنتهي").precision == "month"
    assert only("in June of 2024 the").date == D(2024, 6, 1)


@pytest.mark.parametrize(
    "text",
    [
        "انسحبت القوات من القائم في عام 2020 وسلمت",  # a bare year is not a date
        "في 2020 وقع",
        "إنه في 4 كانون الثاني/يناير، حوالي الساعة 12 ظهرا",  # day and month, no year
        "وفي 5 يناير/كانون ثاني الجاري، أعلن",
        "منذ 7 أكتوبر/تشرين الأول الماضي",
        "وبعد انتخابات نوفمبر ستبدأ",
        "نحو 2500 جندي و900 آخرين",
        "الساعة 10:04 مساء",
    ],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text) == []


@pytest.mark.parametrize(
    "text", ["31 فبراير 2024", "29 February 2023", "2024-13-01", "2024-02-30", "32/01/2024"]
)
def test_impossible_dates_are_rejected(text: str) -> None:
    # An impossible full date must not decay into its month-year part either.
    assert find_dates(text) == []


def test_leap_day_is_possible() -> None:
    assert only("x 29 February 2024 y").date == D(2024, 2, 29)


def test_several_dates_in_order_with_kinds() -> None:
    text = "الجمعة، 5 يناير 2024\nوقال إن اتفاق 3 مارس 2023 انتهى وإن سبتمبر 2025 موعد الانسحاب"
    found = find_dates(text)
    assert [(f.date, f.kind, f.precision) for f in found] == [
        (D(2024, 1, 5), "published", "day"),
        (D(2023, 3, 3), "mention", "day"),
        (D(2025, 9, 1), "mention", "month"),
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_weekday_dateline_only_at_line_start() -> None:
    assert only("نص\nالأربعاء، 1 أكتوبر 2025\nنص").kind == "published"
    assert only("قالوا الأربعاء، 1 أكتوبر 2025 إن").kind == "mention"


def test_is_dateline() -> None:
    assert is_dateline("الجمعة, 5 يناير 2024 10:04 ص")
    assert is_dateline("تاريخ النشر: 15th, January 2024 GMT")
    assert is_dateline("Published: January 5, 2024 10:30 AM")
    assert not is_dateline("وفي 5 يناير 2024 أعلن البنتاجون")
    assert not is_dateline("سبتمبر 2025")  # a month heading does not date the page
    assert dateline_end("تاريخ النشر: 15th, January 2024 GMT") == 0  # nothing follows


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("2024-01-05", D(2024, 1, 5), "day"),
        ("2024/1/5", D(2024, 1, 5), "day"),
        ("2024-01", D(2024, 1, 1), "month"),
        ("2024", D(2024, 1, 1), "year"),
        ("١٥/٠١/٢٠٢٤", D(2024, 1, 15), "day"),
        ("15/01/2024", D(2024, 1, 15), "day"),
        ("5 يناير 2024", D(2024, 1, 5), "day"),
        ("٥ كانون الثاني ٢٠٢٤", D(2024, 1, 5), "day"),
        ("الجمعة 5 يناير 2024", D(2024, 1, 5), "day"),
        ("January 5, 2024", D(2024, 1, 5), "day"),
        ("5 January 2024", D(2024, 1, 5), "day"),
        ("Jan 2024", D(2024, 1, 1), "month"),
        ("أيلول 2025", D(2025, 9, 1), "month"),
        ("  2024-01-05  ", D(2024, 1, 5), "day"),
    ],
)
def test_parse_date(text: str, date: D, precision: str) -> None:
    assert parse_date(text) == date
    assert parse_date_precision(text) == (date, precision)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "yesterday",
        "2024-13-01",
        "2024-02-30",
        "31/02/2024",
        "5 يناير",
        "عام 2020 و",
        "99",
    ],
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_find_dates_never_raises_and_spans_are_sane(text: str) -> None:
    found = find_dates(text)
    for f in found:
        assert 0 <= f.start < f.end <= len(text)
        assert f.kind in ("published", "mention")
        assert f.precision in ("day", "month")
    assert [f.start for f in found] == sorted(f.start for f in found)
    parse_date(text)


_DATEISH = st.sampled_from(
    [
        "5",
        "15",
        "٥",
        "۱۲",
        "2024",
        "٢٠٢٤",
        " ",
        "/",
        "-",
        "،",
        ", ",
        "يناير",
        "كانون الثاني",
        "January",
        "Jan.",
        "الجمعة",
        "تاريخ النشر:",
        "\n",
        "th",
        "آب",
        "31",
        "فبراير",
        "Published:",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_DATEISH, max_size=12).map("".join))
def test_find_dates_on_date_like_noise(text: str) -> None:
    for f in find_dates(text):
        assert 1000 <= f.date.year <= 2999
        assert text[f.start : f.end].strip() == text[f.start : f.end]


def test_times_of_day_in_both_languages():
    assert day_parts("around 12 AM in the morning") == [{"morning"}, {"night"}]
    assert day_parts("at 9 a.m., then 12:30 pm and 7pm") == [{"morning"}, {"noon"}, {"evening"}]
    assert day_parts("حوالي الساعة 12 ظهرا بتوقيت العراق") == [{"noon"}]
    assert day_parts("مساء أمس") == [{"evening", "night"}]
    assert day_parts("نفذت الضربة بعد الظهر") == [{"afternoon"}]
    # Words that only look like one: "I am", «ظهر» (appeared), the name «صباح».
    assert day_parts("I am sure it appeared; ظهر الرئيس; صباح الأحمد") == []


def test_a_time_of_day_must_be_one_the_quote_can_mean():
    quote = "إنه في 4 كانون الثاني/يناير، حوالي الساعة 12 ظهرا بتوقيت العراق"
    assert not times_of_day_held("It took place around 12 AM in the morning.", quote)
    assert times_of_day_held("It took place around noon.", quote)
    assert times_of_day_held("It took place at about 12 pm.", quote)
    assert times_of_day_held("It took place at 12 o'clock.", quote)  # no time of day to hold
    assert not times_of_day_held("It took place in the evening.", "at 9 am on Friday")
    assert times_of_day_held("It took place in the evening.", "at 9 pm on Friday")


def test_a_day_and_its_month_without_a_year():
    assert days_of_month("في 5 يناير/كانون ثاني الجاري، حوالي الساعة 12 ظهرا") == {(1, 5)}
    assert days_of_month("إنه في ٤ كانون الثاني/يناير") == {(1, 4)}
    assert days_of_month("on January 4th and the 21st of September 2025") == {(1, 4), (9, 21)}
    # Not a day: a year after the month, a figure past 31, "may" the verb.
    assert days_of_month("in January 2024, 45 January, he may 5 times") == set()


def test_a_dated_time_must_come_from_one_source():
    announced = "وفي 5 يناير/كانون ثاني الجاري، أعلن البنتاجون مقتل أبو تقوى السعيدي"
    struck = "إنه في 4 كانون الثاني/يناير، حوالي الساعة 12 ظهرا بتوقيت العراق"
    merged = "The strike was on 5 January, around 12 noon."
    assert not dated_time_from_one_source(merged, [announced, struck])
    assert dated_time_from_one_source(merged, [announced, struck.replace("4 كانون", "5 كانون")])
    assert dated_time_from_one_source("The strike was on 4 January at noon.", [announced, struck])
    two_days = "On 5 January the Pentagon announced the strike of 4 January at noon."
    assert dated_time_from_one_source(two_days, [announced, struck])
    # A claim with a day and no time of day (or the reverse) is not held to one source.
    assert dated_time_from_one_source("It was announced on 5 January.", [announced, struck])
    assert dated_time_from_one_source("The strike came at noon.", [announced, struck])
