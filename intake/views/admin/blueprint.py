"""The admin blueprint, locked to admins, and how its pages show a service's refusal."""

from flask import Blueprint, flash

from ...permissions import Role, guard_blueprint
from ...services.admin_common import AdminRefused

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


def show_refusal(form, refusal: AdminRefused) -> None:
    """Put the service's reason on the field it concerns, or at the top of the page."""
    if refusal.field and refusal.field in form:
        form[refusal.field].errors = [*form[refusal.field].errors, str(refusal)]
    else:
        flash(str(refusal), "error")
