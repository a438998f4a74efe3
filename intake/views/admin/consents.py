"""Consent versions: write and edit drafts, preview, publish. Published texts are read-only."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...domain.consent import ACKNOWLEDGEMENTS, missing_sections
from ...extensions import db
from ...forms import ConsentDraftForm, PostForm
from ...models import ConsentVersion
from ...services import admin_consents
from ...services.admin_common import AdminRefused
from ...services.consents import current_version
from .blueprint import bp, form_status, show_refusal


def _version(version_id: int) -> ConsentVersion:
    return db.session.get(ConsentVersion, version_id) or abort(404)


@bp.get("/consents")
def consents():
    current = current_version()
    return render_template(
        "admin/consents.html",
        versions=admin_consents.versions(),
        current_id=current.id if current else None,
    )


@bp.get("/consents/<int:version_id>")
def show_consent(version_id: int):
    version = _version(version_id)
    current = current_version()
    return render_template(
        "admin/consent_show.html",
        version=version,
        is_current=current is not None and current.id == version.id,
        missing=[] if version.published_at else missing_sections(version.body_markdown),
        form=PostForm(),
    )


@bp.route("/consents/new", methods=["GET", "POST"])
def new_consent():
    return _edit(None)


@bp.route("/consents/<int:version_id>/edit", methods=["GET", "POST"])
def edit_consent(version_id: int):
    version = _version(version_id)
    if version.published_at is not None:
        flash(admin_consents.FROZEN.format(label=version.label), "error")
        return redirect(url_for("admin.show_consent", version_id=version.id))
    return _edit(version)


def _edit(version: ConsentVersion | None):
    form = ConsentDraftForm(obj=version)
    if version is None and not form.is_submitted() and (current := current_version()):
        form.body_markdown.data = current.body_markdown  # only the changes need typing
    if form.validate_on_submit():
        try:
            saved = admin_consents.save_draft(
                version, form.label.data, form.body_markdown.data, current_user
            )
        except AdminRefused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"Draft {saved.label} is saved. Check the preview before publishing.", "success")
            if missing := missing_sections(saved.body_markdown):
                flash(admin_consents.lacking(missing), "error")
            return redirect(url_for("admin.show_consent", version_id=saved.id))
    return render_template(
        "admin/consent_form.html", form=form, version=version, acknowledgements=ACKNOWLEDGEMENTS
    ), form_status(form)


@bp.post("/consents/<int:version_id>/publish")
def publish_consent(version_id: int):
    version = _version(version_id)
    if PostForm().validate_on_submit():
        try:
            admin_consents.publish(version, current_user)
        except AdminRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash(f"Version {version.label} is published: patients now sign this text.", "success")
    return redirect(url_for("admin.show_consent", version_id=version_id))


@bp.post("/consents/<int:version_id>/delete")
def delete_consent(version_id: int):
    version = _version(version_id)
    if PostForm().validate_on_submit():
        label = version.label
        try:
            admin_consents.delete_draft(version, current_user)
        except AdminRefused as refusal:
            flash(str(refusal), "error")
            return redirect(url_for("admin.show_consent", version_id=version_id))
        flash(f"Draft {label} is deleted.", "success")
    return redirect(url_for("admin.consents"))
