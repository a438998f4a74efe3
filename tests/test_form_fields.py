"""The form fields' faster HTML is WTForms' HTML, attribute for attribute."""

import pytest
from markupsafe import Markup
from wtforms.widgets.core import html_params as wtforms_html_params

from intake.form_fields import html_params


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"name": "q", "id": "q", "class_": "a b", "required": True, "disabled": False},
        {"value": 'He said "hi" <b>&', "data_foo_bar": 1, "aria_describedby": "q-hint q-error"},
        {"value": Markup('a "quoted" <i>markup</i>'), "for_": "x", "placeholder": None},
        {"checked": True, "value": 0, "min": 3.5, "type": "date"},
    ],
)
def test_html_params_writes_what_wtforms_writes(attributes):
    ours = html_params(**attributes)
    assert ours == wtforms_html_params(**attributes)
    assert isinstance(ours, Markup)


def test_the_queue_filters_render_as_with_wtforms_own_widgets(app):
    from wtforms.widgets import CheckboxInput, DateInput, SearchInput

    from intake.forms import ExportForm, QueueFilterForm

    with app.test_request_context("/?q=a%22b&from=2026-12-01&needs_review=y"):
        form = QueueFilterForm()
        for field, plain in (
            (form.q, SearchInput()),
            (form.from_, DateInput()),
            (form.to, DateInput()),
            (form.needs_review, CheckboxInput()),
            (ExportForm(formdata=None).to, DateInput()),
        ):
            assert field(aria_describedby="x-hint") == plain(field, aria_describedby="x-hint")


def test_the_plain_select_renders_as_wtforms_select(app):
    from wtforms.widgets import Select

    from intake.form_fields import options
    from intake.forms import QueueFilterForm

    with app.test_request_context("/?provider=2&status=all"):
        form = QueueFilterForm()
        form.provider.choices = options([("", "Any"), ("1", "A & B"), ("2", 'The "best"')])
        form.location.choices = options([("", "Any location")])
        for field in (form.provider, form.location, form.status):
            for attributes in ({}, {"aria_describedby": "x-hint", "aria_invalid": "true"}):
                assert field(**attributes) == Select()(field, **attributes)
