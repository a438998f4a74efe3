"""Clinic locations: list, add, edit."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...forms import LocationForm
from ...models import Location
from ...services import admin_clinic
from ...services.admin_common import AdminRefused
from .blueprint import bp, form_status, show_refusal

FIELDS = ("name", "slug", "address", "city", "state", "zip_code", "timezone")


@bp.get("/locations")
def locations():
    return render_template("admin/locations.html", locations=admin_clinic.locations())


@bp.route("/locations/new", methods=["GET", "POST"])
def new_location():
    return _edit(None)


@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
def edit_location(location_id: int):
    return _edit(db.session.get(Location, location_id) or abort(404))


def _edit(location: Location | None):
    form = LocationForm(obj=location)
    if form.validate_on_submit():
        values = {name: form[name].data for name in FIELDS} | {"phone": form.phone.e164}
        try:
            saved = admin_clinic.save_location(location, values, current_user)
        except AdminRefused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"{saved.name} is saved.", "success")
            return redirect(url_for("admin.locations"))
    return render_template("admin/location_form.html", form=form, location=location), form_status(
        form
    )
