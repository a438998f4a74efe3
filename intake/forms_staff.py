"""Front-desk forms: queue filters, request actions, moving, the CSV range (to join forms.py)."""

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SearchField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from .forms import options, required, strip
from .models import AppointmentStatus

MAX_SEARCH = 100
MAX_EXPORT_DAYS = 366

STATUS_LABELS = {
    AppointmentStatus.REQUESTED: "Requested",
    AppointmentStatus.CONFIRMED: "Confirmed",
    AppointmentStatus.DECLINED: "Declined",
    AppointmentStatus.CANCELLED: "Cancelled",
    AppointmentStatus.COMPLETED: "Completed",
    AppointmentStatus.NO_SHOW: "Missed",
}
# Every status has its label: a new status without one fails at import, not on a page.
STATUS_CHOICES = options(
    [*((status.value, STATUS_LABELS[status]) for status in AppointmentStatus), ("all", "Any")]
)


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plausible_day(form, field):
    """Keep dates where calendars work: 9999-12-31 has no next day to end on."""
    if field.data and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"Choose a day between {FIRST_DAY.year} and {LAST_DAY.year}.")


class GetForm(FlaskForm):
    """Read from the query string; a GET changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False


class QueueFilterForm(GetForm):
    provider = SelectField("Provider", default="")
    location = SelectField("Location", default="")
    status = SelectField("Status", choices=STATUS_CHOICES, default="requested")
    from_ = DateField("Starts from", [Optional(), plausible_day], name="from")
    to = DateField("Starts until", [Optional(), plausible_day])
    needs_review = BooleanField("Needs therapist review")
    q = SearchField(
        "Name, phone or email",
        [Optional(), Length(max=MAX_SEARCH, message=f"Search with up to {MAX_SEARCH} characters.")],
        filters=[strip],
    )

    def validate_to(self, field):
        if field.data and self.from_.data and field.data < self.from_.data:
            raise ValidationError("The end date is before the start date.")


class ExportForm(GetForm):
    # Ids of their own: this form shares a page with the queue's filters.
    from_ = DateField(
        "From", [InputRequired("Give the first day."), plausible_day], name="from", id="export-from"
    )
    to = DateField("To", [InputRequired("Give the last day."), plausible_day], id="export-to")

    def validate_to(self, field):
        if not (field.data and self.from_.data):
            return
        if field.data < self.from_.data:
            raise ValidationError("The last day is before the first day.")
        if field.data - self.from_.data >= timedelta(days=MAX_EXPORT_DAYS):
            raise ValidationError(f"Export at most {MAX_EXPORT_DAYS} days at a time.")


# --- actions on one request ----------------------------------------------------------


class ActionForm(FlaskForm):
    """Every action carries the revision the page showed, so a stale page cannot act."""

    revision = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])


class ConfirmForm(ActionForm):
    override_reason = TextAreaField(
        "Admin override: why confirm without a therapist's review?",
        [Optional(), Length(max=500)],
        filters=[strip],
    )


class DeclineForm(ActionForm):
    reason = TextAreaField(
        "Reason for declining (sent to the patient)",
        [required("Please give the patient a reason."), Length(max=500)],
        filters=[strip],
        id="decline-reason",  # ids of their own: every action form shares one page
    )


class CancelForm(ActionForm):
    reason = TextAreaField(
        "Reason for cancelling (sent to the patient)",
        [required("Please give the patient a reason."), Length(max=500)],
        filters=[strip],
        id="cancel-reason",
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Internal note (staff only, not emailed)",
        [required("Write the note first."), Length(max=1000)],
        filters=[strip],
        id="note-text",
    )


class MoveForm(ActionForm):
    provider = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])
    location = HiddenField(validators=[required(), Regexp(r"^\d{1,9}$")])
    start = HiddenField(validators=[required(), Length(max=40)])


class MoveSearchForm(GetForm):
    provider = SelectField("Provider")
    location = SelectField("Location")
    week = DateField("Week starting", [Optional()])
