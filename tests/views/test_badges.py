"""A flag's tone becomes its badge colour in one macro; the words always come with it."""

import pytest
from flask import render_template_string

from intake.services.queue import MISSING_CONSENT, Flag, Tone

BADGE = '{% from "_macros/badges.html" import badge %}{{ badge(item) }}'


def shown(app, item) -> str:
    with app.test_request_context():
        return render_template_string(BADGE, item=item)


@pytest.mark.parametrize(
    ("tone", "css"),
    [(Tone.OK, "badge-ok"), (Tone.WARN, "badge-warn"), (Tone.DANGER, "badge-danger")],
)
def test_each_tone_has_its_badge_colour(app, tone, css):
    assert shown(app, Flag("Review needed", tone)) == (
        f'<span class="badge {css}">Review needed</span>'
    )


def test_every_tone_is_coloured(app):
    for tone in Tone:
        assert 'class="badge badge-' in shown(app, Flag("Word", tone))


def test_a_consent_status_shows_like_a_flag(app):
    assert shown(app, MISSING_CONSENT) == '<span class="badge badge-danger">Missing</span>'


def test_the_words_are_escaped(app):
    assert "&lt;b&gt;Urgent&lt;/b&gt;" in shown(app, Flag("<b>Urgent</b>", Tone.DANGER))
