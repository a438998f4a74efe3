"""An admin starts a new consent from today's text, reads its source, and cannot publish a
text that lacks a section a patient's checkbox refers to."""

import html

import pytest
from sqlalchemy import select

from intake.domain.consent import ACKNOWLEDGEMENTS
from intake.extensions import db
from intake.models import ConsentVersion
from intake.permissions import Role
from intake.services.consents import current_version
from tests.conftest import persist

FULL = "# Consent, version 2\n\nA **thin solid needle**.\n" + "".join(
    f"\n## {ack.heading}\n\nWhat to know.\n" for ack in ACKNOWLEDGEMENTS
)
WITHOUT_COMMON = FULL.replace("## Common effects\n", "## Effects\n")


@pytest.fixture
def admin(make_user, login_as):
    user = make_user(Role.ADMIN)
    login_as(user)
    return user


def draft(app, body: str, label: str = "2") -> ConsentVersion:
    return persist(app, ConsentVersion(label=label, body_markdown=body, text_sha256="0" * 64))


def published_labels(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            select(ConsentVersion.label).where(ConsentVersion.published_at.is_not(None))
        ).all()


def test_a_new_draft_starts_from_the_text_patients_sign_today(client, admin, consent_v1):
    page = client.get("/admin/consents/new").get_data(as_text=True)
    textarea = page.split('name="body_markdown"', 1)[1].split("</textarea>", 1)[0]
    assert html.escape(consent_v1.body_markdown.strip(), quote=False) in textarea
    assert "starts as the version patients sign today" in page


def test_without_a_published_text_a_new_draft_starts_empty(client, admin):
    page = client.get("/admin/consents/new").get_data(as_text=True)
    textarea = page.split('name="body_markdown"', 1)[1].split("</textarea>", 1)[0]
    assert textarea.split(">", 1)[1].strip() == ""


def test_a_resent_form_keeps_what_was_typed_not_the_current_text(client, admin, consent_v1):
    page = client.post("/admin/consents/new", data={"label": "", "body_markdown": "Mine"}).text
    assert ">\r\nMine</textarea>" in page or ">\nMine</textarea>" in page
    assert "About the procedure" not in page.split('name="body_markdown"', 1)[1]


def test_the_form_names_the_sections_the_checkboxes_need(client, admin):
    page = client.get("/admin/consents/new").get_data(as_text=True)
    for ack in ACKNOWLEDGEMENTS:
        assert html.escape(ack.heading) in page


def test_the_version_page_shows_the_source_as_written_and_escaped(app, client, admin):
    version = draft(app, FULL + "\n<b>bold tag</b>\n")
    page = client.get(f"/admin/consents/{version.id}").get_data(as_text=True)
    source = page.split("<pre>", 1)[1].split("</pre>", 1)[0]
    assert "A **thin solid needle**." in source  # the Markdown, not its rendering
    assert "## Common effects" in source
    assert "&lt;b&gt;bold tag&lt;/b&gt;" in source
    assert "<strong>thin solid needle</strong>" in page  # the rendered preview is still there


def test_the_source_of_a_published_version_is_shown_too(client, admin, consent_v1):
    page = client.get(f"/admin/consents/{consent_v1.id}").get_data(as_text=True)
    assert "## About the procedure" in page.split("<pre>", 1)[1]


def test_a_draft_missing_a_section_says_which_and_offers_no_publish_button(app, client, admin):
    version = draft(app, WITHOUT_COMMON)
    page = client.get(f"/admin/consents/{version.id}").get_data(as_text=True)
    assert "Not ready to publish: 1 section missing" in page
    assert "&ldquo;Common effects&rdquo;, which this box refers to" in page
    assert "Uncommon effects&rdquo;, which" not in page  # only what is missing is listed
    assert f"/admin/consents/{version.id}/publish" not in page
    assert f"/admin/consents/{version.id}/edit" in page


def test_publishing_a_draft_missing_sections_is_refused_in_words(app, client, admin, consent_v1):
    body = WITHOUT_COMMON.replace("## Uncommon effects\n", "## Other\n")
    version = draft(app, body)
    page = client.post(f"/admin/consents/{version.id}/publish", follow_redirects=True).text
    assert "lacks sections the consent checkboxes refer to" in page
    assert "\u201cCommon effects\u201d and \u201cUncommon effects\u201d" in page
    assert published_labels(app) == ["1"]
    with app.app_context():
        assert current_version().id == consent_v1.id


def test_saving_a_draft_missing_a_section_keeps_it_and_says_what_to_add(app, client, admin):
    response = client.post(
        "/admin/consents/new", data={"label": "2", "body_markdown": WITHOUT_COMMON}
    )
    page = client.get(response.headers["Location"]).text
    assert "Draft 2 is saved." in page
    assert "lacks a section the consent checkboxes refer to: \u201cCommon effects\u201d" in page
    assert published_labels(app) == []


def test_a_draft_with_every_section_in_any_case_can_be_published(app, client, admin):
    version = draft(app, FULL.replace("## Common effects", "## COMMON EFFECTS"))
    page = client.get(f"/admin/consents/{version.id}").get_data(as_text=True)
    assert "Not ready to publish" not in page
    client.post(f"/admin/consents/{version.id}/publish")
    assert published_labels(app) == ["2"]
