"""Dry-needling training and an admin's attestation of competence: without a current one a
provider is not booked for dry needling (other visits still are), by patients or staff."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AppointmentStatus, AuditEvent, Provider
from intake.permissions import Role
from tests.conftest import PASSWORD
from tests.support.clock import next_weekday_at
from tests.views.test_booking import appointments, confirm_links, iso, request_form, written
from tests.views.test_staff_request import revision_on, stored

NOT_OFFERED = "is not offering dry needling at the moment"


def clinic_today() -> date:
    """The app's today at the clinic (the pages read the real clock, so this one does too)."""
    return datetime.now(ZoneInfo("America/New_York")).date()


@pytest.fixture
def slot() -> datetime:
    return next_weekday_at(datetime.now(UTC), 10)


@pytest.fixture
def unattested(clinic, make_provider, make_user):
    """Uma, never attested, works at Ben's clinic in the mornings."""
    return make_provider(
        "Uma Unattested",
        [clinic.location],
        slug="uma",
        user=make_user(Role.THERAPIST, first_name="Uma"),
        hours=[(clinic.location, day, time(9), time(12)) for day in range(5)],
        attested_on=None,
    )


@pytest.fixture
def exercise(make_type):
    return make_type(name="Exercise session", involves_dry_needling=False, duration_minutes=30)


def form_for(clinic, kind, start) -> dict:
    return request_form(clinic, start, type=str(kind.id))


# --- patients booking -----------------------------------------------------------------------


def test_an_unattested_provider_offers_only_visits_without_needling(
    client, clinic, unattested, exercise, ready_patient, login_as
):
    login_as(ready_patient())

    page = client.get(f"/book/uma?location={clinic.location.id}").get_data(as_text=True)
    needling = client.get(f"/book/uma?location={clinic.location.id}&type={clinic.type.id}").text

    assert f"Uma Unattested {NOT_OFFERED}" in page
    assert "Exercise session" in page and "Dry needling follow-up" not in page
    assert NOT_OFFERED in needling and confirm_links(needling) == []


def test_an_unattested_provider_is_refused_for_needling_and_booked_for_another_type(
    app, client, clinic, unattested, exercise, ready_patient, login_as, slot
):
    patient = ready_patient()
    login_as(patient)

    refused = client.post("/book/uma/confirm", data=form_for(clinic, clinic.type, slot))
    assert refused.status_code == 400
    assert f"Uma Unattested {NOT_OFFERED}" in refused.get_data(as_text=True)
    assert written(app) == (0, 0, 0)

    booked = client.post("/book/uma/confirm", data=form_for(clinic, exercise, slot))
    assert booked.status_code == 302
    [stored_visit] = appointments(app)
    assert (stored_visit.provider_id, stored_visit.type_id) == (unattested.id, exercise.id)


@pytest.mark.parametrize(("days_ago", "bookable"), [(729, True), (730, False), (2000, False)])
def test_an_attestation_counts_for_730_days(
    app, client, clinic, make_provider, make_user, ready_patient, login_as, slot, days_ago, bookable
):
    make_provider(
        "Ed Expiring",
        [clinic.location],
        slug="ed",
        user=make_user(Role.THERAPIST),
        hours=[(clinic.location, day, time(9), time(12)) for day in range(5)],
        attested_on=clinic_today() - timedelta(days=days_ago),
    )
    login_as(ready_patient())

    response = client.post("/book/ed/confirm", data=form_for(clinic, clinic.type, slot))

    assert (response.status_code == 302) is bookable
    assert len(appointments(app)) == (1 if bookable else 0)


def test_the_time_an_attestation_counts_is_configurable(
    make_app, clinic, make_provider, make_user, ready_patient, slot
):
    make_provider(
        "Ed Expiring",
        [clinic.location],
        slug="ed",
        user=make_user(Role.THERAPIST),
        hours=[(clinic.location, day, time(9), time(12)) for day in range(5)],
        attested_on=clinic_today() - timedelta(days=800),
    )
    patient = ready_patient()
    longer = make_app(INTAKE_ATTESTATION_VALID_DAYS=1095).test_client()
    longer.post("/account/login", data={"email": patient.email, "password": PASSWORD})

    response = longer.post("/book/ed/confirm", data=form_for(clinic, clinic.type, slot))

    assert response.status_code == 302


def test_a_patient_cannot_move_needling_with_a_provider_no_longer_attested(
    app, client, clinic, unattested, ready_patient, login_as, make_appointment, slot
):
    patient = ready_patient()
    visit = make_appointment(patient, unattested, clinic.location, clinic.type, slot)
    login_as(patient)

    response = client.post(
        f"/account/appointments/{visit.id}/move",
        data={"start": iso(slot + timedelta(hours=1)), "revision": "1"},
        follow_redirects=True,
    )

    assert f"Uma Unattested {NOT_OFFERED}" in response.get_data(as_text=True)
    assert stored(app, visit).starts_at == slot


# --- staff ----------------------------------------------------------------------------------


@pytest.fixture
def desk(make_user, login_as):
    user = make_user(Role.FRONT_DESK)
    login_as(user)
    return user


def test_the_front_desk_cannot_confirm_needling_with_an_unattested_provider(
    app, client, clinic, unattested, ready_patient, make_appointment, slot, desk
):
    visit = make_appointment(ready_patient(), unattested, clinic.location, clinic.type, slot)

    response = client.post(f"/staff/requests/{visit.id}/confirm", data={"revision": "1"})

    assert response.status_code == 409
    assert f"Uma Unattested {NOT_OFFERED}" in response.get_data(as_text=True)
    assert stored(app, visit).status == AppointmentStatus.REQUESTED


def test_the_front_desk_cannot_move_needling_to_an_unattested_provider(
    app, client, clinic, unattested, ready_patient, make_appointment, slot, desk
):
    visit = make_appointment(ready_patient(), clinic.provider, clinic.location, clinic.type, slot)
    page = client.get(f"/staff/requests/{visit.id}/move").get_data(as_text=True)

    response = client.post(
        f"/staff/requests/{visit.id}/move",
        data={
            "revision": revision_on(page),
            "provider": unattested.id,
            "location": clinic.location.id,
            "start": (slot + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%MZ"),
        },
        follow_redirects=True,
    )

    assert f"Uma Unattested {NOT_OFFERED}" in response.get_data(as_text=True)
    moved = stored(app, visit)
    assert (moved.provider_id, moved.starts_at) == (clinic.provider.id, slot)


# --- the admin's attestation ----------------------------------------------------------------


def test_an_admin_records_the_attestation_dated_today_and_it_is_audited(
    app, client, unattested, make_user, login_as
):
    admin = make_user(Role.ADMIN, first_name="Alex", last_name="Morgan")
    login_as(admin)
    before = client.get(f"/admin/providers/{unattested.id}").get_data(as_text=True)
    assert "No attestation yet" in before

    response = client.post(f"/admin/providers/{unattested.id}/attestation", data={"checked": "y"})

    assert response.headers["Location"] == f"/admin/providers/{unattested.id}"
    with app.app_context():
        provider = db.session.get(Provider, unattested.id)
        assert (provider.attested_on, provider.attested_by_id) == (clinic_today(), admin.id)
        audited = db.session.execute(
            select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id).where(
                AuditEvent.action == "attestation_recorded"
            )
        ).all()
    assert audited == [(admin.id, "provider", unattested.id)]
    after = client.get(f"/admin/providers/{unattested.id}").get_data(as_text=True)
    assert f"Competence attested {today_words()} by Alex Morgan" in after


def test_an_attestation_needs_the_admin_to_say_they_checked(
    app, client, unattested, make_user, login_as
):
    login_as(make_user(Role.ADMIN))

    response = client.post(f"/admin/providers/{unattested.id}/attestation", data={})

    assert response.status_code == 400
    assert "Please confirm that you have checked" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Provider, unattested.id).attested_on is None
        recorded = select(AuditEvent).where(AuditEvent.action == "attestation_recorded")
        assert db.session.scalars(recorded).all() == []


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.PATIENT])
def test_only_an_admin_records_an_attestation(app, client, unattested, make_user, login_as, role):
    login_as(make_user(role))

    response = client.post(f"/admin/providers/{unattested.id}/attestation", data={"checked": "y"})

    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Provider, unattested.id).attested_on is None


def test_an_admin_keeps_the_training_on_the_profile(app, client, clinic, make_user, login_as):
    login_as(make_user(Role.ADMIN))
    provider = clinic.provider
    form = {
        "user_id": str(provider.user_id),
        "display_name": "Ben Durham",
        "slug": "ben",
        "credentials": "PT, DPT",
        "training_hours": "54",
        "training_course": "Dry Needling Level 1 (Evidence in Motion)",
        "training_completed_on": "2019-04-14",
        "bio": "",
        "accepting_new_patients": "y",
        "location_ids": [str(clinic.location.id)],
    }

    saved = client.post(f"/admin/providers/{provider.id}", data=form)
    future = client.post(
        f"/admin/providers/{provider.id}",
        data=form | {"training_completed_on": (clinic_today() + timedelta(days=2)).isoformat()},
    )

    assert saved.status_code == 302
    assert future.status_code == 400  # sent back with what to fix
    assert "cannot be in the future" in future.get_data(as_text=True)
    with app.app_context():
        kept = db.session.get(Provider, provider.id)
        assert (kept.training_course, kept.training_completed_on, kept.training_hours) == (
            "Dry Needling Level 1 (Evidence in Motion)",
            date(2019, 4, 14),
            54,
        )


# --- what the public sees -------------------------------------------------------------------


def today_words() -> str:
    today = clinic_today()
    return f"{today:%B} {today.day}, {today.year}"


def test_the_public_profile_shows_the_training_and_the_attestation(
    client, make_provider, make_location
):
    make_provider(
        "Tess Trained",
        [make_location()],
        slug="tess",
        training_hours=54,
        training_course="Dry Needling Level 1 and 2",
        training_completed_on=date(2019, 4, 14),
    )

    page = client.get("/providers/tess").get_data(as_text=True)

    assert "Dry Needling Level 1 and 2" in page
    assert "<dd>54</dd>" in page
    assert "April 14, 2019" in page
    assert f"Competence attested {today_words()}" in page
    assert "Not offering dry needling" not in page


def test_the_directory_and_profile_mark_a_provider_without_a_current_attestation(
    client, clinic, unattested
):
    directory = client.get("/providers").get_data(as_text=True)
    profile = client.get("/providers/uma").get_data(as_text=True)
    booking = client.get("/book").get_data(as_text=True)

    card = directory.split('id="provider-uma"', 1)[1].split("</article>", 1)[0]
    bens = directory.split('id="provider-ben"', 1)[1].split("</article>", 1)[0]
    assert "Not offering dry needling at the moment" in card
    assert "Not offering dry needling" not in bens
    assert "Not offering dry needling at the moment" in profile
    assert "No current attestation of competence" in profile
    assert "Not offering dry needling at the moment" in booking
