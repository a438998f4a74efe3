"""Provider profiles: list, add, edit; each linked to a therapist's account."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...forms import ProviderForm, options
from ...models import Provider
from ...services import admin_clinic
from ...services.admin_common import AdminRefused
from .blueprint import bp, show_refusal

FIELDS = ("display_name", "slug", "credentials", "training_hours", "bio", "accepting_new_patients")


@bp.get("/providers")
def providers():
    return render_template("admin/providers.html", providers=admin_clinic.providers())


@bp.route("/providers/new", methods=["GET", "POST"])
def new_provider():
    return _edit(None)


@bp.route("/providers/<int:provider_id>", methods=["GET", "POST"])
def edit_provider(provider_id: int):
    return _edit(admin_clinic.provider(provider_id) or abort(404))


def _edit(provider: Provider | None):
    form = ProviderForm(
        obj=provider,
        location_ids=[str(loc.id) for loc in provider.locations] if provider else [],
    )
    therapists = admin_clinic.therapist_choices(provider)
    form.user_id.choices = options(
        [("", "Choose the therapist's account")]
        + [(str(u.id), f"{u.full_name} ({u.email})") for u in therapists]
    )
    form.location_ids.choices = options(
        (str(loc.id), f"{loc.name}, {loc.city}") for loc in admin_clinic.locations()
    )
    if form.validate_on_submit():
        values = {name: form[name].data for name in FIELDS} | {"user_id": int(form.user_id.data)}
        try:
            saved = admin_clinic.save_provider(
                provider, values, [int(i) for i in form.location_ids.data], current_user
            )
        except AdminRefused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"{saved.display_name}'s profile is saved.", "success")
            return redirect(url_for("admin.providers"))
    return render_template(
        "admin/provider_form.html", form=form, provider=provider, has_therapists=bool(therapists)
    )
