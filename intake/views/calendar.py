"""The clinic day calendar: one location, one day, a column per therapist. The front desk and
admins see every location; a therapist, read-only, the locations they work at."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..config import current_settings
from ..forms import CalendarForm, options
from ..models import utcnow
from ..permissions import Role, guard_blueprint
from ..services import clinic_day

bp = Blueprint("calendar", __name__, url_prefix="/staff/calendar")
guard_blueprint(bp, Role.FRONT_DESK, Role.THERAPIST)


@bp.get("", endpoint="day")
def day():
    form = CalendarForm(formdata=request.args)
    locations = clinic_day.locations_for(current_user)
    form.location.choices = options((str(loc.id), loc.name) for loc in locations)
    if not locations:  # a new clinic, or a therapist not yet placed at one
        return render_template("calendar/no_locations.html")
    wanted = request.args.get("location", "")
    if wanted and wanted not in {str(loc.id) for loc in locations}:
        # Another location, or one that does not exist: the same answer for both.
        abort(404)
    location = next((loc for loc in locations if str(loc.id) == wanted), locations[0])
    form.location.data = str(location.id)
    form.validate()  # a day that does not read is shown with its error; today is shown instead
    asked = None if form.date.errors else form.date.data
    chosen = clinic_day.pick_day(asked, location, utcnow())
    if not form.date.errors:
        form.date.data = chosen
    page = clinic_day.clinic_day(
        current_user, location, chosen, settings=current_settings(), now=utcnow()
    )
    return render_template("calendar/day.html", page=page, form=form)
