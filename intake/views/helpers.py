"""Template filters and globals shared by every page, and helpers shared by the blueprints."""

import logging
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import (
    Flask,
    before_render_template,
    current_app,
    flash,
    g,
    get_template_attribute,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from ..config import current_settings
from ..database import set_client_address
from ..domain import aftercare, needling
from ..extensions import db
from ..form_fields import FIRST_DAY, LAST_DAY
from ..formatting import (
    WEEKDAYS,
    clock,
    clock_in,
    day_and_clock_in,
    iso_minute,
    local_datetime,
    long_date,
    phone_display,
    when,
    when_in,
)
from ..forms import CALLBACK_OUTCOME_LABELS
from ..links import external_url
from ..models import utcnow
from ..services import notes
from ..services.notes import Alerting
from ..services.public_cache import PublicLocation
from .public_data import init_app as init_public_data
from .public_data import kept_rendered, public_locations

log = logging.getLogger(__name__)


def consent_max_age() -> timedelta:
    return timedelta(days=current_app.config["INTAKE_CONSENT_MAX_AGE_DAYS"])


def client_ip() -> str:
    """The client's address; behind a proxy, INTAKE_PROXY_HOPS makes it the real one."""
    return request.remote_addr or "unknown"


def parse_start(value: str | None) -> datetime | None:
    """An ISO instant from a slot link; anything else (or a naive time) is no choice at all."""
    try:
        start = datetime.fromisoformat((value or "")[:40])
    except ValueError:
        return None
    # The ends of the calendar cannot be moved between time zones (year 1 at +05:00).
    if start.tzinfo is None or not FIRST_DAY <= start.date() <= LAST_DAY:
        return None
    return start


def parse_week(value: str | None, today: date, horizon_days: int) -> date:
    """The week asked for, kept between today and `horizon_days` ahead."""
    try:
        chosen = date.fromisoformat((value or "")[:10])
    except ValueError:
        chosen = today
    return min(max(chosen, today), today + timedelta(days=horizon_days))


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def clinic_locations() -> Sequence[PublicLocation]:
    """The footer's list, from the public cache (no query while warm); an error page still
    renders without it."""
    if "clinic_locations" not in g:
        try:
            g.clinic_locations = public_locations()
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("footer locations unavailable (%s)", type(error).__name__)
            g.clinic_locations = ()
    return g.clinic_locations


_ID_MARK = 918273645  # an id no table reaches; it appears once in the URL it is built into


class IdLink:
    """One endpoint's URL with each id filled in: `link(id)`, or `link[id]` in a template's
    loop, where Jinja sends every call through Context.call (its checks cost ~1.5 µs a call,
    ~100 calls on the queue's page) and an item lookup goes straight to __getitem__."""

    __slots__ = ("head", "tail")

    def __init__(self, head: str, tail: str):
        self.head, self.tail = head, tail

    def __call__(self, value: int) -> str:
        return f"{self.head}{int(value)}{self.tail}"

    def __getitem__(self, value: int) -> str:
        # Jinja renders a lookup that raised TypeError or LookupError as undefined (an empty
        # href): anything but an id fails loudly instead, as a call does.
        if not isinstance(value, int):
            raise ValueError(f"not an id: {value!r}")
        return f"{self.head}{value}{self.tail}"


def id_link(endpoint: str, key: str, **values) -> IdLink:
    """`url_for(endpoint, key=id, **values)` for many ids: one url_for, then each id filled in
    (a list of 50 rows called url_for 100 times, ~2 ms). Only for int routes."""
    head, found, tail = url_for(endpoint, **{key: _ID_MARK}, **values).partition(str(_ID_MARK))
    if not found:
        raise ValueError(f"{endpoint} does not put {key} in its URL")
    return IdLink(head, tail)


def render_markdown(text: str) -> Markup:
    """Our Markdown as HTML, sanitised so a stray tag in a consent text cannot run."""
    # Imported here: only the consent pages need them, and they cost each worker ~3 MB.
    import markdown as markdown_lib
    import nh3

    # One h1 a page: the page's own. The text's headings sit one level under it.
    html = markdown_lib.markdown(text, output_format="html")
    html = _HEADING.sub(lambda tag: f"<{tag[1]}h{int(tag[2]) + 1}", html)
    # nh3 has just removed every unsafe tag and attribute: the HTML is safe to mark as such.
    return Markup(nh3.clean(html))  # noqa: S704  # nosec


_HEADING = re.compile(r"<(/?)h([1-5])\b")


def flag_form_errors(_app, template, context, **_extra) -> None:
    """`form_errors` is true on a page sent back with errors (any form it shows has some), so
    the layout can start its title with "Error:" before the summary is rendered."""
    context.setdefault(
        "form_errors",
        any(isinstance(value, FlaskForm) and value.errors for value in context.values()),
    )


def remember_client_address() -> None:
    """The audit trail records who asked; ProxyFix has already made this the real client."""
    set_client_address(db.session, request.remote_addr or "")


def forget_client_address(_error=None) -> None:
    # A test or script may keep one app context (and so one session) across requests.
    set_client_address(db.session, "")


def staff_links() -> Markup:
    """The staff header's links for this page: the same for every page of a section and role,
    so rendered once per worker and kept (a dozen url_for calls were ~4% of a staff page)."""
    role, here = current_user.role, request.blueprint
    picking = request.endpoint == "patients.index" and bool(request.args.get("new"))
    on_password = request.endpoint == "account.change_password"
    return kept_rendered(
        f"staff_links:{request.script_root}:{role}:{here}:{picking}:{on_password}",
        lambda: get_template_attribute("_partials/staff_nav.html", "staff_links")(
            role, here, picking, on_password
        ),
    )


def register(app: Flask) -> None:
    init_public_data(app)
    app.before_request(remember_client_address)
    app.teardown_request(forget_client_address)
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(phone_display, "phone")
    app.add_template_filter(
        lambda outcome: CALLBACK_OUTCOME_LABELS.get(outcome, outcome), "callback_outcome"
    )
    app.add_template_filter(clock)
    app.add_template_filter(local_datetime, "local")
    app.add_template_filter(when)
    app.add_template_filter(iso_minute)
    app.add_template_filter(long_date)
    # The cached forms for long lists: a datetime and a zone's name in, words out.
    app.add_template_filter(when_in)
    app.add_template_filter(clock_in)
    app.add_template_filter(day_and_clock_in)
    app.add_template_filter(lambda day: WEEKDAYS[day], "weekday")
    app.add_template_filter(lambda value: WEEKDAYS[value.weekday()], "weekday_of")
    app.add_template_global(utcnow, "now")
    app.add_template_global(aftercare.QUESTIONS, "check_in_questions")
    app.add_template_global(timedelta)
    app.add_template_global(clinic_locations)
    app.add_template_global(id_link)
    app.add_template_global(staff_links)
    before_render_template.connect(flag_form_errors, app)

    @app.context_processor
    def clinic():
        return {
            "clinic_name": app.config["INTAKE_CLINIC_NAME"],
            "clinic_phone": app.config["INTAKE_CLINIC_PHONE"],
            "callback_promise": app.config["INTAKE_CALLBACK_PROMISE"],
        }


def note_alerting(appointment_id: int) -> Alerting:
    """The settings and links a serious adverse event on this visit's note reaches people
    with: the admins' alert links to the visit, the front desk's email to its callback."""
    return Alerting(
        settings=current_settings(),
        visit_link=external_url("admin.visit_note", appointment_id=appointment_id),
        task_link=lambda callback_id: external_url("callbacks.show", callback_id=callback_id),
    )


def add_addendum_from(form, appointment_id: int) -> None:
    """The addendum the form holds, with the adverse events it reports, added and said so:
    the therapist's note page and the admins' share it. LookupError and ScheduleError as
    `notes.add_addendum`."""
    events = form.adverse_events.data or []
    notes.add_addendum(
        current_user,
        appointment_id,
        form.text.data,
        now=utcnow(),
        events=events,
        alerting=note_alerting(appointment_id),
    )
    said = "Your addendum is added. The signed note stays as it was."
    if needling.serious(events):
        said += " The admins are alerted and the front desk will call the patient."
    flash(said, "success")
