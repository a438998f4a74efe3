"""Confirming or moving a dry-needling visit checks again, in the same transaction, that the
patient's consent still counts and nothing rules needling out; an admin may override in
writing, on record in the history and the audit trail."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.config import current_settings
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuditEvent,
    ConsentWithdrawal,
    Intake,
    OutboxMessage,
    SignedConsent,
    User,
)
from intake.permissions import Role
from intake.services import staff_actions
from intake.services.consents import publish_version
from intake.services.errors import SafetyRefused
from tests.conftest import persist

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 9:00 AM in Durham (EST)
TUESDAY_10 = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 10:00 AM in Durham
WEDNESDAY_10 = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


@pytest.fixture
def patient(app, make_user, make_intake, consent_v1):
    """Maria, who answered the intake and signed version 1 of the consent on March 1."""

    def build(signed_at=datetime(2026, 3, 1, 15, tzinfo=UTC), **answers):
        maria = make_user(first_name="Maria", last_name="Lopez")
        make_intake(maria, **answers)
        consent = persist(
            app,
            SignedConsent(
                patient_id=maria.id,
                version_id=consent_v1.id,
                text_sha256=consent_v1.text_sha256,
                typed_name="Maria Lopez",
                acknowledged=["nature"],
                signed_at=signed_at,
                ip_address="127.0.0.1",
                user_agent="tests",
            ),
        )
        maria.consent_id = consent.id
        return maria

    return build


@pytest.fixture
def visit(clinic, make_appointment):
    def build(patient, kind=None, starts_at=TUESDAY_10, **fields):
        return make_appointment(
            patient, clinic.provider, clinic.location, kind or clinic.type, starts_at, **fields
        )

    return build


def withdraw(app, patient, on: datetime):
    persist(
        app, ConsentWithdrawal(consent_id=patient.consent_id, ip_address="::1", withdrawn_at=on)
    )


def confirm(app, appointment, actor, reason="", **settings_changes):
    with app.app_context():
        settings = replace(current_settings(), **settings_changes)
        return staff_actions.confirm(
            appointment.id,
            appointment.revision,
            db.session.get(User, actor.id),
            reason,
            settings=settings,
            now=NOW,
        ).status


def move(app, appointment, actor, clinic, reason=""):
    with app.app_context():
        return staff_actions.move(
            appointment.id,
            appointment.revision,
            db.session.get(User, actor.id),
            clinic.provider.id,
            clinic.location.id,
            WEDNESDAY_10,
            reason,
            settings=current_settings(),
            now=NOW,
        ).status


def rows(app, model, *where):
    with app.app_context():
        found = list(db.session.scalars(select(model).where(*where).order_by(model.id)))
        db.session.expunge_all()
    return found


def status_of(app, appointment):
    return rows(app, Appointment, Appointment.id == appointment.id)[0].status


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


def refused(app, appointment, action, *args, **kwargs) -> str:
    """The refusal's words; nothing changed, nothing emailed, the refusal on the audit trail."""
    with pytest.raises(SafetyRefused) as raised:
        action(app, appointment, *args, **kwargs)
    assert status_of(app, appointment) == AppointmentStatus.REQUESTED
    assert rows(app, OutboxMessage) == []
    assert rows(app, AppointmentEvent, AppointmentEvent.appointment_id == appointment.id) == []
    [audit] = rows(app, AuditEvent, AuditEvent.action.like("%_refused"))
    assert audit.object_id == appointment.id
    assert [c["reason"] for c in audit.detail["failed_checks"]] == [
        f.message for f in raised.value.failures
    ]
    return str(raised.value)


def test_confirm_is_refused_after_the_patient_withdrew_consent(app, patient, visit, desk):
    maria = patient()
    appointment = visit(maria)
    withdraw(app, maria, datetime(2026, 12, 1, 20, tzinfo=UTC))  # 3 PM in Durham

    message = refused(app, appointment, confirm, desk)

    assert message == (
        "The patient withdrew consent on December 1, 2026; they must sign again before this "
        "visit is confirmed."
    )


def test_confirm_is_refused_once_the_consent_has_expired(app, patient, visit, desk):
    appointment = visit(patient(signed_at=datetime(2026, 3, 1, 15, tzinfo=UTC)))
    assert confirm(app, appointment, desk, consent_max_age=timedelta(days=365)) == "confirmed"

    later = visit(patient(signed_at=datetime(2026, 3, 1, 15, tzinfo=UTC)), starts_at=WEDNESDAY_10)
    with pytest.raises(SafetyRefused, match=r"signed on March 1, 2026, expired on June 9, 2026"):
        confirm(app, later, desk, consent_max_age=timedelta(days=100))
    assert status_of(app, later) == AppointmentStatus.REQUESTED


def test_confirm_is_refused_when_a_new_consent_version_came_out_after_signing(
    app, patient, visit, desk
):
    appointment = visit(patient())
    with app.app_context():
        publish_version("2", "# Informed consent\n\nA clearer text.", now=NOW - timedelta(days=1))

    message = refused(app, appointment, confirm, desk)

    assert "signed version 1 of the consent on March 1, 2026" in message
    assert "must sign the current one" in message


def test_confirm_is_refused_when_the_current_intake_has_an_absolute_finding(
    app, patient, visit, desk, make_intake
):
    maria = patient()
    with app.app_context():  # asked for with the intake she had then
        first = db.session.scalars(select(Intake.id).where(Intake.patient_id == maria.id)).one()
    appointment = visit(maria, intake_id=first)
    make_intake(maria, needle_phobia="yes")  # the questionnaire updated after asking

    message = refused(app, appointment, confirm, desk)

    assert message.startswith("The patient's questionnaire rules out dry needling")
    assert "accepts needles" in message


def test_the_front_desk_cannot_override_even_with_a_reason(app, patient, visit, desk):
    maria = patient()
    appointment = visit(maria)
    withdraw(app, maria, NOW - timedelta(days=2))

    message = refused(app, appointment, confirm, desk, "She said it is fine")

    assert "give the reason for overriding" not in message


def test_an_admin_overrides_with_a_reason_on_record(app, patient, visit, admin):
    maria = patient()
    appointment = visit(maria)
    withdraw(app, maria, NOW - timedelta(days=2))
    with pytest.raises(SafetyRefused, match="To confirm anyway, give the reason"):
        confirm(app, appointment, admin, "   ")

    reason = "Patient re-consented on paper at the front desk; scan to follow"
    assert confirm(app, appointment, admin, reason) == "confirmed"

    [event] = rows(app, AppointmentEvent, AppointmentEvent.appointment_id == appointment.id)
    assert event.action == "confirmed"
    assert event.detail == f"Admin override of failed checks (consent): {reason}"
    [override] = rows(app, AuditEvent, AuditEvent.action == "safety_overridden")
    assert (override.actor_id, override.object_id) == (admin.id, appointment.id)
    assert override.detail["override_reason"] == reason
    assert override.detail["action"] == "confirmed"
    [check] = override.detail["failed_checks"]
    assert check["check"] == "consent" and "withdrew consent" in check["reason"]
    [mail] = rows(app, OutboxMessage)
    assert reason not in mail.body  # the override is for staff, not the patient's inbox


def test_a_move_is_refused_the_same_way(app, patient, visit, desk, clinic):
    maria = patient()
    appointment = visit(maria, status=AppointmentStatus.CONFIRMED)
    withdraw(app, maria, datetime(2026, 12, 1, 20, tzinfo=UTC))

    with pytest.raises(SafetyRefused, match="withdrew consent on December 1, 2026"):
        move(app, appointment, desk, clinic)

    kept = rows(app, Appointment, Appointment.id == appointment.id)[0]
    assert (kept.status, kept.starts_at) == (AppointmentStatus.CONFIRMED, TUESDAY_10)
    [audit] = rows(app, AuditEvent, AuditEvent.action == "move_refused")
    assert audit.detail["failed_checks"][0]["check"] == "consent"


def test_an_admin_may_move_with_a_reason(app, patient, visit, admin, clinic):
    maria = patient()
    appointment = visit(maria)
    withdraw(app, maria, NOW - timedelta(days=2))

    assert move(app, appointment, admin, clinic, "Moving now; she signs again on arrival") == (
        "requested"
    )
    [override] = rows(app, AuditEvent, AuditEvent.action == "safety_overridden")
    assert override.detail["action"] == "moved"


def test_a_move_does_not_wait_for_the_therapists_review(app, patient, visit, desk, clinic):
    appointment = visit(patient(), needs_review=True)
    assert move(app, appointment, desk, clinic) == "requested"


def test_visits_without_dry_needling_need_neither_consent_nor_screening(
    app, patient, visit, desk, make_type, make_intake, clinic
):
    maria = patient()
    make_intake(maria, needle_phobia="yes")
    withdraw(app, maria, NOW - timedelta(days=2))
    exercise = make_type(name="Exercise review", involves_dry_needling=False)

    assert confirm(app, visit(maria, kind=exercise), desk) == "confirmed"
    later = visit(maria, kind=exercise, starts_at=datetime(2026, 12, 10, 15, tzinfo=UTC))
    assert move(app, later, desk, clinic) == "requested"
    assert rows(app, AuditEvent, AuditEvent.action.like("%_refused")) == []
