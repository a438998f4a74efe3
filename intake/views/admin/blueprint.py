"""The admin blueprint, locked to admins, and how its pages show a service's refusal."""

from flask import Blueprint, flash

from ...permissions import Role, guard_blueprint
from ...services.admin_common import AdminRefused

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


def form_status(form) -> int:
    """A form shown fresh is a 200; one sent back (what to fix, or the service's refusal) a
    400, as on every other page: the views reach it after a POST only when nothing was saved."""
    return 400 if form.is_submitted() else 200


def show_refusal(form, refusal: AdminRefused) -> None:
    """Put the service's reason on the field it concerns, or at the top of the page."""
    if refusal.field and refusal.field in form:
        form[refusal.field].errors = [*form[refusal.field].errors, str(refusal)]
    else:
        flash(str(refusal), "error")
