"""What a session note's adverse events may say, and which of them alert the admins."""

import pytest

from intake.domain.needling import (
    REGIONS,
    events_problem,
    is_serious,
    label,
    recorded_events,
    serious,
)
from intake.domain.questionnaire import PAIN_AREAS


@pytest.mark.parametrize(
    ("ticked", "other_text", "problem"),
    [
        (["none"], "", None),
        (["bruising", "soreness"], "", None),
        (["other"], "Nausea for an hour", None),
        (["other", "fainting"], "Pale and sweaty first", None),
        ([], "", "Tick the adverse events seen, or None."),
        (["none", "bruising"], "", "None cannot be ticked together with an adverse event."),
        (["other"], "   ", "Describe the other adverse event."),
        (["bruising"], "Nausea", "Tick Other when you describe an adverse event."),
    ],
)
def test_adverse_events_must_make_sense_together(ticked, other_text, problem):
    assert events_problem(ticked, other_text) == problem


@pytest.mark.parametrize(
    ("kind", "alarming"),
    [
        ("pneumothorax", True),
        ("fainting", True),
        ("other", True),  # not yet classified: an admin looks
        ("bruising", False),
        ("bleeding", False),
        ("soreness", False),
        ("none", False),
    ],
)
def test_serious_events_are_pneumothorax_fainting_and_the_unclassified(kind, alarming):
    assert is_serious(kind) is alarming


def test_serious_and_recorded_keep_the_catalogues_order_and_leave_none_out():
    assert serious(["bruising", "other", "pneumothorax"]) == ["pneumothorax", "other"]
    assert recorded_events(["soreness", "bruising"]) == ["bruising", "soreness"]
    assert recorded_events(["none"]) == []


def test_notes_name_regions_from_the_intakes_own_catalogue():
    assert REGIONS is PAIN_AREAS
    assert label("calf_shin:right") == "Calf or shin, right"
    assert label("pneumothorax") == "Suspected pneumothorax"
    assert label("poor") == "Poor"
