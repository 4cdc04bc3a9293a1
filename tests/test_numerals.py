"""Figures written in words (rag/numerals.py): read as the numbers they are, for the support
check and for the evidence a model reads."""

import pytest

from rag.answer.cite import facts_agree, numbers
from rag.numerals import find_figures, in_digits


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("ولدى الولايات المتحدة نحو ألفين و500 جندي في العراق، وأكثر من 900 جندي", ["2500", "900"]),
        ("سيقل إلى ما دون ألفي جندي", ["2000"]),
        ("ثلاثة آلاف وخمسمئة", ["3500"]),
        ("خمسة وعشرين ألف دولار", ["25000"]),
        ("عشرين ألفا", ["20000"]),
        ("مئتين وخمسين", ["250"]),
        ("ثلاثمائة وخمسون", ["350"]),
        ("ثلاثة عشر جنديا", ["13"]),
        ("إحدى عشرة", ["11"]),
        ("2.5 مليون", ["2500000"]),
        ("مليون و200 ألف", ["1200000"]),
        ("٢٥٠٠ جندي", ["2500"]),
        ("two thousand five hundred troops", ["2500"]),
        ("twenty-five", ["25"]),
        ("a thousand and twenty", ["1020"]),
        ("2.5 million people, 2,500 troops", ["2500000", "2500"]),
        # Dotted dates, versions and addresses are one run of digits, as they always were.
        ("12.01.2024", ["12012024"]),
        ("192.168.1.1 and 1,2,3", ["19216811", "123"]),
        ("1,234,567 or 0.5", ["1234567", "0.5"]),
        # Two figures side by side stay two: years, «5 و6», units joined by «و».
        ("بين 2014 و2015", ["2014", "2015"]),
        ("خمسة وستة", ["5", "6"]),
        ("في 2014 و2015 قتل ألف و200 شخص", ["2014", "2015", "1200"]),
        # No figure: vague plurals, weekdays, percent signs, words that only contain one.
        ("آلاف الضربات الجوية", []),
        ("يوم الاثنين", []),
        ("50 بالمئة", ["50"]),
        ("someone often none tenth", []),
        ("وسط بغداد", []),
    ],
)
def test_figures_in_words_digits_or_both(text: str, figures: list[str]) -> None:
    assert [f.key for f in find_figures(text)] == figures


def test_the_model_reads_figures_in_words_as_digits() -> None:
    quote = "ولدى الولايات المتحدة نحو ألفين و500 جندي في العراق، وأكثر من 900 جندي في سوريا"
    assert in_digits(quote) == quote.replace("ألفين و500", "2500")
    assert in_digits("ما دون ألفي جندي") == "ما دون 2000 جندي"
    assert in_digits("ثلاثة آلاف وخمسمئة جندي") == "3500 جندي"
    assert in_digits("two thousand five hundred troops") == "2500 troops"
    # Digits before one scale word stay readable, the whole figure beside them.
    assert in_digits("خصص 156 مليون دولار") == "خصص 156 مليون (156000000) دولار"
    assert in_digits("2.5 million people") == "2.5 million (2500000) people"
    # Nothing to rewrite: digits, and one-word figures of ten or less.
    assert in_digits("نحو 900 جندي وثلاثة ضباط") == "نحو 900 جندي وثلاثة ضباط"


def test_a_figure_is_checked_whichever_way_it_is_written() -> None:
    quote = "ولدى الولايات المتحدة نحو ألفين و500 جندي في العراق، وأكثر من 900 جندي في سوريا"
    assert numbers(quote) == {"2500", "900"}
    assert facts_agree("There are about 2,500 US troops in Iraq.", quote)
    assert facts_agree("There are two thousand five hundred US troops in Iraq.", quote)
    # The part of the figure written in digits is not a figure of its own.
    assert not facts_agree("There are about 500 US troops in Iraq.", quote)
    assert not facts_agree("There are about 2,000 US troops in Iraq.", quote)
    assert facts_agree("The total will fall below 2,000.", "سيقل إلى ما دون ألفي جندي")
    # A claim's small word-figure is not held against its quote: the dual states it.
    assert facts_agree("The US will keep two bases.", "ستبقي على القاعدتين في أربيل")
    assert not facts_agree("The US will keep 2 bases.", "ستبقي على القاعدتين في أربيل")
