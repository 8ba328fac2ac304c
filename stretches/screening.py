"""Screening before stretching: the seed's "when to avoid" list as yes/no questions.

`QUESTIONS` are shown to the client; `screen(answers)` returns, for every stretch the answers rule out, the
reasons in plain words. A camera cannot see pain, so the app asks instead of pretending to know.
Answers map a question id to True ("yes, this applies to me"); missing ids count as "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stretches.catalog import STRETCHES
from vision.errors import StretchGuardError


class ScreeningError(StretchGuardError):
    """Answers that name an unknown question or are not yes/no."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    reason: str  # shown next to a flagged stretch
    applies_to: tuple[str, ...] | None = None  # stretch ids it rules out; None = every partner stretch


QUESTIONS: tuple[Question, ...] = (
    Question(
        "acute_injury",
        "Have you recently injured or strained your back (a pulled muscle, sprain or slipped disc)?",
        "a recent or acute back injury needs to heal before assisted stretching",
    ),
    Question(
        "severe_pain",
        "Does moving cause you sharp, radiating or lasting pain?",
        "sharp, radiating or persistent pain is a reason not to stretch with a partner",
    ),
    Question(
        "osteoporosis",
        "Have you been told you have osteoporosis (fragile bones)?",
        "with osteoporosis an assisted stretch can risk a fracture",
    ),
    Question(
        "recent_surgery",
        "Have you had back or hip surgery recently, without your doctor clearing you to stretch?",
        "recent back or hip surgery needs explicit medical clearance first",
    ),
    Question(
        "hypermobility",
        "Are your joints unusually loose or hypermobile?",
        "hypermobile joints are easily over-stretched by a partner's force",
    ),
    Question(
        "numbness",
        "Do you feel numbness or tingling in your back, legs or arms?",
        "numbness or tingling can mean a pinched nerve: stop and see a professional",
    ),
    Question(
        "pregnancy",
        "Are you pregnant?",
        "during pregnancy some stretches are unsuitable: check with your healthcare professional",
    ),
    Question(
        "lower_back_pain",
        "Do you have significant lower back pain?",
        "a backbend loads the lower back, which is unsuitable with significant lower back pain",
        applies_to=("standing_backbend",),
    ),
    Question(
        "disc_issues",
        "Do you have a known disc problem in your spine (bulging or herniated disc)?",
        "a backbend is unsuitable with disc problems",
        applies_to=("standing_backbend",),
    ),
)

_BY_ID = {q.id: q for q in QUESTIONS}
STOP_RULE = "Stop any stretch at once on sharp pain, numbness or tingling."


@dataclass(frozen=True)
class Flag:
    stretch_id: str
    stretch_name: str
    reasons: tuple[str, ...]


def questionnaire() -> list[dict]:
    """The questions as JSON-able data (id, text) for a form."""
    return [{"id": q.id, "text": q.text} for q in QUESTIONS]


def screen(answers: Mapping[str, bool]) -> list[Flag]:
    """Stretches the answers rule out, in catalog order, each with its reasons (empty list = all clear).

    osteoporosis rules out every stretch (the seed's general list) and is also one of the backbend's own
    reasons, so the backbend lists it once.
    """
    unknown = sorted(set(answers) - set(_BY_ID))
    if unknown:
        raise ScreeningError(f"unknown screening question '{unknown[0]}'; known: {', '.join(_BY_ID)}")
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise ScreeningError(f"screening answer '{key}' must be true or false, got {value!r}")
    flags: list[Flag] = []
    for stretch in STRETCHES.values():
        reasons: list[str] = []
        for question in QUESTIONS:
            if not answers.get(question.id, False):
                continue
            applies = question.applies_to is None or stretch.id in question.applies_to
            if applies and question.reason not in reasons:
                reasons.append(question.reason)
        if reasons:
            flags.append(Flag(stretch.id, stretch.name, tuple(reasons)))
    return flags
