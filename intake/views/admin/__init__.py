"""Administration: locations, providers, appointment types, consent versions, staff, audit."""

from flask import Blueprint

from ...permissions import Role, guard_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


@bp.get("")
def index():
    return "Administration is being built.", 501
