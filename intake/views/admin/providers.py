"""Provider profiles: list, add, edit; each linked to a therapist's account."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...config import current_settings
from ...forms import AttestationForm, ProviderForm, options
from ...models import Provider, utcnow
from ...services import admin_clinic
from ...services.admin_common import AdminRefused
from .blueprint import bp, form_status, show_refusal

FIELDS = (
    "display_name",
    "slug",
    "credentials",
    "training_hours",
    "training_course",
    "training_completed_on",
    "bio",
    "accepting_new_patients",
)


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
    therapists = _choices(form, provider)
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
    return _form_page(form, provider, bool(therapists), status=form_status(form))


def _form_page(form, provider, has_therapists: bool, attestation_form=None, status: int = 200):
    settings, now = current_settings(), utcnow()
    return render_template(
        "admin/provider_form.html",
        form=form,
        provider=provider,
        has_therapists=has_therapists,
        attestation_form=attestation_form or AttestationForm(formdata=None),
        attestation=admin_clinic.attestation_state(provider, settings, now) if provider else None,
    ), status


@bp.post("/providers/<int:provider_id>/attestation")
def record_attestation(provider_id: int):
    provider = admin_clinic.provider(provider_id) or abort(404)
    form = AttestationForm()
    if not form.validate_on_submit():
        page_form = ProviderForm(
            formdata=None, obj=provider, location_ids=[str(loc.id) for loc in provider.locations]
        )
        _choices(page_form, provider)
        return _form_page(page_form, provider, True, attestation_form=form, status=400)
    settings, now = current_settings(), utcnow()
    admin_clinic.record_attestation(provider, current_user, settings=settings, now=now)
    flash(f"{provider.display_name}'s competence is attested as of today.", "success")
    return redirect(url_for("admin.edit_provider", provider_id=provider.id))


def _choices(form: ProviderForm, provider: Provider | None) -> list:
    """Set the form's therapist and location choices; the therapists listed."""
    therapists = admin_clinic.therapist_choices(provider)
    form.user_id.choices = options(
        [("", "Choose the therapist's account")]
        + [(str(u.id), f"{u.full_name} ({u.email})") for u in therapists]
    )
    form.location_ids.choices = options(
        (str(loc.id), f"{loc.name}, {loc.city}") for loc in admin_clinic.locations()
    )
    return therapists
