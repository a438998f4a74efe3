"""Front desk: the request queue, one request with its actions, and the CSV export."""

from datetime import timedelta

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
from markupsafe import Markup

from ..config import current_settings
from ..domain.confirmation import failed_checks
from ..formatting import clinic_today
from ..forms import (
    CallLogForm,
    CancelForm,
    ConfirmForm,
    DeclineForm,
    ExportForm,
    MoveForm,
    MoveSearchForm,
    NoteForm,
    QueueFilterForm,
    options,
)
from ..models import CallOutcome, utcnow
from ..permissions import Role, guard_blueprint
from ..services import (
    audit,
    callbacks,
    changes,
    confirmation,
    export,
    forms_pending,
    records,
    staff_actions,
)
from ..services import queue as queue_service
from ..services.errors import ActionRefused, BookingError, ChangedMeanwhile
from ..services.free_times import SlotChoice
from .csv_download import csv_download
from .errors import render_error
from .helpers import clinic_locations, consent_max_age, parse_start, parse_week
from .public_data import kept_rendered, provider_names

bp = Blueprint("staff", __name__, url_prefix="/staff")
guard_blueprint(bp, Role.FRONT_DESK)

MAX_PAGE = 100_000
# The only query keys the page links carry on: any other key could collide with url_for's
# own arguments (endpoint, _external, _anchor ...).
QUEUE_KEYS = ("provider", "location", "status", "from", "to", "needs_review", "q")
MOVE_DAYS = 7
MOVE_HORIZON = timedelta(days=366)  # as far as staff may look; no calendar overflow


# --- the queue -----------------------------------------------------------------------


@bp.get("")
def home():
    """/staff typed by hand: the front desk's day starts at the requests."""
    return redirect(url_for("staff.queue"))


@bp.get("/requests")
def queue():
    if request.args.keys() & set(QUEUE_KEYS):
        form = _queue_filter_form(request.args)
        form.validate()  # a value that does not check out is shown with its error and ignored
        filters, forms = _filters_from(form), _queue_forms(form)
    else:
        # The plain queue, the desk's page most of the day: its forms are the same for
        # everyone until a provider or a location changes, so they are kept rendered.
        filters = queue_service.QueueFilters()
        form, forms = None, kept_rendered("queue_forms", lambda: _queue_forms(_queue_filter_form()))
    settings = current_settings()
    zone = current_app.config["INTAKE_TIMEZONE"]
    page = queue_service.queue_page(
        filters,
        min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE),
        zone,
        utcnow(),
        consent_max_age(),
        urgent_limit_hours=settings.urgent_callback_working_hours,
    )
    if filters.q:  # a search by name, phone or email goes on record, as on the patients page
        audit.record(
            "searched_patients",
            actor_id=current_user.id,
            object_type="appointments",
            detail={"in": "requests", "found": page.total},
            commit=True,  # the page's rows are values: nothing loaded is expired
        )
    keep = {k: request.args[k] for k in QUEUE_KEYS if request.args.get(k)}
    return render_template(
        "staff/queue.html",
        form=form,  # with its errors, if any, for the page's title
        filter_forms=forms,
        page=page,
        keep=keep,
        urgent_callbacks=page.urgent_callbacks,
        urgent_limit=settings.urgent_callback_working_hours,
        clinic_zone=zone,
    )


def _queue_filter_form(formdata=None) -> QueueFilterForm:
    form = QueueFilterForm(formdata=formdata)
    form.provider.choices = options(
        [
            ("", "Any provider"),
            *((str(provider_id), name) for provider_id, name in provider_names()),
        ]
    )
    form.location.choices = options(
        [("", "Any location"), *((str(loc.id), loc.name) for loc in clinic_locations())]
    )
    return form


def _queue_forms(form: QueueFilterForm) -> dict[str, Markup]:
    """The queue's two forms, rendered: its filters (with what was not understood) and the
    export below the list."""
    # Rendered from our own templates, escaped as any page is.
    return {
        "filters": Markup(render_template("staff/_queue_filters.html", form=form)),  # noqa: S704  # nosec
        "export": Markup(  # noqa: S704  # nosec
            render_template("staff/_queue_export.html", export_form=ExportForm(formdata=None))
        ),
    }


def _filters_from(form: QueueFilterForm) -> queue_service.QueueFilters:
    def good(field):
        return None if field.errors else (field.data or None)

    status = good(form.status) or "requested"
    return queue_service.QueueFilters(
        provider_id=int(good(form.provider)) if good(form.provider) else None,
        location_id=int(good(form.location)) if good(form.location) else None,
        status=None if status == "all" else status,
        first_day=good(form.from_),
        last_day=good(form.to),
        needs_review=bool(form.needs_review.data),
        q=good(form.q) or "",
    )


# --- one request ---------------------------------------------------------------------


@bp.get("/requests/<int:appointment_id>", endpoint="request")
def show_request(appointment_id: int):
    return _render_request(appointment_id)


def _render_request(appointment_id: int, status: int = 200, refresh: bool = False, **forms):
    """The request page; `forms` given keep what was typed. `refresh`: the request changed
    since they were filled in, so they now carry the revision shown."""
    view = records.open_request(
        appointment_id,
        current_user,
        clinic_today(),
        utcnow(),
        consent_max_age(),
        current_app.config["INTAKE_TIMEZONE"],
    )
    if view is None:
        abort(404)
    revision = view.appointment.revision
    if refresh:
        for form in forms.values():
            form.revision.data = str(revision)
    context = {
        "confirm_form": ConfirmForm(formdata=None, revision=revision),
        "decline_form": DeclineForm(formdata=None, revision=revision),
        "cancel_form": CancelForm(formdata=None, revision=revision),
        "note_form": NoteForm(formdata=None),
        "call_form": CallLogForm(formdata=None),
        **forms,
    }
    calls = callbacks.calls_for_appointment(view.appointment)
    missing = forms_pending.missing_for(
        view.appointment, view.intake is not None, view.consent.state
    )
    context["forms_missing"] = missing
    context["forms_pending"] = forms_pending.is_pending(view.appointment, missing)
    context["forms_words"] = forms_pending.FORM_WORDS
    return render_template("staff/request.html", view=view, calls=calls, **context), status


def _act(appointment_id: int, done: str, action, *args, typed=None, **kwargs):
    """Run a staff action; on a clash, show the request as it now stands with why, and the
    form sent (`typed`, by its name on the page) still filled in: a reason is not lost."""
    typed = typed or {}
    try:
        action(appointment_id, *args, now=utcnow(), **kwargs)
    except LookupError:
        abort(404)
    except ChangedMeanwhile as changed:
        flash(str(changed), "error")
        return _render_request(appointment_id, 409, refresh=True, **typed)
    except ActionRefused as refused:
        flash(str(refused), "error")
        return _render_request(appointment_id, 409, **typed)
    flash(done, "success")
    return redirect(url_for("staff.request", appointment_id=appointment_id))


def _stale_or_invalid(appointment_id: int, name: str, form):
    if form.revision.errors:  # a tampered or missing revision: never act on a guess
        flash("This page was out of date. Here is the request as it stands now.", "error")
        return _render_request(appointment_id, 409)
    return _render_request(appointment_id, 400, **{name: form})


@bp.post("/requests/<int:appointment_id>/confirm")
def confirm(appointment_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _stale_or_invalid(appointment_id, "confirm_form", form)
    return _act(
        appointment_id,
        "Confirmed. The patient has been emailed with a calendar invitation.",
        staff_actions.confirm,
        int(form.revision.data),
        current_user,
        form.override_reason.data or "",
        settings=current_settings(),
        typed={"confirm_form": form},
    )


@bp.post("/requests/<int:appointment_id>/decline")
def decline(appointment_id: int):
    form = DeclineForm()
    if not form.validate_on_submit():
        return _stale_or_invalid(appointment_id, "decline_form", form)
    return _act(
        appointment_id,
        "Declined. The patient has been emailed the reason.",
        staff_actions.decline,
        int(form.revision.data),
        current_user,
        form.reason.data,
        settings=current_settings(),
        typed={"decline_form": form},
    )


@bp.post("/requests/<int:appointment_id>/cancel")
def cancel(appointment_id: int):
    form = CancelForm()
    if not form.validate_on_submit():
        return _stale_or_invalid(appointment_id, "cancel_form", form)
    return _act(
        appointment_id,
        "Cancelled. The patient has been emailed the reason.",
        staff_actions.cancel,
        int(form.revision.data),
        current_user,
        form.reason.data,
        settings=current_settings(),
        typed={"cancel_form": form},
    )


@bp.post("/requests/<int:appointment_id>/note")
def note(appointment_id: int):
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_request(appointment_id, 400, note_form=form)
    return _act(appointment_id, "Note added.", staff_actions.add_note, current_user, form.text.data)


@bp.post("/requests/<int:appointment_id>/call")
def log_call(appointment_id: int):
    """A call to the patient about this request: an urgent one needs it before confirming."""
    form = CallLogForm()
    if not form.validate_on_submit():
        return _render_request(appointment_id, 400, call_form=form)
    outcome = CallOutcome(form.outcome.data)
    try:
        callbacks.log_call(
            current_user,
            outcome,
            form.advice.data or "",
            now=utcnow(),
            appointment_id=appointment_id,
        )
    except LookupError:
        abort(404)
    flash("Call logged.", "success")
    return redirect(url_for("staff.request", appointment_id=appointment_id))


# --- moving --------------------------------------------------------------------------


@bp.get("/requests/<int:appointment_id>/move")
def move_page(appointment_id: int):
    appointment = changes.load(appointment_id) or abort(404)
    providers = queue_service.providers()
    provider = _pick(providers, request.args.get("provider"), appointment.provider_id)
    location = _pick(provider.locations, request.args.get("location"), appointment.location_id)
    today = clinic_today()
    first = parse_week(request.args.get("week"), today, MOVE_HORIZON.days)
    form = MoveSearchForm(formdata=None, provider=str(provider.id), week=first)
    form.provider.choices = options((str(p.id), p.display_name) for p in providers)
    form.location.choices = options((str(loc.id), loc.name) for loc in provider.locations)
    form.location.data = str(location.id) if location else None
    days = (
        staff_actions.free_times_for_move(
            appointment,
            SlotChoice(provider, location, appointment.type),
            first,
            MOVE_DAYS,
            settings=current_settings(),
            now=utcnow(),
        )
        if location
        else {}
    )
    return render_template(
        "staff/move.html",
        appointment=appointment,
        form=form,
        provider=provider,
        location=location,
        days=days,
        first=first,
        next_week=first + timedelta(days=MOVE_DAYS),
        previous_week=first - timedelta(days=MOVE_DAYS) if first > today else None,
        move_form=MoveForm(formdata=None, revision=appointment.revision),
        failures=failed_checks(
            confirmation.facts_now(appointment, settings=current_settings(), now=utcnow()),
            review=False,
        ),
    )


def _pick(items, wanted, fallback_id):
    """The item whose id was asked for, else the appointment's own, else the first."""
    by_id = {str(item.id): item for item in items}
    return by_id.get(wanted or "") or by_id.get(str(fallback_id)) or next(iter(items), None)


@bp.post("/requests/<int:appointment_id>/move")
def move(appointment_id: int):
    form = MoveForm()
    start = parse_start(form.start.data)
    if not form.validate_on_submit() or start is None:
        if form.revision.errors:
            return _stale_or_invalid(appointment_id, "move_form", form)
        flash("Please choose one of the times shown.", "error")
        return redirect(url_for("staff.move_page", appointment_id=appointment_id))
    args = (int(form.revision.data), current_user, int(form.provider.data))
    try:
        staff_actions.move(
            appointment_id,
            *args,
            int(form.location.data),
            start,
            form.override_reason.data or "",
            settings=current_settings(),
            now=utcnow(),
        )
    except LookupError:
        abort(404)
    except ChangedMeanwhile as changed:
        flash(str(changed), "error")
        return _render_request(appointment_id, 409)
    except BookingError as error:  # taken, outside hours, not their location
        flash(str(error), "error")
        return redirect(
            url_for(
                "staff.move_page",
                appointment_id=appointment_id,
                provider=form.provider.data,
                location=form.location.data,
            )
        )
    flash(
        "Moved. The request is waiting for confirmation again, and the patient has been "
        "emailed the new time.",
        "success",
    )
    return redirect(url_for("staff.request", appointment_id=appointment_id))


# --- export --------------------------------------------------------------------------


@bp.get("/appointments.csv")
def export_csv():
    form = ExportForm(formdata=request.args)
    if not form.validate():
        problems = " ".join(f"{form[n].label.text}: {' '.join(e)}" for n, e in form.errors.items())
        return render_error(
            400,
            "Choose the dates to export",
            f"{problems} Give dates as YYYY-MM-DD, at most 366 days apart.",
        )
    audit.record("exported_csv", actor_id=current_user.id, object_type="appointments", commit=True)
    first, last = form.from_.data, form.to.data
    rows = export.export_rows(first, last, current_app.config["INTAKE_TIMEZONE"])
    return csv_download(rows, export.EXPORT_COLUMNS, f"appointments-{first}-{last}.csv")
