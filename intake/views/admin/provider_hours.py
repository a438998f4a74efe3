"""Any therapist's weekly hours and time off, kept by an admin on the therapist's behalf:
the therapist's own pages (views/working_time_pages), addressed by provider. Audited."""

from flask import abort, url_for

from ...services import admin_clinic
from .. import working_time_pages
from .blueprint import bp


def _pages(provider_id: int) -> working_time_pages.Pages:
    provider = admin_clinic.provider(provider_id) or abort(404)
    return working_time_pages.Pages(
        provider,
        "admin.provider_",
        own=False,
        back=url_for("admin.edit_provider", provider_id=provider_id),
        args={"provider_id": provider_id},
    )


@bp.get("/providers/<int:provider_id>/hours")
def provider_hours(provider_id: int):
    return working_time_pages.hours(_pages(provider_id))


@bp.post("/providers/<int:provider_id>/hours")
def provider_add_hours(provider_id: int):
    return working_time_pages.add_hours(_pages(provider_id))


@bp.post("/providers/<int:provider_id>/hours/<int:block_id>/remove")
def provider_remove_hours(provider_id: int, block_id: int):
    return working_time_pages.remove_hours(_pages(provider_id), block_id)


@bp.get("/providers/<int:provider_id>/time-off")
def provider_time_off(provider_id: int):
    return working_time_pages.time_off(_pages(provider_id))


@bp.post("/providers/<int:provider_id>/time-off")
def provider_add_time_off(provider_id: int):
    return working_time_pages.add_time_off(_pages(provider_id))


@bp.post("/providers/<int:provider_id>/time-off/<int:time_off_id>/delete")
def provider_delete_time_off(provider_id: int, time_off_id: int):
    return working_time_pages.delete_time_off(_pages(provider_id), time_off_id)
