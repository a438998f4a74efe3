"""Appointment types: list, add, edit. A type is made inactive, never deleted."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...forms import AppointmentTypeForm
from ...models import AppointmentType
from ...services import admin_clinic
from ...services.admin_common import AdminRefused
from .blueprint import bp, form_status, show_refusal

FIELDS = (
    "name",
    "slug",
    "duration_minutes",
    "buffer_after_minutes",
    "involves_dry_needling",
    "active",
)


@bp.get("/types")
def types():
    return render_template("admin/types.html", types=admin_clinic.appointment_types())


@bp.route("/types/new", methods=["GET", "POST"])
def new_type():
    return _edit(None)


@bp.route("/types/<int:type_id>", methods=["GET", "POST"])
def edit_type(type_id: int):
    return _edit(db.session.get(AppointmentType, type_id) or abort(404))


def _edit(kind: AppointmentType | None):
    form = AppointmentTypeForm(obj=kind)
    if form.validate_on_submit():
        values = {name: form[name].data for name in FIELDS}
        try:
            saved = admin_clinic.save_type(kind, values, current_user)
        except AdminRefused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"{saved.name} is saved.", "success")
            return redirect(url_for("admin.types"))
    return render_template("admin/type_form.html", form=form, kind=kind), form_status(form)
