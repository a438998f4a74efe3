"""Front desk: every patient, searchable; a new patient for a caller; book for a patient.
In "pick the patient" mode (from a free calendar cell) the time travels on to the booking."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..forms import NewPatientForm, PatientSearchForm
from ..models import utcnow
from ..permissions import Role, guard_blueprint
from ..services import audit, patients, staff_booking
from ..services.errors import ActionRefused
from . import book_for
from .helpers import parse_start

bp = Blueprint("patients", __name__, url_prefix="/staff/patients")
guard_blueprint(bp, Role.FRONT_DESK)

MAX_PAGE = 100_000
# "new=booking": the staff navigation's "New booking", picking a patient before any time.
PICK_KEYS = ("provider", "location", "start", "new")


def _pick(source) -> dict:
    """The calendar cell being booked (provider, location, start), as given; blanks left out."""
    return {key: source.get(key)[:40] for key in PICK_KEYS if source.get(key)}


def _pick_mode(pick: dict) -> dict:
    """What the page says about the time being booked; nothing when not picking."""
    start = parse_start(pick.get("start"))
    return {"pick": pick, "pick_start": start, "picking": bool(pick)}


@bp.get("", endpoint="index")
def index():
    form = PatientSearchForm(request.args)
    form.validate()  # a GET: mistakes are shown next to the field, the list still shows
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    text = form.q.data if not form.q.errors else ""
    pick = _pick(request.args)
    found = patients.search(current_user, text, page)
    keep = {"q": text, **pick} if text else pick
    return render_template(
        "patients/index.html", form=form, page=found, keep=keep, **_pick_mode(pick)
    )


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
def new():
    form = NewPatientForm(request.form if request.method == "POST" else request.args)
    pick = _pick(request.form if request.method == "POST" else request.args)
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _new_page(form, pick, status=status)
    details = patients.NewPatient(
        form.first_name.data,
        form.last_name.data,
        form.born_on.data,
        getattr(form.phone, "e164", form.phone.data),
        form.email.data or "",
    )
    similar = patients.same_name_and_birth(details)
    if similar and not form.same_person_checked.data:
        return _new_page(form, pick, status=409, similar=similar)
    try:
        patient = patients.create_patient(current_user, details, utcnow())
    except patients.EmailTaken as taken:
        form.email.errors = [*form.email.errors, str(taken)]
        return _new_page(form, pick, status=409, taken=taken.user)
    flash(f"{patient.full_name} is now a patient.", "success")
    return redirect(url_for("patients.book", patient_id=patient.id, **pick))


def _new_page(form, pick, *, status: int, similar=(), taken=None):
    return render_template(
        "patients/new.html",
        form=form,
        similar=similar,
        taken=taken,
        **_pick_mode(pick),
    ), status


@bp.get("/<int:patient_id>/book", endpoint="book")
def book_page(patient_id: int):
    target = _book_target(patient_id)
    if not isinstance(target, book_for.Target):
        return target
    return book_for.page(target, request.args)


@bp.post("/<int:patient_id>/book", endpoint="book_post")
def book_post(patient_id: int):
    target = _book_target(patient_id)
    if not isinstance(target, book_for.Target):
        return target
    return book_for.book(target)


def _book_target(patient_id: int):
    """Whom the page books for, the look at the patient audited; a deactivated patient's
    record instead, saying why."""
    try:
        patient = staff_booking.bookable_patient(patient_id)
    except ActionRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("records.patient", patient_id=patient_id))
    if patient is None:
        abort(404)
    audit.record(
        "viewed_patient",
        actor_id=current_user.id,
        object_type="user",
        object_id=patient.id,
        patient_id=patient.id,
        commit=True,
    )
    return book_for.Target(
        patient=patient,
        subject=staff_booking.Subject(patient.id),
        endpoint="patients.book",
        url_args={"patient_id": patient.id},
        back_url=url_for("records.patient", patient_id=patient.id),
        back_text="Back to the patient record",
        intro="Booking by phone for the patient.",
    )
