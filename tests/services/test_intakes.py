"""Saving intakes: every save is a new version, and only one version is ever current."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.models import Intake
from intake.services.intakes import (
    answers_from_form,
    changed_answers,
    current_intake,
    intake_history,
    save_intake,
)
from tests.support.answers import stored_answers

MONDAY = datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)


@pytest.fixture
def patient(make_user):
    return make_user()


def versions(patient_id: int) -> list[tuple[int, datetime | None]]:
    rows = db.session.scalars(
        select(Intake).where(Intake.patient_id == patient_id).order_by(Intake.version)
    )
    return [(row.version, row.superseded_at) for row in rows]


def test_first_save_is_version_one_and_current(app, patient):
    with app.app_context():
        intake = save_intake(patient, stored_answers(), now=MONDAY)
        assert (intake.version, intake.superseded_at, intake.created_at) == (1, None, MONDAY)
        assert intake.legal_name == "Maria Lopez"
        assert intake.born_on == date(1980, 5, 17)
        assert intake.phone == "+19195550142"
        assert intake.screening_level is None
        assert current_intake(patient.id).id == intake.id


def test_each_save_supersedes_the_previous_version(app, patient):
    with app.app_context():
        save_intake(patient, stored_answers(), now=MONDAY)
        save_intake(patient, stored_answers(reason="Worse after a long run."), now=TUESDAY)
        latest_id = save_intake(patient, stored_answers(anticoagulants="yes"), now=WEDNESDAY).id

    with app.app_context():
        assert versions(patient.id) == [(1, TUESDAY), (2, WEDNESDAY), (3, None)]
        current = current_intake(patient.id)
        assert current.id == latest_id
        assert current.screening_level == "precaution"
        assert [i.version for i in intake_history(patient.id)] == [3, 2, 1]
        assert intake_history(patient.id)[1].answers["reason"] == "Worse after a long run."


def test_patients_have_their_own_versions(app, make_user):
    ana, ben = make_user(), make_user()
    with app.app_context():
        save_intake(ana, stored_answers(), now=MONDAY)
        save_intake(ben, stored_answers(legal_first_name="Ben"), now=TUESDAY)
        assert versions(ana.id) == [(1, None)]
        assert versions(ben.id) == [(1, None)]
        assert current_intake(ben.id).legal_first_name == "Ben"


def test_names_are_stored_without_surrounding_spaces(app, patient):
    with app.app_context():
        intake = save_intake(patient, stored_answers(legal_last_name="  Lopez "), now=MONDAY)
        assert intake.legal_last_name == "Lopez"


def second_current_intake(patient_id: int, superseded_at: datetime | None) -> Intake:
    # Version 2, so only the "one current intake" index, not (patient, version), can object.
    return Intake(
        patient_id=patient_id,
        version=2,
        legal_first_name="Maria",
        legal_last_name="Lopez",
        born_on=date(1980, 5, 17),
        phone="+19195550142",
        answers=stored_answers(),
        screening={"findings": []},
        screening_level=None,
        created_at=TUESDAY,
        superseded_at=superseded_at,
    )


def test_database_refuses_two_current_intakes_for_one_patient(app, patient):
    with app.app_context():
        save_intake(patient, stored_answers(), now=MONDAY)
        db.session.add(second_current_intake(patient.id, superseded_at=None))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert versions(patient.id) == [(1, None)]


def test_database_accepts_any_number_of_superseded_intakes(app, patient):
    with app.app_context():
        save_intake(patient, stored_answers(), now=MONDAY)
        db.session.add(second_current_intake(patient.id, superseded_at=WEDNESDAY))
        db.session.commit()
        assert versions(patient.id) == [(1, None), (2, WEDNESDAY)]


def test_form_data_becomes_json_ready_answers():
    data = {"csrf_token": "t", "born_on": date(1980, 5, 17), "phone": "(919) 555-0142", "x": [1]}
    answers = answers_from_form(data, {"phone": "+19195550142"})
    assert answers == {"born_on": "1980-05-17", "phone": "+19195550142", "x": [1]}


@pytest.mark.parametrize(
    ("older", "newer", "changes"),
    [
        ({"a": 1, "b": "x"}, {"a": 1, "b": "x"}, {}),
        ({"a": 1, "b": "x"}, {"a": 2, "b": "x"}, {"a": (1, 2)}),
        ({"areas": ["calf"]}, {"areas": ["calf", "knee"]}, {"areas": (["calf"], ["calf", "knee"])}),
        ({"a": 1}, {"a": 1, "b": "new"}, {"b": (None, "new")}),
        ({"a": 1, "b": "gone"}, {"a": 1}, {"b": ("gone", None)}),
        ({"b": 1, "a": 1}, {"b": 2, "a": 2}, {"a": (1, 2), "b": (1, 2)}),
    ],
)
def test_changed_answers_lists_only_what_changed(older, newer, changes):
    assert changed_answers(older, newer) == changes


def test_changed_answers_between_two_stored_versions(app, patient):
    with app.app_context():
        first = save_intake(patient, stored_answers(), now=MONDAY)
        second = save_intake(
            patient, stored_answers(pain_now="5", fever="yes", fever_detail="38.5"), now=TUESDAY
        )
        assert changed_answers(first.answers, second.answers) == {
            "fever": ("no", "yes"),
            "fever_detail": ("", "38.5"),
            "pain_now": (3, 5),
        }
