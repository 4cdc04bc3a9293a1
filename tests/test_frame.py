"""A claim that restates the question's date frame: the frame goes only when a supporting
sentence's source is of that date."""

from __future__ import annotations

from rag.answer.frame import dated_as_framed, without_date_frame

QUESTION_AR = (
    "بموجب خطة الخفض التي نقلتها رويترز في أكتوبر 2025، إلى أي مستوى سينخفض العدد الإجمالي "
    "للقوات الأمريكية في العراق؟"
)
QUESTION_EN = (
    "Under the reduction plan reported by Reuters in October 2025, to what level will the "
    "total number of US troops in Iraq fall?"
)


def test_the_restated_frame_is_cut_from_the_claim() -> None:
    claim = (
        "في خطة الخفض التي نقلتها رويترز في أكتوبر 2025، العدد الإجمالي للقوات الأمريكية في "
        "العراق سينخفض إلى ما دون ألفي جندي."
    )
    frame = without_date_frame(claim, QUESTION_AR)
    assert frame is not None
    assert frame.text == "العدد الإجمالي للقوات الأمريكية في العراق سينخفض إلى ما دون ألفي جندي."
    assert (frame.years, frame.months) == ({2025}, {10})
    english = without_date_frame(
        "According to Reuters' October 2025 report, the total number of US troops in Iraq "
        "will fall below 2,000.",
        QUESTION_EN,
    )
    assert english is not None
    assert english.text == "The total number of US troops in Iraq will fall below 2,000."


def test_only_a_clause_of_the_questions_own_date_and_words_is_a_frame() -> None:
    # A year the question does not give, or a clause that adds words: not the frame.
    assert (
        without_date_frame("In October 2024, the plan said troops would fall.", QUESTION_EN) is None
    )
    assert (
        without_date_frame(
            "After the October 2025 parliamentary elections, troops will stay.", QUESTION_EN
        )
        is None
    )
    # A count is not a date, even one the question gives.
    assert (
        without_date_frame("Of the 2,500 troops, most will leave.", "What of the 2,500 troops?")
        is None
    )
    # Nothing left but "Yes": no claim.
    assert (
        without_date_frame("Yes, in January 2024.", "Did they enter Iraq in January 2024?") is None
    )


def test_the_source_must_be_of_the_frames_date() -> None:
    frame = without_date_frame(
        "In October 2025, the total number of US troops will fall below 2,000.", QUESTION_EN
    )
    assert frame is not None
    assert dated_as_framed(frame, ["2025-10-01"])
    assert not dated_as_framed(frame, ["2025-09-30", "2024-10-01", ""])
