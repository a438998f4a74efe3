"""The intake questionnaire: one page of short sections; each save keeps the last version."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..config import current_settings
from ..domain import questionnaire
from ..domain.questionnaire import Kind
from ..forms import IntakeForm
from ..links import external_url
from ..models import utcnow
from ..permissions import Role, guard_blueprint
from ..services.consents import valid_consent
from ..services.intakes import (
    answers_from_form,
    current_intake,
    form_data_from_answers,
    save_intake,
    screening_of,
)
from .helpers import consent_max_age, safe_next

bp = Blueprint("intake", __name__, url_prefix="/intake")
# Phones are stored in E.164, as the form's PhoneNumber check left them.
PHONE_QUESTIONS = tuple(q.name for q in questionnaire.questions() if q.kind is Kind.PHONE)
guard_blueprint(bp, Role.PATIENT)


@bp.route("", methods=["GET", "POST"])
def edit():
    intake = current_intake(current_user.id)
    form = IntakeForm(data=None if request.method == "POST" else _starting_answers(intake))
    if form.validate_on_submit():
        e164 = {name: form[name].e164 for name in PHONE_QUESTIONS}
        save_intake(
            current_user,
            answers_from_form(form.data, e164),
            utcnow(),
            settings=current_settings(),
            task_link=lambda callback_id: external_url("callbacks.show", callback_id=callback_id),
        )
        flash("Thank you. Your answers are saved.", "success")
        return redirect(url_for("intake.outcome", next=safe_next(request.args.get("next"))))
    return render_template("intake/form.html", form=form, intake=intake)


def _starting_answers(intake) -> dict:
    """Editing starts from the current answers; a first intake from what the account knows."""
    if intake is not None:
        return form_data_from_answers(intake.answers)
    return {
        "email": current_user.email,
        "legal_first_name": current_user.first_name,
        "legal_last_name": current_user.last_name,
    }


@bp.get("/outcome")
def outcome():
    intake = current_intake(current_user.id)
    if intake is None:
        return redirect(url_for("intake.edit"))
    return render_template(
        "intake/outcome.html",
        intake=intake,
        screening=screening_of(intake),
        next=safe_next(request.args.get("next")),
        signed=valid_consent(current_user.id, utcnow(), consent_max_age()),
    )
