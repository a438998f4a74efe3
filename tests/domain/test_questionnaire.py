"""The questionnaire catalogue: every question is labelled, placed and typed, and the intake form
asks exactly these questions, in this order, with these choices."""

import pytest
from flask import Flask
from wtforms import DateField, IntegerField, RadioField, SelectField

from intake.domain import questionnaire
from intake.domain.questionnaire import (
    BODY_REGIONS,
    PAIN_AREAS,
    SECTIONS,
    SIDES,
    Kind,
    Question,
    is_clinical,
    question,
    questions,
)
from intake.domain.screening import RULES
from intake.forms import IntakeForm, MultiCheckboxField

NAMES = [q.name for q in questions()]


def intake_form() -> IntakeForm:
    # A bare Flask app is enough to build the form: no database, no configuration.
    with Flask(__name__).test_request_context():
        return IntakeForm(meta={"csrf": False})


def test_every_question_has_a_label_a_known_section_and_a_unique_name():
    for asked in questions():
        assert asked.label.strip(), asked.name
        assert asked.record_label.strip(), asked.name
        assert asked.section in SECTIONS, asked.name
    assert len(NAMES) == len(set(NAMES))


def test_sections_come_in_the_order_the_record_shows_them():
    seen = list(dict.fromkeys(q.section for q in questions()))
    assert seen == list(SECTIONS)


def test_every_screening_rule_asks_yes_or_no_then_for_more_as_the_rule_words_it():
    for rule in RULES:
        answer, detail = question(rule.key), question(f"{rule.key}_detail")
        assert (answer.label, answer.section) == (rule.question, questionnaire.SAFETY)
        assert [c.value for c in answer.choices] == ["yes", "no"]
        assert (detail.label, detail.kind) == (rule.detail_prompt, Kind.TEXT)
        assert answer.clinical and detail.clinical


def test_the_form_asks_the_catalogues_questions_in_the_catalogues_order():
    form = intake_form()
    assert [field.name for field in form if field.name != "csrf_token"] == NAMES


def test_each_form_field_carries_its_questions_label_and_choice_labels():
    form = intake_form()
    for asked in questions():
        field = form[asked.name]
        assert field.label.text == asked.label, asked.name
        if not asked.choices:
            assert not hasattr(field, "choices"), asked.name
            continue
        # A select box starts on a blank "Choose one"; every other option is the catalogue's.
        offered = [(value, label) for value, label, *_ in field.iter_choices() if value != ""]
        assert offered == list(asked.choices), asked.name


FIELD_KINDS = {
    DateField: Kind.DATE,
    IntegerField: Kind.NUMBER,
    MultiCheckboxField: Kind.ANY_OF,
    RadioField: Kind.ONE_OF,
    SelectField: Kind.ONE_OF,
}


def test_each_form_field_has_the_shape_its_answer_is_read_back_in():
    form = intake_form()
    for asked in questions():
        expected = FIELD_KINDS.get(type(form[asked.name]), Kind.TEXT)
        if asked.kind is Kind.PHONE:
            expected = Kind.PHONE  # typed as text, checked and stored as a phone number
        assert asked.kind is expected, asked.name


def test_pain_areas_are_every_body_region_on_each_side():
    assert len(PAIN_AREAS) == len(BODY_REGIONS) * len(SIDES)
    assert dict(PAIN_AREAS)["calf_shin:right"] == "Calf or shin, right"
    assert {area.value.split(":")[0] for area in PAIN_AREAS} == {r.value for r in BODY_REGIONS}


@pytest.mark.parametrize(
    ("name", "clinical"),
    [
        ("legal_last_name", False),
        ("emergency_phone", False),
        ("referral_source", False),
        ("pain_areas", True),
        ("medications", True),
        ("anticoagulants", True),
        ("anticoagulants_detail", True),
        ("referring_physician", True),
        ("a_question_since_removed", True),
    ],
)
def test_health_answers_are_marked_clinical_and_unknown_answers_count_as_clinical(name, clinical):
    assert is_clinical(name) is clinical


def test_a_label_is_read_alone_on_the_record_where_the_forms_heading_is_missing():
    assert question("emergency_phone").label == "Phone"
    assert question("emergency_phone").record_label == "Emergency contact's phone"
    assert question("sex").record_label == "Sex"


def test_a_stored_value_reads_as_its_choice_label_or_else_as_text():
    onset = question("onset")
    assert onset.choice_label("overuse") == "After a change in activity or training"
    assert onset.choice_label("since_removed") == "since_removed"
    assert Question("pain_now", "Pain", questionnaire.PAIN).choice_label(3) == "3"
