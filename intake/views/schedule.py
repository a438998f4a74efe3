"""Therapists: day and week schedule, reviews, working hours, time off, calendar feed."""

from functools import wraps
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..config import current_settings
from ..domain import needling
from ..forms import (
    AddendumForm,
    NeedlingNoteForm,
    OutcomeForm,
    PostForm,
    ReviewForm,
)
from ..links import external_url
from ..models import AppointmentStatus, utcnow
from ..permissions import Role, guard_blueprint
from ..services import aftercare, feed, notes, schedule
from ..services.errors import BookingError, ScheduleError
from ..services.queue import consent_looks
from . import working_time_pages
from .helpers import add_addendum_from, consent_max_age, note_alerting
from .public_data import public_providers

bp = Blueprint("schedule", __name__, url_prefix="/schedule")
guard_blueprint(bp, Role.THERAPIST)
bp.add_app_template_filter(feed.initials, "initials")
# Regions, tolerance and adverse events of a session note in words, on every page showing one.
bp.add_app_template_filter(needling.label, "needling_label")


def with_provider(view):
    """Hand the view the signed-in therapist's own profile; without one, a page saying so."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        provider = schedule.provider_for(current_user)
        if provider is None:
            return render_template("schedule/no_provider.html")
        return view(provider, *args, **kwargs)

    return wrapped


# --- day and week -------------------------------------------------------------------------


@bp.get("")
def view():
    # The directory cache's profile: the page needs only its id, name and zone (no query
    # while warm). Every signed-in therapist's profile is listed: listing asks only for an
    # active account, and an inactive one cannot be signed in.
    provider = public_providers().by_user.get(current_user.id)
    if provider is None:
        return render_template("schedule/no_provider.html")
    moment = utcnow()
    page = schedule.window(
        provider,
        request.args.get("view"),
        request.args.get("date"),
        moment,
        current_app.config["INTAKE_TIMEZONE"],  # all the page needs of current_settings()
    )
    show_all = request.args.get("show") == "all"
    days = schedule.appointments_in(provider, page, include_closed=show_all)
    visits = [a for day in days.values() for a in day]
    return render_template(
        "schedule/view.html",
        provider=provider,
        page=page,
        days=days,
        check_ins=aftercare.check_ins_of(
            [a.id for a in visits if a.status == AppointmentStatus.COMPLETED]
        ),
        show_all=show_all,
        today=moment.astimezone(ZoneInfo(page.zone)).date(),
        # By visit id, for the cards to look up: a call from a template costs ~1.5 µs more.
        flags={a.id: schedule.flags(a) for a in visits},
        # The patient's consent as it stands now, not the one the visit was booked with: one
        # signed after a phone booking counts, a withdrawn or expired one is flagged.
        consents=consent_looks({a.patient_id for a in visits}, moment, consent_max_age()),
        markable={a.id for a in visits if schedule.may_mark(a, moment)},
        needs_note=schedule.needs_note,
    )


@bp.post("/appointments/<int:appointment_id>/outcome")
@with_provider
def mark(provider, appointment_id: int):
    schedule.own_appointment(provider, appointment_id) or abort(404)
    back = url_for(".view", view=request.args.get("view"), date=request.args.get("date"))
    form = OutcomeForm()
    if not form.validate_on_submit():
        flash("Please use the buttons on the schedule.", "error")
        return redirect(back)
    try:
        schedule.mark(
            provider,
            current_user,
            appointment_id,
            form.revision.data,
            form.outcome.data,
            settings=current_settings(),
            now=utcnow(),
        )
    except (BookingError, ScheduleError) as error:  # changed meanwhile, or not markable
        flash(str(error), "error")
    else:
        word = "completed" if form.outcome.data == "completed" else "a no-show"
        flash(f"The appointment is marked {word}.", "success")
    return redirect(back)


# --- therapist review ---------------------------------------------------------------------


@bp.route("/appointments/<int:appointment_id>/review", methods=["GET", "POST"])
@with_provider
def review(provider, appointment_id: int):
    appointment = schedule.own_appointment(provider, appointment_id) or abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            schedule.review(
                provider,
                current_user,
                appointment_id,
                form.revision.data,
                form.outcome.data,
                form.note.data,
                settings=current_settings(),
                now=utcnow(),
            )
        except BookingError as error:  # changed meanwhile, or no longer holding its time
            flash(str(error), "error")
            return redirect(url_for(".review", appointment_id=appointment_id))
        except ScheduleError as error:
            form.note.errors = [*form.note.errors, str(error)]
        else:
            flash("Your review is recorded. The front desk will confirm or decline.", "success")
            return redirect(url_for(".review", appointment_id=appointment_id))
    if request.method == "GET":
        form.revision.data = appointment.revision
        schedule.record_view(current_user, appointment)
    return render_template(
        "schedule/review.html",
        appointment=appointment,
        findings=schedule.findings(appointment),
        level_words=schedule.LEVEL_WORDS,
        flags=schedule.flags(appointment),
        consent=consent_looks([appointment.patient_id], utcnow(), consent_max_age())[
            appointment.patient_id
        ],
        form=form,
    ), 400 if form.errors else 200


# --- session notes ------------------------------------------------------------------------


def _note_page(appointment_id: int, form, addendum, code: int = 200):
    """The visit with its signed note and addenda (the look audited), or the form to sign."""
    appointment = notes.visit_with_note(current_user, appointment_id) or abort(404)
    return render_template(
        "schedule/note.html",
        appointment=appointment,
        may_sign=appointment.note is None and schedule.may_mark(appointment, utcnow()),
        form=form,
        addendum=addendum,
    ), code


def _entry(form: NeedlingNoteForm) -> notes.NoteEntry:
    return notes.NoteEntry(
        regions=form.regions.data,
        needle_count=form.needle_count.data,
        tolerance=form.tolerance.data,
        twitch_response=form.twitch_response.data == "yes",
        events=form.adverse_events.data,
        other_event=form.other_event.data or "",
        aftercare=form.aftercare.data,
    )


@bp.route("/appointments/<int:appointment_id>/note", methods=["GET", "POST"])
@with_provider
def note(provider, appointment_id: int):
    """Fill in and sign the session note; signing marks the visit completed."""
    appointment = schedule.own_appointment(provider, appointment_id) or abort(404)
    form, here = NeedlingNoteForm(), url_for(".note", appointment_id=appointment_id)
    if request.method == "GET":
        form.revision.data = appointment.revision
    elif appointment.note is not None:
        flash("This note is signed already. Add an addendum to correct it.", "error")
        return redirect(here)
    elif form.validate_on_submit():
        try:
            notes.sign(
                provider,
                current_user,
                appointment_id,
                form.revision.data,
                _entry(form),
                alerting=note_alerting(appointment_id),
                now=utcnow(),
            )
        except BookingError as error:  # changed meanwhile: what was typed stays on the page
            flash(str(error), "error")
            current = schedule.own_appointment(provider, appointment_id) or abort(404)
            form.revision.data, form.revision.raw_data = current.revision, [str(current.revision)]
            return _note_page(appointment_id, form, AddendumForm(), 409)
        except ScheduleError as error:  # not confirmed, not started, or not dry needling
            flash(str(error), "error")
            return _note_page(appointment_id, form, AddendumForm(), 409)
        flash("The note is signed and the visit is marked completed.", "success")
        return redirect(here)
    return _note_page(appointment_id, form, AddendumForm(), 400 if form.errors else 200)


@bp.post("/appointments/<int:appointment_id>/note/addenda")
@with_provider
def add_addendum(provider, appointment_id: int):
    schedule.own_appointment(provider, appointment_id) or abort(404)
    form = AddendumForm()
    if not form.validate_on_submit():
        return _note_page(appointment_id, NeedlingNoteForm(), form, 400)
    try:
        add_addendum_from(form, appointment_id)
    except LookupError:  # no signed note to add to
        abort(404)
    except ScheduleError as error:
        form.text.errors = [str(error)]
        return _note_page(appointment_id, NeedlingNoteForm(), form, 400)
    return redirect(url_for(".note", appointment_id=appointment_id))


# --- weekly hours and time off: the same pages as an admin's (views/working_time_pages) ---


def _own(provider) -> working_time_pages.Pages:
    return working_time_pages.Pages(provider, "schedule.", own=True, back=url_for("schedule.view"))


@bp.get("/hours")
@with_provider
def hours(provider):
    return working_time_pages.hours(_own(provider))


@bp.post("/hours")
@with_provider
def add_hours(provider):
    return working_time_pages.add_hours(_own(provider))


@bp.post("/hours/<int:block_id>/remove")
@with_provider
def remove_hours(provider, block_id: int):
    return working_time_pages.remove_hours(_own(provider), block_id)


@bp.get("/time-off")
@with_provider
def time_off(provider):
    return working_time_pages.time_off(_own(provider))


@bp.post("/time-off")
@with_provider
def add_time_off(provider):
    return working_time_pages.add_time_off(_own(provider))


@bp.post("/time-off/<int:time_off_id>/delete")
@with_provider
def delete_time_off(provider, time_off_id: int):
    return working_time_pages.delete_time_off(_own(provider), time_off_id)


# --- calendar feed ------------------------------------------------------------------------


@bp.get("/feed-token")
@with_provider
def feed_token(provider):
    return render_template("schedule/feed_token.html", provider=provider, form=PostForm(), url=None)


@bp.post("/feed-token")
@with_provider
def regenerate_feed_token(provider):
    if not PostForm().validate_on_submit():
        abort(400)
    token = feed.new_token(provider, current_user)
    # Shown on this response only: neither a flash nor a redirect keeps it anywhere.
    url = external_url("feed.calendar", token=token)
    return render_template("schedule/feed_token.html", provider=provider, form=PostForm(), url=url)
