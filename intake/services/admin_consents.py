"""Consent texts for admins: write and edit drafts, publish one; published texts never change."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..domain.consent import Acknowledgement, missing_sections, text_sha256
from ..extensions import db
from ..models import ConsentVersion, User, utcnow
from . import audit
from .admin_common import ADMIN_CHANGE, AdminRefused, commit_change, taken

FROZEN = "Version {label} is published and can no longer change. Write a new draft instead."


def lacking(missing: list[Acknowledgement]) -> str:
    """Why a text that misses sections the checkboxes refer to cannot be published."""
    names = [f"“{ack.heading}”" for ack in missing]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    noun = "a section" if len(names) == 1 else "sections"
    return (
        f"This text lacks {noun} the consent checkboxes refer to: {listed}. "
        "Add each as a heading (such as ## " + missing[0].heading + ") before publishing."
    )


def versions() -> list[ConsentVersion]:
    """Drafts first, then published versions, newest first."""
    return list(
        db.session.scalars(
            select(ConsentVersion).order_by(
                ConsentVersion.published_at.is_not(None),
                ConsentVersion.published_at.desc(),
                ConsentVersion.id.desc(),
            )
        )
    )


def save_draft(
    version: ConsentVersion | None, label: str, body_markdown: str, actor: User
) -> ConsentVersion:
    version = version or ConsentVersion()
    if version.published_at is not None:
        raise AdminRefused(FROZEN.format(label=version.label))
    if taken(ConsentVersion, "label", label, version.id):
        raise AdminRefused("Another version already has this label.", "label")
    version.label = label
    version.body_markdown = body_markdown
    version.text_sha256 = text_sha256(body_markdown)  # recomputed again when published
    commit_change(
        version,
        actor,
        "consent_version",
        # The database refuses an edit of a text published a moment ago, or a taken label.
        AdminRefused("Someone published this version or took its label meanwhile. Reload it."),
    )
    return version


def publish(version: ConsentVersion, actor: User, now: datetime | None = None) -> ConsentVersion:
    """Make a draft the consent every patient signs from now on. Only the exact text that
    was read is published: if it changed in between, nothing happens."""
    if version.published_at is not None:
        raise AdminRefused(FROZEN.format(label=version.label))
    body, frozen = version.body_markdown, AdminRefused(FROZEN.format(label=version.label))
    if missing := missing_sections(body):
        raise AdminRefused(lacking(missing))
    try:
        result = db.session.execute(
            update(ConsentVersion)
            .where(
                ConsentVersion.id == version.id,
                ConsentVersion.published_at.is_(None),
                ConsentVersion.body_markdown == body,
            )
            .values(published_at=now or utcnow(), text_sha256=text_sha256(body))
            .execution_options(synchronize_session=False)
        )
    except IntegrityError as error:
        db.session.rollback()
        raise frozen from error
    if result.rowcount != 1:
        db.session.rollback()
        raise AdminRefused("This draft changed or was published meanwhile. Please reload it.")
    audit.record(
        ADMIN_CHANGE, actor_id=actor.id, object_type="consent_version", object_id=version.id
    )
    db.session.commit()
    db.session.refresh(version)
    return version


def delete_draft(version: ConsentVersion, actor: User) -> None:
    if version.published_at is not None:
        raise AdminRefused(FROZEN.format(label=version.label))
    version_id = version.id
    db.session.delete(version)
    try:
        db.session.flush()
        audit.record(
            ADMIN_CHANGE, actor_id=actor.id, object_type="consent_version", object_id=version_id
        )
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise AdminRefused(FROZEN.format(label=version.label)) from error
