"""One therapist's weekly hours and time off as pages: the therapist's own under /schedule,
any therapist's for an admin under /admin/providers/<id>. Both areas route here, so the
forms, services and templates are the same; only the addresses and the words differ."""

from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..config import current_settings
from ..forms import HoursForm, PostForm, TimeOffForm, options
from ..models import Provider, utcnow
from ..services import working_time
from ..services.errors import ScheduleError


@dataclass(frozen=True)
class Pages:
    """Where one provider's pages live. `prefix` + a page's name is its endpoint, such as
    schedule.add_hours or admin.provider_add_hours; `args` names the provider in the URL."""

    provider: Provider
    prefix: str
    own: bool  # the therapist's own pages, or an admin's of someone else's
    back: str  # the page's way out
    args: dict = field(default_factory=dict)

    def url(self, name: str, **values) -> str:
        return url_for(self.prefix + name, **self.args, **values)

    def whose(self, capital: bool = True) -> str:
        if self.own:
            return "Your" if capital else "your"
        return f"{self.provider.display_name}'s"


# --- weekly hours ----------------------------------------------------------------------------


def _hours_page(pages: Pages, form: HoursForm, hits=(), code: int = 200):
    return render_template(
        "schedule/hours.html",
        pages=pages,
        provider=pages.provider,
        blocks=working_time.hours_of(pages.provider),
        form=form,
        hits=hits,
    ), code


def _hours_form(provider: Provider) -> HoursForm:
    form = HoursForm()
    form.location.choices = options((loc.id, loc.name) for loc in provider.locations)
    return form


def hours(pages: Pages):
    return _hours_page(pages, _hours_form(pages.provider))


def add_hours(pages: Pages):
    form = _hours_form(pages.provider)
    if not form.validate_on_submit():
        return _hours_page(pages, form, code=400)
    try:
        working_time.add_hours(
            pages.provider,
            current_user,
            form.location.data,
            form.weekday.data,
            form.starts.data,
            form.ends.data,
            grid_minutes=current_settings().slot_grid_minutes,
        )
    except ScheduleError as error:
        form.starts.errors = [str(error)]
        return _hours_page(pages, form, code=409)
    flash(f"{pages.whose()} hours are saved.", "success")
    return redirect(pages.url("hours"))


def remove_hours(pages: Pages, block_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        working_time.remove_hours(pages.provider, current_user, block_id, now=utcnow())
    except LookupError:
        abort(404)
    except working_time.WouldDropAppointments as error:
        return _hours_page(pages, _hours_form(pages.provider), hits=error.hits, code=409)
    flash("Those hours are removed.", "success")
    return redirect(pages.url("hours"))


# --- time off --------------------------------------------------------------------------------


def _time_off_page(pages: Pages, form: TimeOffForm, hits=(), code: int = 200):
    return render_template(
        "schedule/time_off.html",
        pages=pages,
        periods=working_time.future_time_off(pages.provider, utcnow()),
        zone=current_settings().timezone,
        form=form,
        hits=hits,
    ), code


def time_off(pages: Pages):
    return _time_off_page(pages, TimeOffForm())


def add_time_off(pages: Pages):
    form = TimeOffForm()
    if not form.validate_on_submit():
        return _time_off_page(pages, form, code=400)
    try:
        working_time.add_time_off(
            pages.provider,
            current_user,
            form.starts.data,
            form.ends.data,
            form.reason.data or "",
            zone=current_settings().timezone,
            now=utcnow(),
        )
    except working_time.WouldDropAppointments as error:
        return _time_off_page(pages, form, hits=error.hits, code=409)
    except ScheduleError as error:
        form.ends.errors = [str(error)]
        return _time_off_page(pages, form, code=400)
    flash(f"{pages.whose()} time off is saved. Patients cannot book in it.", "success")
    return redirect(pages.url("time_off"))


def delete_time_off(pages: Pages, time_off_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        working_time.delete_time_off(pages.provider, current_user, time_off_id)
    except LookupError:
        abort(404)
    flash("That time off is removed.", "success")
    return redirect(pages.url("time_off"))
