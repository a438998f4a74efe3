"""Informed consent: read and sign the current version, view a signed copy, withdraw."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..domain.consent import ACKNOWLEDGEMENTS, InvalidSignature
from ..domain.patients import is_minor
from ..formatting import clinic_today
from ..forms import ConsentForm, WithdrawConsentForm
from ..models import utcnow
from ..permissions import Role, role_required
from ..services.consents import (
    ConsentRefused,
    Signing,
    consent_for_viewer,
    current_version,
    sign_consent,
    superseded_consent,
    valid_consent,
    withdraw_consent,
)
from ..services.intakes import current_intake
from .helpers import client_ip, consent_max_age, safe_next

bp = Blueprint("consent", __name__, url_prefix="/consent")


@bp.route("", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def sign():
    intake = current_intake(current_user.id)
    if intake is None:
        flash("Please fill in your health questionnaire before the consent.", "warning")
        return redirect(url_for("intake.edit", next=safe_next(request.args.get("next"))))
    version = current_version()
    if version is None:
        abort(503, "No consent text is published yet. Please call the clinic.")
    form = ConsentForm(version_id=str(version.id))
    today = clinic_today()
    minor = is_minor(intake.born_on, today)
    if form.validate_on_submit():
        already = valid_consent(current_user.id, utcnow(), consent_max_age())
        if already is not None:  # a second tap on "Sign", or an old tab: nothing more to sign
            flash("You have already signed this consent.", "success")
            return redirect(
                safe_next(request.args.get("next"))
                or url_for("consent.show", consent_id=already.id)
            )
        try:
            signed = sign_consent(current_user, _signing_from(form), today=today)
        except ConsentRefused as refusal:
            field = form[refusal.field] if refusal.field else None
            if field is not None:
                field.errors = [*field.errors, str(refusal)]
            else:
                flash(str(refusal), "error")
        except InvalidSignature as error:
            flash(f"{error} Please clear the signature box and sign again.", "error")
        else:
            flash("Thank you. Your consent is signed.", "success")
            return redirect(
                safe_next(request.args.get("next")) or url_for("consent.show", consent_id=signed.id)
            )
    return render_template(
        "consent/sign.html",
        form=form,
        version=version,
        intake=intake,
        minor=minor,
        today=today,
        earlier=superseded_consent(current_user.id, utcnow(), consent_max_age()),
    )


def _signing_from(form: ConsentForm) -> Signing:
    return Signing(
        version_id=form.version_id.data or "",
        typed_name=form.typed_name.data,
        guardian_relationship=form.guardian_relationship.data or "",
        signature_data_url=form.signature.data or "",
        acknowledged=tuple(a.key for a in ACKNOWLEDGEMENTS if form[f"ack_{a.key}"].data),
        ip_address=client_ip(),
        user_agent=request.headers.get("User-Agent", ""),
    )


@bp.get("/<int:consent_id>")
@login_required
def show(consent_id: int):
    consent = consent_for_viewer(consent_id, current_user) or abort(404)
    return render_template(
        "consent/show.html", consent=consent, withdraw_form=WithdrawConsentForm()
    )


@bp.get("/<int:consent_id>/signature.png")
@login_required
def signature(consent_id: int):
    consent = consent_for_viewer(consent_id, current_user, record_view=False) or abort(404)
    if not consent.signature_png:
        abort(404)
    return Response(consent.signature_png, mimetype="image/png")


@bp.post("/<int:consent_id>/withdraw")
@role_required(Role.PATIENT)
def withdraw(consent_id: int):
    form = WithdrawConsentForm()
    if not form.validate_on_submit():
        flash("Please keep the reason under 1,000 characters.", "error")
        return redirect(url_for("consent.show", consent_id=consent_id))
    if withdraw_consent(current_user, consent_id, form.reason.data or "", client_ip()) is None:
        abort(404)
    flash("Your consent is withdrawn. We will not needle you unless you sign again.", "success")
    return redirect(url_for("account.home"))
