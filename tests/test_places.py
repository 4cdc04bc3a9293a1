"""Where a text places a figure or a thing: the countries after a preposition of place."""

from __future__ import annotations

import pytest

from rag.answer.cite import figure_misplaced
from rag.places import countries_after, placed_in

QUOTE = "ولدى الولايات المتحدة نحو ألفين و500 جندي في العراق، وأكثر من 900 جندي في سوريا"


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("There are 900 troops deployed in Iraq.", {"iraq"}),
        ("US troops in Syria and Iraq", {"syria", "iraq"}),
        ("stationed at bases in the United States", {"us"}),
        ("Iraq's army fights in Iraq's north", {"iraq"}),
        ("الجنود المنتشرون في العراق", {"iraq"}),
        ("القوات في لبنان وبالعراق", {"lebanon", "iraq"}),  # «لبنان» keeps its «ل»
        ("قواعد في الأردن وسورية", {"jordan", "syria"}),
        ("هجمات في إسرائيل", {"israel"}),
        # Whose, not where.
        ("US troops will stay", set()),
        ("القوات الأمريكية والجانب العراقي", set()),
        # Cities and regions are inside a country the table does not see; Oman is Amman too.
        ("based in Erbil", set()),
        ("في عمان", set()),
    ],
)
def test_the_countries_a_text_places_something_in(text: str, countries: set[str]) -> None:
    assert placed_in(text) == countries


def test_the_country_a_figure_is_given_for() -> None:
    assert countries_after(QUOTE, QUOTE.index("و500") + 4) == {"iraq"}
    assert countries_after(QUOTE, QUOTE.index("900") + 3) == {"syria"}
    later = "البالغ عددهم نحو 900 جندي والمنتشرون في سوريا المجاورة في القيام به"
    assert countries_after(later, later.index("900") + 3) == {"syria"}
    # Too far after the figure, or past the end of its clause: not placed.
    far = "نحو 900 جندي من القوات الخاصة الأمريكية المدربة تدريبا عاليا في سوريا"
    assert countries_after(far, far.index("900") + 3) == set()
    assert countries_after("نحو 900 جندي، في سوريا", 7) == set()


@pytest.mark.parametrize(
    ("claim", "misplaced"),
    [
        ("The total number of US troops in Iraq will fall to around 900.", True),
        ("عدد القوات الأمريكية في العراق هو 900 جندي", True),
        ("There are about 2,500 US troops in Iraq.", False),
        ("There are more than 900 US troops in Syria.", False),
        # Not placed by the claim, or a year: nothing to compare.
        ("There are more than 900 US troops.", False),
        ("In 2014 Washington formed the coalition in Iraq.", False),
    ],
)
def test_a_figure_given_for_another_country(claim: str, misplaced: bool) -> None:
    assert figure_misplaced(claim, QUOTE) is misplaced
