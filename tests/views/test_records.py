"""Staff open a patient's record: answers, findings, questionnaire versions and consents.
Front desk always; a therapist only for their own patients; every look leaves a trace."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, User
from intake.permissions import Role


@pytest.fixture
def patient(ready_patient, make_intake):
    """Maria answered twice: the second time she reported blood thinners and more pain."""
    maria = ready_patient()
    make_intake(maria, anticoagulants="yes", anticoagulants_detail="Apixaban", pain_now="5")
    return maria


def record_of(client, patient_id: int):
    return client.get(f"/records/patients/{patient_id}")


def audit_rows(app) -> list[tuple]:
    with app.app_context():
        return [
            (a.actor_id, a.action, a.object_type, a.patient_id)
            for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def user_by_email(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(user)
    return user


def test_the_front_desk_reads_the_whole_record(app, client, login_as, make_user, patient):
    desk = make_user(Role.FRONT_DESK)
    login_as(desk)

    response = record_of(client, patient.id)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Maria Lopez</h1>" in page
    # Current answers under the form's headings and labels, in words.
    assert "<h3>Their pain</h3>" in page
    assert "Pain right now (0-10)" in page
    assert "Calf or shin, right" in page
    assert "Emergency contact&#39;s phone" in page and "(919) 555-0177" in page
    assert "May 17, 1980" in page
    assert "Every other safety question" in page
    # Findings with level in words and reason.
    assert "Precaution: a therapist reviews before confirming" in page
    assert "Apixaban" in page and "Higher risk of bleeding" in page
    # Versions with what changed.
    assert "Version 2 (current)" in page and "Version 1" in page
    assert "Do you take blood thinners (anticoagulant or antiplatelet medicine)?" in page
    assert '<td class="wrap">3</td><td class="wrap">5</td>' in page
    # Consents with state and the link to the signed copy.
    assert "Current" in page
    assert "Open version 1 signed copy" in page


def answers_shown(page: str) -> dict[str, str]:
    """Each answer on the page, by the label it is shown under."""
    return dict(re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page))


def test_the_record_shows_chosen_answers_by_their_labels_not_their_codes(
    client, login_as, make_user, ready_patient
):
    maria = ready_patient(
        sex="not_said",
        onset="overuse",
        duration="over_1_year",
        pain_areas=["neck:left", "knee:right"],
        pain_character=["tingling"],
        prior_dry_needling="yes",
    )
    login_as(make_user(Role.FRONT_DESK))

    shown = answers_shown(record_of(client, maria.id).get_data(as_text=True))

    assert shown["Sex"] == "Prefer not to say"
    assert shown["How did it start?"] == "After a change in activity or training"
    assert shown["How long have you had it?"] == "More than a year"
    assert shown["Where is the pain?"] == "Neck, left, Knee, right"
    assert shown["What does it feel like? (optional)"] == "Tingling or numbness"
    assert shown["Have you had dry needling before?"] == "Yes"
    assert shown["Emergency contact&#39;s relationship to the patient"] == "Husband"


def test_each_look_at_a_record_is_audited(app, client, login_as, make_user, patient):
    desk = make_user(Role.FRONT_DESK)
    login_as(desk)
    record_of(client, patient.id)
    rows = [row for row in audit_rows(app) if row[1].startswith("viewed")]
    assert rows == [
        (desk.id, "viewed_patient", "user", patient.id),
        (desk.id, "viewed_intake", "intake", patient.id),
    ]


def test_a_therapist_reads_only_their_own_patients(
    app, client, login_as, clinic, patient, make_appointment, make_user
):
    login_as(user_by_email(app, "ben@example.org"))  # the clinic's therapist
    assert record_of(client, patient.id).status_code == 404  # not booked with Ben: no trace of her
    assert not [row for row in audit_rows(app) if row[1].startswith("viewed")]

    make_appointment(
        patient,
        clinic.provider,
        clinic.location,
        clinic.type,
        datetime.now(UTC) + timedelta(days=3),
    )
    assert record_of(client, patient.id).status_code == 200
    assert "viewed_patient" in {row[1] for row in audit_rows(app)}


def test_patients_and_visitors_are_kept_out(client, login_as, make_user, patient):
    assert record_of(client, patient.id).headers["Location"].startswith("/account/login")
    login_as(patient)
    assert record_of(client, patient.id).status_code == 403  # patients use their own pages
    client.post("/account/logout")
    login_as(make_user())
    assert record_of(client, patient.id).status_code == 403


def test_an_unknown_or_staff_id_is_404(client, login_as, make_user):
    desk = make_user(Role.FRONT_DESK)
    login_as(desk)
    assert record_of(client, 987654).status_code == 404
    assert record_of(client, desk.id).status_code == 404


def test_a_patient_without_a_questionnaire_has_a_short_record(app, client, login_as, make_user):
    newcomer = make_user(first_name="New", last_name="Comer")
    login_as(make_user(Role.ADMIN))
    page = record_of(client, newcomer.id).get_data(as_text=True)
    assert "has not filled in the questionnaire" in page
    assert "has not signed a consent" in page
    assert [row[1] for row in audit_rows(app) if row[1].startswith("viewed")] == ["viewed_patient"]
