"""The database itself refuses to change signed consents, withdrawals and published texts."""

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.models import ConsentVersion, ConsentWithdrawal, SignedConsent, utcnow


@pytest.fixture
def signed(app, make_user, consent_v1):
    patient = make_user()
    with app.app_context():
        consent = SignedConsent(
            patient_id=patient.id,
            version_id=consent_v1.id,
            text_sha256=consent_v1.text_sha256,
            typed_name="Test Person",
            acknowledged=["nature"],
            ip_address="127.0.0.1",
            user_agent="t",
        )
        db.session.add(consent)
        db.session.commit()
        return consent.id


def refused(app, statement) -> bool:
    with app.app_context():
        try:
            db.session.execute(statement)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return True
        return False


def test_a_signed_consent_cannot_be_updated(app, signed):
    assert refused(app, update(SignedConsent).values(typed_name="Someone Else"))
    with app.app_context():
        assert db.session.get(SignedConsent, signed).typed_name == "Test Person"


def test_a_signed_consent_cannot_be_deleted(app, signed):
    assert refused(app, delete(SignedConsent))
    with app.app_context():
        assert db.session.get(SignedConsent, signed) is not None


def test_a_withdrawal_cannot_be_edited_or_removed(app, signed):
    with app.app_context():
        db.session.add(ConsentWithdrawal(consent_id=signed, ip_address="127.0.0.1"))
        db.session.commit()
    assert refused(app, update(ConsentWithdrawal).values(reason="edited"))
    assert refused(app, delete(ConsentWithdrawal))


def test_a_published_consent_text_is_frozen(app, consent_v1):
    assert refused(app, update(ConsentVersion).values(body_markdown="softer wording"))
    assert refused(app, delete(ConsentVersion))
    with app.app_context():
        assert db.session.get(ConsentVersion, consent_v1.id).body_markdown.startswith("# Informed")


def test_a_draft_may_be_edited_then_published(app):
    with app.app_context():
        draft = ConsentVersion(label="2-draft", body_markdown="draft", text_sha256="0" * 64)
        db.session.add(draft)
        db.session.commit()
        draft_id = draft.id
    assert not refused(
        app,
        update(ConsentVersion)
        .where(ConsentVersion.id == draft_id)
        .values(body_markdown="better draft"),
    )
    assert not refused(
        app,
        update(ConsentVersion).where(ConsentVersion.id == draft_id).values(published_at=utcnow()),
    )
    assert refused(
        app,
        update(ConsentVersion)
        .where(ConsentVersion.id == draft_id)
        .values(body_markdown="after publishing"),
    )
    with app.app_context():
        texts = db.session.scalars(select(ConsentVersion.body_markdown)).all()
        assert texts == ["better draft"]


@pytest.mark.parametrize(
    "table", ["audit_events", "signed_consents", "consent_withdrawals", "consent_versions"]
)
def test_truncate_cannot_empty_an_append_only_table(app, signed, table):
    """Row triggers do not see TRUNCATE; PostgreSQL has it, so a statement trigger refuses it.
    (SQLite has no TRUNCATE: its DELETE triggers above cover the same ground.)"""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            assert refused(app, delete(SignedConsent))
            return
    assert refused(app, text(f"TRUNCATE {table} CASCADE"))
    with app.app_context():
        assert db.session.get(SignedConsent, signed) is not None
