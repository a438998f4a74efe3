"""Therapists: day and week schedule, reviews, working hours, time off, calendar feed."""

from flask import Blueprint

from ..permissions import Role, guard_blueprint

bp = Blueprint("schedule", __name__, url_prefix="/schedule")
guard_blueprint(bp, Role.THERAPIST)


@bp.get("")
def view():
    return "The schedule is being built.", 501
