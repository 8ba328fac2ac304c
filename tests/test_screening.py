"""Screening answers flag exactly the stretches they rule out, with reasons."""

import pytest

from stretches.catalog import STRETCHES
from stretches.screening import QUESTIONS, ScreeningError, questionnaire, screen


def test_no_answers_flags_nothing():
    assert screen({}) == []
    assert screen({q.id: False for q in QUESTIONS}) == []


@pytest.mark.parametrize("question", ["lower_back_pain", "disc_issues"])
def test_backbend_only_questions_flag_only_the_backbend(question):
    flags = screen({question: True})
    assert [f.stretch_id for f in flags] == ["standing_backbend"]
    assert flags[0].reasons and "backbend" in flags[0].reasons[0]


@pytest.mark.parametrize(
    "question",
    [
        "acute_injury",
        "severe_pain",
        "osteoporosis",
        "recent_surgery",
        "hypermobility",
        "numbness",
        "pregnancy",
    ],
)
def test_general_questions_flag_every_stretch(question):
    flags = screen({question: True})
    assert [f.stretch_id for f in flags] == list(STRETCHES)
    assert all(len(f.reasons) == 1 for f in flags)


def test_reasons_accumulate_without_duplicates():
    flags = {f.stretch_id: f for f in screen({"osteoporosis": True, "disc_issues": True})}
    assert len(flags["standing_backbend"].reasons) == 2
    assert len(flags["butterfly"].reasons) == 1


def test_questionnaire_lists_every_question_once():
    ids = [q["id"] for q in questionnaire()]
    assert len(ids) == len(set(ids)) == 9
    assert all(q["text"].endswith("?") for q in questionnaire())


@pytest.mark.parametrize(("answers", "needle"), [({"flu": True}, "flu"), ({"pregnancy": "yes"}, "pregnancy")])
def test_bad_answers_raise_one_line_error(answers, needle):
    with pytest.raises(ScreeningError) as info:
        screen(answers)
    assert needle in str(info.value) and "\n" not in str(info.value)
