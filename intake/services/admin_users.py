"""Staff accounts for admins: invite by email, resend, change role, deactivate, reactivate."""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from .. import mail
from ..domain.accounts import InvalidEmail
from ..extensions import db
from ..models import Provider, User
from ..permissions import STAFF_ROLES, Role
from .accounts import invitation_token
from .admin_common import AdminRefused, commit_change
from .users import AccountError, create_user

log = logging.getLogger(__name__)
ROLE_NAMES = {Role.FRONT_DESK: "front desk", Role.THERAPIST: "therapist", Role.ADMIN: "admin"}


@dataclass(frozen=True)
class Invitation:
    user: User
    sent: bool


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
) -> Invitation:
    """Create the account with a random password nobody knows, then mail a link to choose
    one. The account stays even when the mail fails: the admin can resend it."""
    if Role(role) not in STAFF_ROLES:
        raise AdminRefused("Choose a staff role.", "role")
    try:
        # Nobody ever sees this password: the invitee chooses their own through the link.
        user = create_user(
            email, secrets.token_urlsafe(32), Role(role), first_name, last_name, commit=False
        )
    except (AccountError, InvalidEmail) as error:
        raise AdminRefused(str(error), "email") from error
    commit_change(
        user, actor, "user", AdminRefused("An account with that email already exists.", "email")
    )
    return Invitation(user, send_invitation(user, actor, make_link))


def send_invitation(user: User, actor: User, make_link: Callable[[str], str]) -> bool:
    """Mail the set-password link now; False when the mail server could not take it."""
    if not user.active:
        raise AdminRefused(f"{user.full_name} is deactivated: reactivate the account first.")
    config = current_app.config
    hours = config["INTAKE_INVITATION_MAX_AGE"] // 3600
    message = mail.build_message(
        config,
        to=user.email,
        subject=f"Your staff account at {config['INTAKE_CLINIC_NAME']}",
        text=(
            f"Hello {user.first_name},\n\n"
            f"{actor.full_name} has set up a staff account for you at "
            f"{config['INTAKE_CLINIC_NAME']}, with the {ROLE_NAMES[Role(user.role)]} role. "
            f"Open this link within {hours} hours to choose your password:\n\n"
            f"{make_link(invitation_token(user))}\n\n"
            "Then sign in with this email address and your new password. The link works "
            "once; if it has expired, ask an administrator to send you a new one.\n"
        ),
    )
    try:
        mail.send(config, message)
    except mail.MailError:
        log.error("invitation mail could not be sent (user %s)", user.id)
        return False
    return True


def change_role(user: User, role: Role, actor: User) -> None:
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
    user.role = role
    _commit(user, actor)


def set_active(user: User, active: bool, actor: User) -> None:
    if user.id == actor.id and not active:
        raise AdminRefused("You cannot deactivate your own account. Ask another admin to do it.")
    user.active = active
    _commit(user, actor)


def _commit(user: User, actor: User) -> None:
    commit_change(user, actor, "user", AdminRefused("That change could not be saved. Try again."))
