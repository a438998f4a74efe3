"""A patient's record for staff: intake answers, screening, consents. Every look is audited."""

from flask import Blueprint

from ..permissions import Role, guard_blueprint

bp = Blueprint("records", __name__, url_prefix="/records")
guard_blueprint(bp, Role.FRONT_DESK, Role.THERAPIST)
