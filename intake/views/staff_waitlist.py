"""The front desk's waitlist: who waits for what, the offers made, adding a caller and
removing an entry. Therapists read the part for their own provider."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain.ids import parse_id
from ..forms import PostForm
from ..models import utcnow
from ..permissions import Role, guard_blueprint, role_required
from ..services import audit, waitlist
from ..services.errors import ActionRefused
from ..services.schedule import provider_for
from .waitlist import add_from, wish_form

bp = Blueprint("staff_waitlist", __name__, url_prefix="/staff/waitlist")
guard_blueprint(bp, Role.FRONT_DESK, Role.THERAPIST)
MAX_PAGE = 100_000


@bp.get("")
def index():
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    provider_id = None
    if current_user.role == Role.THERAPIST:
        provider = provider_for(current_user)
        provider_id = provider.id if provider else 0
    # The list names patients and what they wait for: the look is on record (first, as its
    # commit would expire the rows read for the page).
    audit.record("viewed_waitlist", actor_id=current_user.id, object_type="waitlist", commit=True)
    listing = waitlist.desk_page(page, provider_id)
    return render_template(
        "waitlist/staff_index.html",
        page=listing,
        may_change=current_user.role != Role.THERAPIST,
        remove_form=PostForm(formdata=None),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.FRONT_DESK)
def new():
    patient = waitlist.patient_named(parse_id(request.args.get("patient"))) or abort(404)
    form = wish_form({})
    if form.validate_on_submit() and add_from(form, patient, current_user):
        flash(f"{patient.full_name} is on the waitlist.", "success")
        return redirect(url_for("staff_waitlist.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("waitlist/staff_new.html", form=form, patient=patient), status


@bp.post("/<int:entry_id>/remove")
@role_required(Role.FRONT_DESK)
def remove(entry_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        waitlist.leave(entry_id, current_user, now=utcnow())
    except LookupError:
        abort(404)
    except ActionRefused as refused:
        flash(str(refused), "warning")
        return redirect(url_for("staff_waitlist.index"))
    flash("Removed from the waitlist.", "success")
    return redirect(url_for("staff_waitlist.index"))
