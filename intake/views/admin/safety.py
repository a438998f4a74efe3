"""The adverse-event register, its CSV export, and one visit's note for the admins."""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from ...config import current_settings
from ...domain import needling
from ...formatting import clinic_today
from ...forms import AddendumForm
from ...models import utcnow
from ...services import notes, safety
from ...services.errors import ScheduleError
from ..csv_download import csv_download
from ..helpers import add_addendum_from
from .blueprint import bp


@bp.get("/safety")
def safety_register():
    return render_template(
        "admin/safety.html",
        register=safety.register(utcnow(), current_settings().timezone),
        kinds=safety.KINDS,
        zone=current_settings().timezone,
        is_serious=needling.is_serious,
        label=needling.label,
    )


@bp.get("/safety.csv")
def safety_csv():
    safety.record_export(current_user)
    rows = safety.csv_rows(current_settings().timezone)
    return csv_download(rows, safety.CSV_HEADER, f"adverse-events-{clinic_today().isoformat()}.csv")


def _visit_page(appointment_id: int, form: AddendumForm, code: int = 200):
    appointment = notes.visit_with_note(current_user, appointment_id) or abort(404)
    return render_template("admin/safety_visit.html", appointment=appointment, addendum=form), code


@bp.get("/safety/visits/<int:appointment_id>")
def visit_note(appointment_id: int):
    return _visit_page(appointment_id, AddendumForm())


@bp.post("/safety/visits/<int:appointment_id>/addenda")
def add_addendum(appointment_id: int):
    form = AddendumForm()
    if not form.validate_on_submit():
        return _visit_page(appointment_id, form, 400)
    try:
        add_addendum_from(form, appointment_id)
    except LookupError:
        abort(404)
    except ScheduleError as error:
        form.text.errors = [str(error)]
        return _visit_page(appointment_id, form, 400)
    return redirect(url_for(".visit_note", appointment_id=appointment_id))
