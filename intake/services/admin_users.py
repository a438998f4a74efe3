"""Staff accounts for admins: invite by email, resend, change role, deactivate, reactivate."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..domain.accounts import InvalidEmail
from ..extensions import db
from ..models import HOLDING_STATUSES, Appointment, OutboxMessage, Provider, User
from ..permissions import STAFF_ROLES, Role
from ..settings import ClinicSettings
from .accounts import invitation_token
from .admin_common import AdminRefused, commit_change
from .users import AccountError, create_user, end_sessions

ROLE_NAMES = {Role.FRONT_DESK: "front desk", Role.THERAPIST: "therapist", Role.ADMIN: "admin"}


def staff() -> list[User]:
    """Staff accounts only: patients are never listed here."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(STAFF_ROLES))
            .order_by(User.active.desc(), User.last_name, User.first_name, User.id)
        )
    )


def staff_member(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.role in STAFF_ROLES else None


def invite(
    first_name: str,
    last_name: str,
    email: str,
    role: Role,
    actor: User,
    make_link: Callable[[str], str],
    settings: ClinicSettings,
) -> User:
    """Create the account with a random password nobody knows and queue a link to choose
    one, in one transaction: the outbox sends it, and retries while the mail server is down."""
    if Role(role) not in STAFF_ROLES:
        raise AdminRefused("Choose a staff role.", "role")
    taken = AdminRefused("An account with that email already exists.", "email")
    try:
        # Nobody ever sees this password: the invitee chooses their own through the link.
        user = create_user(
            email, secrets.token_urlsafe(32), Role(role), first_name, last_name, commit=False
        )
        db.session.flush()  # the link needs the new account's id
    except (AccountError, InvalidEmail) as error:
        db.session.rollback()
        raise AdminRefused(str(error), "email") from error
    except IntegrityError as error:
        db.session.rollback()
        raise taken from error
    _queue_invitation(user, actor, make_link, settings)
    commit_change(user, actor, "user", taken)
    return user


def send_invitation(
    user: User, actor: User, make_link: Callable[[str], str], settings: ClinicSettings
) -> None:
    """Queue a new set-password link, for a lost or expired invitation."""
    if not user.active:
        raise AdminRefused(f"{user.full_name} is deactivated: reactivate the account first.")
    _queue_invitation(user, actor, make_link, settings)
    db.session.commit()


def _queue_invitation(
    user: User, actor: User, make_link: Callable[[str], str], settings: ClinicSettings
) -> None:
    hours = settings.invitation_max_age // 3600
    db.session.add(
        OutboxMessage(
            kind="invitation",
            recipient=user.email,
            subject=f"Your staff account at {settings.clinic_name}",
            body=(
                f"Hello {user.first_name},\n\n"
                f"{actor.full_name} has set up a staff account for you at "
                f"{settings.clinic_name}, with the {ROLE_NAMES[Role(user.role)]} role. "
                f"Open this link within {hours} hours to choose your password:\n\n"
                f"{make_link(invitation_token(user, settings))}\n\n"
                "Then sign in with this email address and your new password. The link works "
                "once; if it has expired, ask an administrator to send you a new one.\n"
            ),
        )
    )


def change_role(user: User, role: Role, actor: User) -> None:
    """A new role ends the member's sessions: they sign in again into what the role allows."""
    role = Role(role)
    if role not in STAFF_ROLES:
        raise AdminRefused("Choose a staff role.", "role")
    if user.id == actor.id and role != Role.ADMIN:
        raise AdminRefused(
            "You cannot take away your own admin role. Ask another admin to do it.", "role"
        )
    has_profile = db.session.scalar(select(Provider.id).where(Provider.user_id == user.id))
    if has_profile is not None and role not in (Role.THERAPIST, Role.ADMIN):
        raise AdminRefused(
            f"{user.full_name} has a provider profile, which needs a therapist or admin account.",
            "role",
        )
    if user.role != role:
        end_sessions(user)
    user.role = role
    _commit(user, actor)


@dataclass(frozen=True)
class BookedAhead:
    """Visits still booked with a therapist from now on: deactivating the account does not
    move or cancel them, the front desk has to."""

    provider_id: int
    visits: int


def booked_ahead(user: User, now: datetime) -> BookedAhead | None:
    """None for anyone without a provider profile or without visits to come."""
    found = db.session.execute(
        select(Provider.id, func.count(Appointment.id))
        .join(Appointment, Appointment.provider_id == Provider.id)
        .where(
            Provider.user_id == user.id,
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.starts_at >= now,
        )
        .group_by(Provider.id)
    ).first()
    return BookedAhead(*found) if found else None


def set_active(user: User, active: bool, actor: User) -> None:
    if user.id == actor.id and not active:
        raise AdminRefused("You cannot deactivate your own account. Ask another admin to do it.")
    if not active:
        # Bumped as well as inactive, so reactivating never revives a cookie from before.
        end_sessions(user)
    user.active = active
    _commit(user, actor)


def _commit(user: User, actor: User) -> None:
    commit_change(user, actor, "user", AdminRefused("That change could not be saved. Try again."))
