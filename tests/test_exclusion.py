"""What a question leaves out ("other than the US", «من غير الأمريكيين») and claims about it."""

import pytest

from rag.answer.exclusion import about_left_out, left_out

OTHERS_EN = "How many troops from coalition countries other than the US are deployed in Iraq?"
OTHERS_AR = "كم عدد جنود دول التحالف الدولي من غير الأمريكيين المنتشرين في العراق؟"


@pytest.mark.parametrize(
    ("question", "claim", "about"),
    [
        (OTHERS_EN, "There are 2500 US troops in Iraq.", True),
        (OTHERS_EN, "The United States has about 2,500 troops in Iraq.", True),
        (OTHERS_EN, "Coalition countries other than the US have 900 troops in Iraq.", False),
        (OTHERS_EN, "Britain has 400 troops in Iraq.", False),
        # The country's people, and «ل» glued to the article («للولايات» = ل + الولايات).
        (OTHERS_EN, "There are about 2,500 American troops in Iraq.", True),
        (OTHERS_EN, "Americans number about 2,500 in Iraq.", True),
        (OTHERS_EN, "Non-American troops number about 900.", False),
        (OTHERS_AR, "There are about 2,500 American troops in Iraq.", True),
        (OTHERS_AR, "ينتشر في العراق نحو 2500 جندي تابعين للولايات المتحدة", True),
        # "United" alone is not the United States.
        (OTHERS_EN, "The United Nations has 900 staff in Iraq.", False),
        (OTHERS_AR, "القوات الأمريكية في العراق نحو 2500 جندي", True),
        (OTHERS_AR, "لدى الولايات المتحدة نحو 2500 جندي في العراق", True),
        (OTHERS_AR, "يبلغ عدد جنود التحالف من غير الأمريكيين 900 جندي", False),
        (OTHERS_AR, "للأمم المتحدة بعثة في العراق", False),
        ("Who besides Pat Ryder spoke about the strike?", "Pat Ryder spoke about it.", True),
        ("Who besides Pat Ryder spoke about the strike?", "John Kirby spoke about it.", False),
        ("Excluding Iraq, where are US troops deployed?", "They are deployed in Syria.", False),
        ("Excluding Iraq, where are US troops deployed?", "They are deployed in Iraq.", True),
    ],
)
def test_a_claim_about_what_the_question_leaves_out(question: str, claim: str, about: bool):
    assert about_left_out(claim, left_out(question)) is about


@pytest.mark.parametrize(
    "question",
    [
        # «غير» also negates an adjective: only a country or its people is left out.
        "هل الخبر غير مؤكد؟",
        "How many US troops are in Iraq?",
        "What did the other coalition countries say?",
        "Where are American troops based?",
    ],
)
def test_a_question_that_leaves_nothing_out(question: str):
    assert left_out(question) == []
    assert not about_left_out(
        "الخبر مؤكد، وللولايات المتحدة 2500 جندي في العراق", left_out(question)
    )
