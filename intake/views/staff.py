"""Front desk: the request queue, one request with its actions, and the CSV export."""

from flask import Blueprint

from ..permissions import Role, guard_blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
guard_blueprint(bp, Role.FRONT_DESK)


@bp.get("/requests")
def queue():
    return "The request queue is being built.", 501
