"""Therapist schedule forms (to be folded into forms.py). Forms check shape; services decide."""

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from .forms import options
from .views.helpers import WEEKDAYS


def _revision() -> IntegerField:
    # The version of the appointment the page showed: a change made since then wins.
    return IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _quarter_hour(form, field):
    if field.data and (field.data.minute % 15 or field.data.second):
        raise ValidationError("Use a time on the quarter hour, such as 9:00 or 9:15.")


class OutcomeForm(FlaskForm):
    revision = _revision()
    outcome = SelectField(
        choices=options([("completed", "Completed"), ("no_show", "No-show")]),
        validators=[DataRequired()],
    )


class ReviewForm(FlaskForm):
    revision = _revision()
    outcome = RadioField(
        "Your decision",
        choices=options(
            [
                ("cleared", "Cleared: dry needling may go ahead"),
                ("not_suitable", "Not suitable: the front desk will decline the request"),
            ]
        ),
        validators=[InputRequired("Please choose cleared or not suitable.")],
    )
    note = TextAreaField(
        "Note for the record",
        [DataRequired("Please write a note explaining your decision."), Length(max=1000)],
    )


class HoursForm(FlaskForm):
    location = SelectField("Location", coerce=int, validators=[InputRequired()])
    weekday = SelectField(
        "Day",
        coerce=int,
        choices=options(enumerate(WEEKDAYS)),
        validators=[InputRequired()],
    )
    starts = TimeField(
        "Starts",
        [InputRequired("Please give a start time."), _quarter_hour],
        render_kw={"step": 900},
    )
    ends = TimeField(
        "Ends", [InputRequired("Please give an end time."), _quarter_hour], render_kw={"step": 900}
    )

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The block must end after it starts.")


def _plausible_year(form, field):
    # The ends of the calendar cannot be moved to UTC: keep to years a diary would show.
    if field.data and not 2000 <= field.data.year <= 2999:
        raise ValidationError("Please give a date in this century.")


class TimeOffForm(FlaskForm):
    starts = DateTimeLocalField(
        "From", [InputRequired("Please give the first day and time."), _plausible_year]
    )
    ends = DateTimeLocalField(
        "Until", [InputRequired("Please give the last day and time."), _plausible_year]
    )
    reason = StringField("Reason (optional, not shown to patients)", [Optional(), Length(max=200)])

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The time off must end after it starts.")
