"""The audit log: filter, page through and export who looked at or changed what."""

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ...formatting import clinic_today
from ...forms import AuditFilterForm, options
from ...services import admin_audit
from ...services.admin_audit import AuditFilters
from ..csv_download import csv_download
from .blueprint import bp

FILTER_KEYS = ("patient", "actor", "action", "since", "until")


def _filters() -> tuple[AuditFilterForm, AuditFilters | None]:
    """The form read from the query string, and the filters when they make sense."""
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = options([("", "Any action"), *admin_audit.action_choices()])
    if not form.validate():
        return form, None
    return form, AuditFilters(
        patient=form.patient.data or "",
        actor=form.actor.data or "",
        action=form.action.data or "",
        since=form.since.data,
        until=form.until.data,
    )


def _kept_args() -> dict[str, str]:
    return {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}


@bp.get("/audit")
def audit():
    form, filters = _filters()
    page = None
    if filters is not None:
        page = admin_audit.audit_page(
            filters, request.args.get("page", 1, type=int), current_app.config["INTAKE_TIMEZONE"]
        )
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        args=_kept_args(),
        actions=admin_audit.ACTIONS,
        detail_lines=admin_audit.detail_lines,
    )


@bp.get("/audit.csv")
def audit_csv():
    _form, filters = _filters()
    if filters is None:  # the list page says what to fix
        return redirect(url_for("admin.audit", **_kept_args()))
    zone = current_app.config["INTAKE_TIMEZONE"]
    admin_audit.record_export(current_user)

    rows = admin_audit.csv_rows(filters, zone)
    return csv_download(rows, admin_audit.CSV_HEADER, f"audit-{clinic_today().isoformat()}.csv")
