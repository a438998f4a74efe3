"""A patient's record for staff: intake answers, screening, consents. Every look is audited."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ..models import utcnow
from ..permissions import Role, guard_blueprint
from ..services.records import patient_record
from .helpers import consent_max_age

bp = Blueprint("records", __name__, url_prefix="/records")
guard_blueprint(bp, Role.FRONT_DESK, Role.THERAPIST)


@bp.get("/patients/<int:patient_id>", endpoint="patient")
def patient(patient_id: int):
    # A therapist asking for someone who is not their patient learns nothing: 404, not 403.
    record = patient_record(current_user, patient_id, utcnow(), consent_max_age())
    if record is None:
        abort(404)
    return render_template("records/patient.html", record=record)
