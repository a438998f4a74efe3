"""The waitlist as patients and the front desk use it: joining from the slot page or the
account, leaving, claiming an emailed offer, and the desk's list."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intake.config import current_settings
from intake.extensions import db
from intake.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    Location,
    Provider,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from intake.permissions import Role
from intake.services import waitlist_offers
from intake.services.free_times import SlotChoice
from tests.support.clock import next_weekday_at


@pytest.fixture
def today(clinic):
    return datetime.now(UTC).astimezone(ZoneInfo(clinic.location.timezone)).date()


def wish(clinic, today, **changes) -> dict:
    return {
        "provider": str(clinic.provider.id),
        "location": str(clinic.location.id),
        "type": str(clinic.type.id),
        "first_on": (today + timedelta(days=1)).isoformat(),
        "last_on": (today + timedelta(days=14)).isoformat(),
        "times_of_day": ["morning"],
    } | changes


def entries(app) -> list[WaitlistEntry]:
    with app.app_context():
        found = db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)).all()
        db.session.expunge_all()
        return list(found)


def offer_for(app, clinic, patient, hours_ahead: int = 11) -> str:
    """An open offer of a free morning time to the patient; returns its link's token."""
    now = datetime.now(UTC)
    with app.app_context():
        choice = SlotChoice(
            db.session.get(Provider, clinic.provider.id),
            db.session.get(Location, clinic.location.id),
            db.session.get(AppointmentType, clinic.type.id),
        )
        starts_at = next_weekday_at(now, hours_ahead, days_ahead=4)
        offer_id = waitlist_offers.seed_entry_with_offer(
            patient.id, choice, starts_at, ["morning"], settings=current_settings(), now=now
        )
        db.session.commit()
        return waitlist_offers.offer_token(offer_id, current_settings())


# --- joining -------------------------------------------------------------------------


def test_the_slot_page_links_to_the_waitlist_with_its_choice(client, clinic):
    page = client.get(f"/book/ben?location={clinic.location.id}&type={clinic.type.id}").get_data(
        as_text=True
    )
    assert "Join the waitlist" in page
    assert f"/waitlist/join?provider={clinic.provider.id}" in page


def test_a_patient_joins_and_sees_the_entry_on_their_account(
    app, client, clinic, ready_patient, login_as, today
):
    patient = ready_patient()
    login_as(patient)
    form_page = client.get(
        f"/waitlist/join?provider={clinic.provider.id}&location={clinic.location.id}"
        f"&type={clinic.type.id}"
    ).get_data(as_text=True)
    assert f'selected value="{clinic.provider.id}"' in form_page

    response = client.post("/waitlist/join", data=wish(clinic, today))

    assert response.status_code == 302 and response.location == "/account"
    [entry] = entries(app)
    assert (entry.patient_id, entry.provider_id, entry.times_of_day) == (
        patient.id,
        clinic.provider.id,
        ["morning"],
    )
    assert entry.created_by_id == patient.id
    home = client.get("/account").get_data(as_text=True)
    assert "Leave the waitlist" in home and "Dry needling follow-up with Ben Durham" in home


def test_a_patient_who_must_call_first_is_not_promised_dry_needling_times_by_email(
    app, client, clinic, make_user, make_intake, login_as, today
):
    """Her answers rule out booking dry needling online: every time offered to her could not
    be claimed, and would hold a place another waiting patient could have had."""
    patient = make_user(first_name="Maria", last_name="Lopez")
    make_intake(patient, needle_phobia="yes")
    login_as(patient)

    response = client.post("/waitlist/join", data=wish(clinic, today))

    assert response.status_code == 400
    assert "please call us to talk about dry needling" in response.text
    assert entries(app) == []


def test_joining_twice_with_the_same_wish_keeps_one_entry(
    app, client, clinic, ready_patient, login_as, today
):
    """A double tap on "Join the waitlist" must not put her in the queue twice (two rows,
    two "Leave" buttons, the same freed time offered to her twice)."""
    login_as(ready_patient())

    first = client.post("/waitlist/join", data=wish(clinic, today))
    again = client.post("/waitlist/join", data=wish(clinic, today))

    assert first.status_code == again.status_code == 302
    assert again.location == "/account"
    assert len(entries(app)) == 1
    assert client.get("/account").get_data(as_text=True).count("Leave the waitlist") == 1
    # Another wish is another entry.
    client.post("/waitlist/join", data=wish(clinic, today, times_of_day=["afternoon"]))
    assert len(entries(app)) == 2


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"first_on": "2001-01-01"}, "Please choose a first day from today on."),
        ({"times_of_day": []}, "Choose at least one part of the day."),
        ({"location": "999999"}, "Not a valid choice"),
        ({"first_on": "not a date"}, "Not a valid date value."),
    ],
)
def test_joining_says_what_to_fix_and_keeps_what_was_typed(
    app, client, clinic, ready_patient, login_as, today, changes, says
):
    login_as(ready_patient())
    data = wish(clinic, today, **changes)
    response = client.post("/waitlist/join", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert says in page
    assert data["last_on"] in page  # kept
    assert entries(app) == []


def test_dates_backwards_or_beyond_90_days_are_refused(
    app, client, clinic, ready_patient, login_as, today
):
    login_as(ready_patient())
    backwards = wish(clinic, today, last_on=today.isoformat())
    far = wish(clinic, today, last_on=(today + timedelta(days=91)).isoformat())
    assert "on or after the first day" in client.post("/waitlist/join", data=backwards).text
    assert "within 90 days" in client.post("/waitlist/join", data=far).text
    assert entries(app) == []


def test_a_provider_who_does_not_work_at_the_location_is_refused(
    app, client, clinic, ready_patient, login_as, today, make_location
):
    elsewhere = make_location("27514", name="Chapel Hill")
    login_as(ready_patient())
    response = client.post("/waitlist/join", data=wish(clinic, today, location=str(elsewhere.id)))
    assert response.status_code == 400
    assert "does not see patients at that location" in response.text
    assert entries(app) == []


def test_a_patient_leaves_their_own_entry_but_not_someone_elses(
    app, client, clinic, ready_patient, login_as, today
):
    owner, other = ready_patient(), ready_patient()
    login_as(owner)
    client.post("/waitlist/join", data=wish(clinic, today))
    [entry] = entries(app)
    client.post("/account/logout")

    login_as(other)
    assert client.post(f"/waitlist/{entry.id}/leave").status_code == 404
    assert entries(app)[0].status == WaitlistStatus.ACTIVE
    client.post("/account/logout")

    login_as(owner)
    assert client.post(f"/waitlist/{entry.id}/leave").status_code == 302
    assert entries(app)[0].status == WaitlistStatus.REMOVED


def test_a_second_tap_on_leave_lands_on_the_account_not_a_missing_page(
    app, client, clinic, ready_patient, login_as, today
):
    login_as(ready_patient())
    client.post("/waitlist/join", data=wish(clinic, today))
    [entry] = entries(app)

    assert client.post(f"/waitlist/{entry.id}/leave").location == "/account"
    [left] = entries(app)
    again = client.post(f"/waitlist/{entry.id}/leave")

    assert again.status_code == 302 and again.location == "/account"
    assert entries(app)[0].closed_at == left.closed_at
    assert "You are not waiting for a time." in client.get("/account").text


# --- offers -------------------------------------------------------------------------


def test_the_emailed_offer_is_claimed_as_a_request(app, client, clinic, ready_patient, login_as):
    patient = ready_patient()
    token = offer_for(app, clinic, patient)
    login_as(patient)
    page = client.get(f"/waitlist/offers/{token}").get_data(as_text=True)
    assert "Claim this time" in page and "Ben Durham" in page

    response = client.post(f"/waitlist/offers/{token}")

    assert response.status_code == 302
    with app.app_context():
        [appointment] = db.session.scalars(select(Appointment)).all()
        assert (appointment.patient_id, appointment.status) == (patient.id, "requested")
        assert response.location == f"/account/appointments/{appointment.id}"
    assert entries(app)[0].status == WaitlistStatus.BOOKED
    again = client.get(f"/waitlist/offers/{token}").get_data(as_text=True)
    assert "You claimed this time" in again


def test_a_patient_cannot_see_or_claim_anothers_offer(app, client, clinic, ready_patient, login_as):
    token = offer_for(app, clinic, ready_patient())
    login_as(ready_patient())
    assert client.get(f"/waitlist/offers/{token}").status_code == 404
    assert client.post(f"/waitlist/offers/{token}").status_code == 404
    assert client.get("/waitlist/offers/made-up-token").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Appointment)).all() == []


def test_an_offer_past_its_time_is_refused_in_words(app, client, clinic, ready_patient, login_as):
    patient = ready_patient()
    token = offer_for(app, clinic, patient)
    with app.app_context():
        offer = db.session.scalars(select(WaitlistOffer)).one()
        offer.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    login_as(patient)
    assert "has run out" in client.get(f"/waitlist/offers/{token}").text
    response = client.post(f"/waitlist/offers/{token}")
    assert response.status_code == 409 and "has run out" in response.text
    with app.app_context():
        assert db.session.scalars(select(Appointment)).all() == []


def test_an_offer_whose_time_was_booked_another_way_shows_no_claim_button(
    app, client, clinic, ready_patient, login_as, make_appointment
):
    """Someone booked the offered time by phone after the email went out: the link says so
    at once instead of offering a claim that could only fail."""
    patient = ready_patient()
    token = offer_for(app, clinic, patient)
    with app.app_context():
        starts_at = db.session.scalars(select(WaitlistOffer.starts_at)).one()
    make_appointment(ready_patient(), clinic.provider, clinic.location, clinic.type, starts_at)
    login_as(patient)

    response = client.get(f"/waitlist/offers/{token}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Just taken" in page and "You stay on the waitlist" in page
    assert "Claim this time" not in page
    assert entries(app)[0].status == WaitlistStatus.ACTIVE  # a look changes nothing
    with app.app_context():
        assert db.session.scalars(select(WaitlistOffer.status)).one() == "offered"


def test_a_patient_not_ready_to_book_is_told_what_to_do(app, client, clinic, make_user, login_as):
    patient = make_user()  # no intake, no consent
    token = offer_for(app, clinic, patient)
    login_as(patient)
    response = client.post(f"/waitlist/offers/{token}")
    assert response.status_code == 409
    assert "Please fill in your health questionnaire first." in response.text
    assert "/intake?next=" in response.text
    assert entries(app)[0].status == WaitlistStatus.ACTIVE


# --- the front desk -------------------------------------------------------------------


def test_the_desk_adds_a_caller_and_removes_an_entry_on_record(
    app, client, clinic, make_user, login_as, today
):
    caller, desk = make_user(), make_user(Role.FRONT_DESK)
    login_as(desk)
    assert client.get(f"/staff/waitlist/new?patient={desk.id}").status_code == 404
    response = client.post(
        f"/staff/waitlist/new?patient={caller.id}", data=wish(clinic, today, provider="")
    )
    assert response.status_code == 302
    [entry] = entries(app)
    assert (entry.patient_id, entry.provider_id, entry.created_by_id) == (caller.id, None, desk.id)
    listing = client.get("/staff/waitlist").get_data(as_text=True)
    assert caller.full_name in listing and "any provider" in listing

    assert client.post(f"/staff/waitlist/{entry.id}/remove").status_code == 302
    assert entries(app)[0].status == WaitlistStatus.REMOVED
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.patient_id == caller.id)
        ).all()
    assert {"waitlist_added", "waitlist_removed"} <= set(actions)


def test_removing_an_entry_twice_says_it_is_already_off_the_list(
    app, client, clinic, make_user, login_as, today
):
    # A double click, or two desk workers removing the same caller.
    caller = make_user()
    login_as(make_user(Role.FRONT_DESK))
    client.post(f"/staff/waitlist/new?patient={caller.id}", data=wish(clinic, today))
    [entry] = entries(app)
    assert client.post(f"/staff/waitlist/{entry.id}/remove").status_code == 302

    again = client.post(f"/staff/waitlist/{entry.id}/remove", follow_redirects=True)

    assert again.status_code == 200
    assert "already off the waitlist" in again.get_data(as_text=True)
    assert entries(app)[0].status == WaitlistStatus.REMOVED
    assert client.post("/staff/waitlist/987654/remove").status_code == 404


def test_the_desk_list_names_the_parts_of_the_day_in_the_days_order(
    app, client, clinic, make_user, login_as, today
):
    caller = make_user(first_name="Eve", last_name="Nightly")
    login_as(make_user(Role.FRONT_DESK))
    chosen = wish(clinic, today, times_of_day=["evening", "morning", "afternoon"])
    assert client.post(f"/staff/waitlist/new?patient={caller.id}", data=chosen).status_code == 302

    listing = client.get("/staff/waitlist").get_data(as_text=True)

    assert "<td>morning, afternoon, evening</td>" in listing


def test_a_therapist_reads_the_waitlist_without_changing_it(
    app, client, clinic, ready_patient, login_as, today
):
    patient = ready_patient()
    login_as(patient)
    client.post("/waitlist/join", data=wish(clinic, today))
    client.post("/account/logout")
    with app.app_context():
        therapist = db.session.get(Provider, clinic.provider.id).user
        db.session.expunge(therapist)
    login_as(therapist)
    page = client.get("/staff/waitlist").get_data(as_text=True)
    assert patient.full_name in page and ">Remove<" not in page
    [entry] = entries(app)
    assert client.post(f"/staff/waitlist/{entry.id}/remove").status_code == 403


def test_the_desk_list_runs_the_same_number_of_queries_for_3_or_60_waiting(
    app, client, clinic, make_user, login_as, count_queries, today
):
    login_as(make_user(Role.FRONT_DESK))

    def add(count: int):
        with app.app_context():
            for _ in range(count):
                patient = make_user()
                db.session.add(
                    WaitlistEntry(
                        patient_id=patient.id,
                        location_id=clinic.location.id,
                        type_id=clinic.type.id,
                        first_on=today,
                        last_on=today + timedelta(days=5),
                        times_of_day=["morning"],
                        created_by_id=patient.id,
                    )
                )
            db.session.commit()

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/staff/waitlist").status_code == 200
        return len(statements)

    add(3)
    client.get("/staff/waitlist")  # warm up
    three = queries()
    add(57)
    sixty = queries()
    assert three == sixty
    assert sixty <= 15
    assert "Page 1 of 2" in client.get("/staff/waitlist").text
