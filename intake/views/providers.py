"""Provider directory and profiles."""

from itertools import groupby

from flask import Blueprint, abort, render_template, request

from ..domain.geo import zip_index
from ..formatting import clinic_today
from ..services.directory import (
    nearby_taking_new_patients,
    provider_directory,
    provider_profile,
)
from .public_data import public_providers, same_for_every_visitor

bp = Blueprint("providers", __name__, url_prefix="/providers")
# The ZIP index is loaded with the app, not by the first visitor who searches; a copy kept in
# the instance folder spares each later start the ~1.5 s of building it.
bp.record_once(lambda state: zip_index(state.app.instance_path))


@bp.get("")
@same_for_every_visitor
def directory():
    near = request.args.get("near", "")
    return render_template(
        "providers/directory.html",
        directory=provider_directory(public_providers().listed, near, clinic_today()),
        near=near[:100],
    )


@bp.get("/<slug>")
@same_for_every_visitor
def profile(slug: str):
    providers = public_providers()
    provider = provider_profile(slug[:80], providers.by_slug)
    if provider is None:
        abort(404)
    today = clinic_today()
    hours_at = {
        location_id: list(blocks)
        for location_id, blocks in groupby(
            sorted(provider.working_hours, key=lambda h: (h.location_id, h.weekday, h.starts)),
            key=lambda h: h.location_id,
        )
    }
    # The same for every visitor (the page is cached): who may still book is said in words.
    suggestions = (
        []
        if provider.accepting_new_patients
        else nearby_taking_new_patients(provider, providers.listed, today)
    )
    return render_template(
        "providers/profile.html",
        provider=provider,
        hours_at=hours_at,
        offers_needling=provider.offers_needling(today),
        suggestions=suggestions,
    )
