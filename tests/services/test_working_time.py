"""Working hours and time off: blocks never overlap, and no change drops a booked patient."""

from contextlib import contextmanager
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    AppointmentStatus,
    AuditEvent,
    Location,
    Provider,
    TimeOff,
    User,
    WorkingHours,
)
from intake.services.schedule import ScheduleError
from intake.services.working_time import (
    HoursOverlap,
    WouldDropAppointments,
    add_hours,
    add_time_off,
    appointments_in_block,
    delete_time_off,
    local_to_utc,
    remove_hours,
)

CLINIC_ZONE = "America/New_York"
NY = ZoneInfo(CLINIC_ZONE)
NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)  # a Tuesday, before clocks fall back on Nov 1


def durham(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


@pytest.fixture
def book(clinic, make_appointment, make_user):
    def build(starts_at, status=AppointmentStatus.CONFIRMED, location=None, **fields):
        patient = make_user(first_name="Maria", last_name="Lopez")
        return make_appointment(
            patient,
            clinic.provider,
            location or clinic.location,
            clinic.type,
            starts_at,
            status,
            **fields,
        )

    return build


@pytest.fixture
def inside(app, clinic):
    """`with inside() as (provider, ben):` runs services as a view would, once the data is in:
    a session opened before the data was written would not see it."""

    @contextmanager
    def enter():
        with app.app_context():
            provider = db.session.get(Provider, clinic.provider.id)
            yield provider, db.session.get(User, provider.user_id)

    return enter


def monday_block(provider) -> WorkingHours:
    return next(b for b in provider.working_hours if b.weekday == 0)


# --- which appointments a block holds --------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "held"),
    [
        (durham(10, 26, 9), True),  # Monday 9:00 EDT
        (durham(11, 2, 9), True),  # Monday 9:00 EST, after the change
        (durham(11, 2, 11, 45), True),  # runs to 12:15, still starts inside
        (durham(11, 2, 8, 30), False),  # ends as the block starts
        (durham(11, 2, 12), False),  # starts as the block ends
        (durham(11, 3, 10), False),  # Tuesday
        (durham(10, 19, 10), False),  # Monday, but already over
    ],
)
def test_a_block_holds_the_future_visits_inside_it_on_its_weekday(inside, book, starts_at, held):
    appointment = book(starts_at)
    with inside() as (provider, _):
        found = appointments_in_block(monday_block(provider), NOW)
    assert [a.id for a in found] == ([appointment.id] if held else [])


def test_a_block_ignores_closed_visits_and_other_locations(inside, book, make_location):
    elsewhere = make_location("27601", name="Raleigh")
    book(durham(10, 26, 9), AppointmentStatus.CANCELLED)
    book(durham(10, 26, 10), AppointmentStatus.DECLINED)
    book(durham(10, 26, 11), location=elsewhere)
    with inside() as (provider, _):
        assert appointments_in_block(monday_block(provider), NOW) == []


def test_removing_a_block_with_a_booked_visit_is_refused_and_keeps_it(inside, book):
    book(durham(10, 26, 10))
    with inside() as (provider, ben):
        block_id = monday_block(provider).id
        with pytest.raises(WouldDropAppointments) as refused:
            remove_hours(provider, ben, block_id, now=NOW)
        assert db.session.get(WorkingHours, block_id) is not None
    (hit,) = refused.value.hits
    assert (hit.patient_initials, hit.type_name, hit.status) == (
        "M.L.",
        "Dry needling follow-up",
        "confirmed",
    )
    assert hit.starts_at == durham(10, 26, 10) and hit.zone == "America/New_York"


def test_removing_a_block_without_visits_is_audited(inside, book):
    book(durham(10, 27, 10))  # a Tuesday
    with inside() as (provider, ben):
        block_id = monday_block(provider).id
        remove_hours(provider, ben, block_id, now=NOW)
        assert db.session.get(WorkingHours, block_id) is None
        audit = db.session.scalars(select(AuditEvent)).one()
        assert (audit.action, audit.actor_id, audit.object_id) == (
            "changed_hours",
            ben.id,
            block_id,
        )


def test_removing_someone_elses_block_is_a_lookup_error(inside, make_provider, clinic):
    olivia = make_provider(
        "Olivia", [clinic.location], hours=[(clinic.location, 0, time(9), time(10))]
    )
    with inside() as (provider, ben):
        theirs = db.session.scalars(
            select(WorkingHours.id).where(WorkingHours.provider_id == olivia.id)
        ).one()
        with pytest.raises(LookupError):
            remove_hours(provider, ben, theirs, now=NOW)


# --- adding hours ----------------------------------------------------------------------------


def test_hours_follow_the_clinics_slot_grid_not_a_fixed_quarter_hour(inside, clinic):
    with inside() as (provider, ben):
        with pytest.raises(ScheduleError, match="a 30-minute step"):
            add_hours(provider, ben, clinic.location.id, 0, time(12, 15), time(13), grid_minutes=30)
        block = add_hours(
            provider, ben, clinic.location.id, 0, time(12, 30), time(13), grid_minutes=30
        )
        assert (block.starts, block.ends) == (time(12, 30), time(13))


@pytest.mark.parametrize(
    ("starts", "ends", "error"),
    [
        (time(11), time(13), HoursOverlap),  # overlaps Monday 9-12
        (time(8), time(9, 30), HoursOverlap),
        (time(8), time(13), HoursOverlap),  # wraps it
        (time(12, 10), time(13), ScheduleError),  # off the quarter hour
        (time(14), time(13), ScheduleError),
        (time(12), time(13), None),  # touching is fine
        (time(7), time(9), None),
    ],
)
def test_adding_hours(inside, clinic, starts, ends, error):
    with inside() as (provider, ben):
        if error:
            with pytest.raises(error):
                add_hours(provider, ben, clinic.location.id, 0, starts, ends, grid_minutes=15)
            assert len(db.session.scalars(select(WorkingHours)).all()) == 5
            return
        block = add_hours(provider, ben, clinic.location.id, 0, starts, ends, grid_minutes=15)
        assert (block.weekday, block.starts, block.ends) == (0, starts, ends)
        audit = db.session.scalars(select(AuditEvent)).one()
        assert (audit.action, audit.actor_id, audit.object_id) == (
            "changed_hours",
            ben.id,
            block.id,
        )


def test_hours_cannot_overlap_at_another_location(app, inside, clinic, make_location):
    raleigh = make_location("27601", name="Raleigh")
    with app.app_context():
        provider = db.session.get(Provider, clinic.provider.id)
        provider.locations.append(db.session.get(Location, raleigh.id))
        db.session.commit()
    with inside() as (provider, ben):
        with pytest.raises(HoursOverlap) as refused:
            add_hours(provider, ben, raleigh.id, 0, time(11, 30), time(14), grid_minutes=15)
        assert [b.location.name for b in refused.value.blocks] == ["Durham Central"]


def test_hours_only_at_own_locations(inside, make_location):
    elsewhere = make_location("27601", name="Elsewhere")
    with inside() as (provider, ben), pytest.raises(ScheduleError, match="locations you work at"):
        add_hours(provider, ben, elsewhere.id, 5, time(9), time(10), grid_minutes=15)


# --- time off --------------------------------------------------------------------------------


def test_wall_clock_times_become_utc_across_the_change():
    assert local_to_utc(datetime(2026, 10, 30, 9), "America/New_York").hour == 13
    assert local_to_utc(datetime(2026, 11, 2, 9), "America/New_York").hour == 14
    # 1:30 AM happens twice on Nov 1: the first (EDT) is taken.
    assert local_to_utc(datetime(2026, 11, 1, 1, 30), "America/New_York").hour == 5


@pytest.mark.parametrize(
    ("starts", "ends", "refused"),
    [
        (datetime(2026, 10, 26, 10), datetime(2026, 10, 26, 11), True),  # covers the visit
        (datetime(2026, 10, 26, 10, 15), datetime(2026, 10, 26, 10, 20), True),  # inside it
        (datetime(2026, 10, 26, 10, 30), datetime(2026, 10, 26, 12), False),  # from its end
        (datetime(2026, 10, 26, 8), datetime(2026, 10, 26, 10), False),  # up to its start
        (datetime(2026, 10, 25, 0), datetime(2026, 10, 27, 0), True),  # a long weekend
    ],
)
def test_time_off_is_refused_only_when_it_overlaps_a_booked_visit(
    inside, book, starts, ends, refused
):
    visit = book(durham(10, 26, 10))  # 10:00-10:30, buffer to 10:40
    book(durham(10, 27, 10), AppointmentStatus.CANCELLED)
    with inside() as (provider, ben):
        if refused:
            with pytest.raises(WouldDropAppointments) as error:
                add_time_off(provider, ben, starts, ends, "", zone=CLINIC_ZONE, now=NOW)
            assert [h.starts_at for h in error.value.hits] == [visit.starts_at]
            assert db.session.scalars(select(TimeOff)).all() == []
            return
        off = add_time_off(provider, ben, starts, ends, " Course ", zone=CLINIC_ZONE, now=NOW)
        assert (off.starts_at, off.ends_at, off.reason) == (
            local_to_utc(starts, "America/New_York"),
            local_to_utc(ends, "America/New_York"),
            "Course",
        )


def test_time_off_hits_requested_visits_at_any_location(inside, book, make_location):
    elsewhere = make_location("27601", name="Raleigh")
    book(durham(10, 28, 15), AppointmentStatus.REQUESTED, location=elsewhere)
    whole_day = datetime(2026, 10, 28, 0), datetime(2026, 10, 29, 0)
    with inside() as (provider, ben), pytest.raises(WouldDropAppointments):
        add_time_off(provider, ben, *whole_day, "", zone=CLINIC_ZONE, now=NOW)


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (datetime(2026, 10, 28, 12), datetime(2026, 10, 28, 12), "end after it starts"),
        (datetime(2026, 10, 19, 9), datetime(2026, 10, 19, 17), "already passed"),
    ],
)
def test_time_off_that_ends_first_or_has_passed(inside, starts, ends, message):
    with inside() as (provider, ben), pytest.raises(ScheduleError, match=message):
        add_time_off(provider, ben, starts, ends, "", zone=CLINIC_ZONE, now=NOW)


def test_deleting_time_off_is_for_its_owner(inside, make_provider, clinic):
    olivia = make_provider("Olivia", [clinic.location])
    day = datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 17)
    with inside() as (provider, ben):
        mine = add_time_off(provider, ben, *day, "", zone=CLINIC_ZONE, now=NOW)
        theirs = TimeOff(provider_id=olivia.id, starts_at=mine.starts_at, ends_at=mine.ends_at)
        db.session.add(theirs)
        db.session.commit()
        with pytest.raises(LookupError):
            delete_time_off(provider, ben, theirs.id)
        delete_time_off(provider, ben, mine.id)
        assert db.session.scalars(select(TimeOff.provider_id)).all() == [olivia.id]
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["changed_time_off", "changed_time_off"]
