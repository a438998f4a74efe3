"""An admin drafts a new consent text, previews it, publishes it; then it can never change."""

import hashlib

import pytest
from sqlalchemy import select

from intake.domain.consent import ACKNOWLEDGEMENTS
from intake.extensions import db
from intake.models import AuditEvent, ConsentVersion
from intake.permissions import Role
from intake.services.consents import current_version
from tests.conftest import persist

SECTIONS = "".join(f"\n## {ack.heading}\n\nWhat to know.\n" for ack in ACKNOWLEDGEMENTS)
DRAFT = "# Informed consent, version 2\n\nDry needling uses a **thin solid needle**.\n" + SECTIONS


@pytest.fixture
def admin(make_user, login_as):
    user = make_user(Role.ADMIN)
    login_as(user)
    return user


def stored(app, version_id: int) -> ConsentVersion:
    with app.app_context():
        version = db.session.get(ConsentVersion, version_id)
        db.session.expunge(version)
        return version


def draft_id(app, label: str) -> int:
    with app.app_context():
        return db.session.scalar(select(ConsentVersion.id).where(ConsentVersion.label == label))


def test_a_draft_is_written_previewed_published_and_then_frozen(app, client, admin, consent_v1):
    response = client.post("/admin/consents/new", data={"label": "2", "body_markdown": DRAFT})
    version_id = draft_id(app, "2")
    assert response.headers["Location"] == f"/admin/consents/{version_id}"

    preview = client.get(f"/admin/consents/{version_id}").get_data(as_text=True)
    assert "<strong>thin solid needle</strong>" in preview  # rendered Markdown
    assert "Draft: patients do not see this yet" in preview
    assert f"/admin/consents/{version_id}/edit" in preview

    client.post(
        f"/admin/consents/{version_id}/edit",
        data={"label": "2", "body_markdown": DRAFT + "\nYou may stop at any time.\n"},
    )
    assert "stop at any time" in stored(app, version_id).body_markdown
    with app.app_context():
        assert current_version().label == "1"  # a draft changes nothing for patients

    client.post(f"/admin/consents/{version_id}/publish")
    published = stored(app, version_id)
    assert published.published_at is not None
    assert published.text_sha256 == hashlib.sha256(published.body_markdown.encode()).hexdigest()
    with app.app_context():
        assert current_version().id == version_id

    page = client.get(f"/admin/consents/{version_id}").get_data(as_text=True)
    assert "This text is read-only." in page
    assert f"/admin/consents/{version_id}/edit" not in page
    assert f"/admin/consents/{version_id}/delete" not in page

    response = client.post(
        f"/admin/consents/{version_id}/edit", data={"label": "2", "body_markdown": "softer"}
    )
    assert response.status_code == 302
    message = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 2 is published and can no longer change." in message
    assert stored(app, version_id).body_markdown == published.body_markdown

    listing = client.get("/admin/consents").get_data(as_text=True)
    assert published.text_sha256[:12] in listing and "Current" in listing
    assert "Superseded" in listing  # version 1


def test_the_stored_hash_is_recomputed_from_the_text_when_publishing(app, client, admin):
    draft = persist(app, ConsentVersion(label="3", body_markdown=DRAFT, text_sha256="0" * 64))
    client.post(f"/admin/consents/{draft.id}/publish")
    assert stored(app, draft.id).text_sha256 == hashlib.sha256(DRAFT.encode()).hexdigest()


def test_a_published_version_cannot_be_published_again_or_deleted(app, client, admin, consent_v1):
    before = stored(app, consent_v1.id)
    page = client.post(f"/admin/consents/{consent_v1.id}/publish", follow_redirects=True).get_data(
        as_text=True
    )
    assert "is published and can no longer change" in page
    client.post(f"/admin/consents/{consent_v1.id}/delete")
    after = stored(app, consent_v1.id)
    assert (after.published_at, after.text_sha256) == (before.published_at, before.text_sha256)


def test_a_draft_can_be_deleted(app, client, admin):
    draft = persist(app, ConsentVersion(label="4", body_markdown="Text", text_sha256="0" * 64))
    response = client.post(f"/admin/consents/{draft.id}/delete")
    assert response.headers["Location"] == "/admin/consents"
    with app.app_context():
        assert db.session.get(ConsentVersion, draft.id) is None
        assert db.session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.object_type == "consent_version")
        ).all() == [draft.id]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "1", "body_markdown": DRAFT}, "Another version already has this label."),
        ({"label": "", "body_markdown": DRAFT}, "This is required."),
        ({"label": "x" * 41, "body_markdown": DRAFT}, "longer than 40 characters"),
        ({"label": "2", "body_markdown": ""}, "Write the consent text."),
    ],
)
def test_a_draft_with_a_mistake_is_explained_and_not_saved(
    app, client, admin, consent_v1, data, message
):
    page = client.post("/admin/consents/new", data=data).get_data(as_text=True)
    assert message in page
    if data["body_markdown"]:
        assert "thin solid needle" in page  # the text typed is still there
    with app.app_context():
        assert db.session.scalars(select(ConsentVersion.label)).all() == ["1"]


def test_markup_in_a_draft_is_sanitised_in_the_preview(app, client, admin):
    body = 'Hello <script>alert(1)</script> <a href="javascript:alert(2)">x</a>'
    client.post("/admin/consents/new", data={"label": "5", "body_markdown": body})
    page = client.get(f"/admin/consents/{draft_id(app, '5')}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page
    # The source shows what was typed, as text only.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_consent_change_is_audited(app, client, admin):
    client.post("/admin/consents/new", data={"label": "6", "body_markdown": DRAFT})
    version_id = draft_id(app, "6")
    client.post(f"/admin/consents/{version_id}/edit", data={"label": "6", "body_markdown": DRAFT})
    client.post(f"/admin/consents/{version_id}/publish")
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id).where(
                AuditEvent.action == "admin_change"
            )
        ).all()
    assert rows == [(admin.id, "consent_version", version_id)] * 3


def test_an_unknown_version_is_not_found(client, admin):
    assert client.get("/admin/consents/9999").status_code == 404
    assert client.post("/admin/consents/9999/edit", data={"label": "x"}).status_code == 404
    assert client.post("/admin/consents/9999/publish").status_code == 404
    assert client.post("/admin/consents/9999/delete").status_code == 404
