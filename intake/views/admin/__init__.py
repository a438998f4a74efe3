"""Administration: locations, providers, appointment types, consent versions, staff, audit."""

from flask import Blueprint, flash, render_template

from ...permissions import Role, guard_blueprint
from ...services import admin_clinic
from ...services.admin_common import AdminRefused

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


@bp.get("")
def index():
    return render_template("admin/index.html", counts=admin_clinic.overview())


def show_refusal(form, refusal: AdminRefused) -> None:
    """Put the service's reason on the field it concerns, or at the top of the page."""
    if refusal.field and refusal.field in form:
        form[refusal.field].errors = [*form[refusal.field].errors, str(refusal)]
    else:
        flash(str(refusal), "error")


from . import audit, consents, locations, providers, types, users  # noqa: E402, F401
