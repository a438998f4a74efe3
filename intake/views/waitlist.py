"""The patient's side of the waitlist: join it, leave it, and claim an offered time."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..domain.ids import parse_id
from ..domain.waitlist import WishRefused
from ..forms import PostForm, WaitlistForm
from ..models import utcnow
from ..permissions import Role, role_required
from ..services import waitlist, waitlist_claims
from ..services.errors import ActionRefused, BookingError, NotReady
from ..services.waitlist_offers import offer_id_for
from .booking import STEP_PAGES

bp = Blueprint("waitlist", __name__, url_prefix="/waitlist")


def wish_form(prefill: dict) -> WaitlistForm:
    """The form with its choices, prefilled on a GET from the query (a slot page's choice)."""
    form = WaitlistForm(data=prefill) if request.method == "GET" else WaitlistForm()
    form.set_choices(*waitlist.choices())
    return form


def add_from(form: WaitlistForm, patient, actor) -> bool:
    """Store the form's wish; False with the field's error set when it cannot be taken."""
    wish = waitlist.WishForm(
        provider_id=parse_id(form.provider.data),
        location_id=parse_id(form.location.data),
        type_id=parse_id(form.type.data),
        first_on=form.first_on.data,
        last_on=form.last_on.data,
        times_of_day=list(form.times_of_day.data or []),
    )
    try:
        waitlist.join(patient, wish, actor, settings=current_settings(), now=utcnow())
    except WishRefused as refused:
        form[refused.field].errors = [*form[refused.field].errors, str(refused)]
        return False
    return True


@bp.route("/join", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def join():
    prefill = {k: request.args.get(k, "")[:12] for k in ("provider", "location", "type")}
    form = wish_form(prefill)
    if form.validate_on_submit() and add_from(form, current_user, current_user):
        flash("You are on the waitlist. We will email you when a time opens up.", "success")
        return redirect(url_for("account.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("waitlist/join.html", form=form), status


@bp.post("/<int:entry_id>/leave")
@role_required(Role.PATIENT)
def leave(entry_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        waitlist.leave(entry_id, current_user, now=utcnow())
    except LookupError:
        abort(404)
    except ActionRefused as refused:
        flash(str(refused), "warning")
        return redirect(url_for("account.home"))
    flash("You have left the waitlist.", "success")
    return redirect(url_for("account.home"))


@bp.route("/offers/<token>", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def offer(token: str):
    settings, now = current_settings(), utcnow()
    found = waitlist_claims.own_offer(current_user.id, offer_id_for(token, settings))
    if found is None:
        abort(404)
    form, problem, claimable = PostForm(), None, True
    if form.validate_on_submit():
        try:
            appointment = waitlist_claims.claim(current_user, found.id, settings=settings, now=now)
        except NotReady as missing:
            return _not_ready(found, missing)
        except BookingError as refused:
            problem = str(refused)
        else:
            flash("The time is yours: your request is with the front desk.", "success")
            return redirect(url_for("appointments.show", appointment_id=appointment.id))
        found = waitlist_claims.own_offer(current_user.id, found.id)
    elif found.status == "offered":
        try:
            waitlist_claims.require_open(found, now)
            waitlist_claims.require_free(found, settings, now)
        except waitlist_claims.OfferTaken as taken:  # booked meanwhile some other way
            problem, claimable = str(taken), False  # no button that could only fail
        except BookingError as refused:
            problem = str(refused)
    status = 409 if problem and request.method == "POST" else 200
    return render_template(
        "waitlist/offer.html",
        offer=found,
        form=form,
        problem=problem,
        claimable=claimable,
    ), status


def _not_ready(found, missing: NotReady):
    page = STEP_PAGES.get(missing.step.name)
    link = url_for(page, next=request.path) if page else None
    return render_template(
        "waitlist/offer.html",
        offer=found,
        form=PostForm(),
        problem=str(missing),
        step_link=link,
        claimable=True,  # once the step is done
    ), 409
