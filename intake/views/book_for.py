"""The front desk's "book for this patient" page, shared by a cleared callback and the patient
record: provider, place and type chosen, their free times by the staff rules, and the POST that
books one. Not a blueprint: callbacks.py and patients.py route to it, each with its Target."""

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..config import current_settings
from ..formatting import clinic_today
from ..forms import BookForPatientForm, BookForPatientSearchForm
from ..forms import options as choices_of
from ..models import User, utcnow
from ..permissions import Role
from ..services import forms_pending, staff_booking
from ..services.eligibility import require_offered
from ..services.errors import ActionRefused, BookingError, SafetyRefused, SlotTaken
from ..services.free_times import SlotChoice, active_types
from .helpers import parse_start, parse_week

BOOK_DAYS = 7
BOOK_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class Target:
    """Whom the page books for, where it lives, and what it says above the times."""

    patient: User
    subject: staff_booking.Subject
    endpoint: str  # the page (GET) and the booking (POST) share this URL
    url_args: dict
    back_url: str
    back_text: str
    intro: str


def _pick(items, wanted):
    by_id = {str(item.id): item for item in items}
    return by_id.get(str(wanted or "")) or next(iter(items), None)


def page(target: Target, wanted, status: int = 200, refusal: str = "", **extra):
    """The choice of provider, place and type, and their free times by the staff rules, with
    the refusal of a booking tried, if any. A `start` in `wanted` that is free is offered at
    the top, ready to book (from the calendar's free cell)."""
    if refusal:
        flash(refusal, "error")
    today = clinic_today()
    providers, types = staff_booking.active_providers(), active_types()
    provider = _pick(providers, wanted.get("provider"))
    location = _pick(provider.locations, wanted.get("location")) if provider else None
    start = parse_start(wanted.get("start"))
    kind = _pick(types, wanted.get("type"))
    if start is not None and not wanted.get("type") and provider and location:
        # From a calendar cell: the first type of visit that fits in the time there.
        kind = _first_type_free_at(target, (provider, location), types, start) or kind
    week = wanted.get("week")
    if not week and start is not None and location is not None:
        week = start.astimezone(ZoneInfo(location.timezone)).date().isoformat()
    first = parse_week(week, today, BOOK_HORIZON.days)
    form = _search_form(providers, types, (provider, location, kind), first)
    days, not_offered, failures = _times(target, (provider, location, kind), first)
    free = {slot for slots in days.values() for slot in slots}
    context = {
        "target": target,
        "patient": target.patient,
        "form": form,
        "provider": provider,
        "location": location,
        "kind": kind,
        "days": days,
        "first": first,
        "next_week": first + timedelta(days=BOOK_DAYS),
        "previous_week": first - timedelta(days=BOOK_DAYS) if first > today else None,
        "not_offered": not_offered,
        "failures": failures,
        "may_override": current_user.role == Role.ADMIN,
        "book_form": BookForPatientForm(formdata=None),
        "chosen": None,
        "picked": start if start in free else None,
        "picked_not_free": start if start is not None and start not in free else None,
        "next_free": [],
        **extra,
    }
    return render_template("staff/book_for_patient.html", **context), status


def _first_type_free_at(target: Target, place, types, start):
    provider, location = place
    day = start.astimezone(ZoneInfo(location.timezone)).date()
    for kind in types:
        days, _, _ = _times(target, (provider, location, kind), day, days=1)
        if any(start in slots for slots in days.values()):
            return kind
    return None


def _search_form(providers, types, chosen, first) -> BookForPatientSearchForm:
    provider, location, kind = chosen
    form = BookForPatientSearchForm(formdata=None, week=first)
    form.provider.choices = choices_of((str(p.id), p.display_name) for p in providers)
    form.location.choices = choices_of(
        (str(loc.id), loc.name) for loc in (provider.locations if provider else ())
    )
    form.type.choices = choices_of((str(t.id), t.name) for t in types)
    form.provider.data = str(provider.id) if provider else None
    form.location.data = str(location.id) if location else None
    form.type.data = str(kind.id) if kind else None
    return form


def _times(target: Target, chosen, first, days: int = BOOK_DAYS):
    """The week's free times, why the type is not offered, and which safety checks fail."""
    provider, location, kind = chosen
    if not (provider and location and kind):
        return {}, "", ()
    settings, now = current_settings(), utcnow()
    failures = staff_booking.failures_for(target.patient, kind, settings=settings, now=now)
    try:
        require_offered(provider, kind, settings, now)
    except ActionRefused as refused:
        return {}, str(refused), failures
    choice = SlotChoice(provider, location, kind)
    found = staff_booking.free_times(choice, first, days, settings=settings, now=now)
    return found, "", failures


def book(target: Target):
    """Book the time posted; the page again, with why, when refused."""
    form = BookForPatientForm()
    start = parse_start(form.start.data)
    wanted = {
        "provider": form.provider.data,
        "location": form.location.data,
        "type": form.type.data,
    }
    if not form.validate_on_submit() or start is None:
        refusal = "Please choose one of the times shown."
        return page(target, wanted, 400, refusal, book_form=form)
    booking = staff_booking.Booking(
        int(form.provider.data), int(form.location.data), int(form.type.data), start
    )
    try:
        appointment = staff_booking.book(
            target.subject,
            current_user,
            booking,
            form.override_reason.data or "",
            settings=current_settings(),
            now=utcnow(),
        )
    except LookupError:
        abort(404)
    except SafetyRefused as refused:
        return page(target, wanted, 409, str(refused), book_form=form, chosen=start)
    except SlotTaken as taken:
        return page(target, wanted, 409, str(taken), next_free=taken.next_free)
    except BookingError as refused:  # not cleared, outside hours, not their place, not offered
        return page(target, wanted, 409, str(refused))
    flash(_booked_message(appointment), "success")
    return redirect(url_for("staff.request", appointment_id=appointment.id))


def _booked_message(appointment) -> str:
    said = "Booked and confirmed."
    if appointment.patient.email:
        said += " The patient has been emailed with a calendar invitation."
    else:
        said += " The patient has no email on file: tell them the time on the phone."
    if forms_pending.missing_now(appointment, settings=current_settings(), now=utcnow()):
        said += " Forms pending: the patient's intake or consent is still to complete"
        said += "; a link to them was emailed." if appointment.patient.email else "."
    return said
