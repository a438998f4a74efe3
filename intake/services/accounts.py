"""Patient sign-up, sign-in and password reset."""

import hashlib
import logging

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import mail
from ..domain.accounts import InvalidEmail, normalise_email, password_problem
from ..extensions import db
from ..models import User
from ..passwords import hash_password, needs_rehash, verify_password
from ..permissions import Role
from .users import AccountError, create_user, find_user_by_email

log = logging.getLogger(__name__)
# Verifying against this when the email is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("not-a-real-password-just-for-timing")


def register_patient(email: str, password: str, first_name: str, last_name: str) -> User:
    return create_user(email, password, Role.PATIENT, first_name, last_name)


def user_id_for(email: str) -> int | None:
    """The account a failed sign-in aimed at, for the audit trail (never the typed text)."""
    try:
        user = find_user_by_email(normalise_email(email))
    except InvalidEmail:
        return None
    return user.id if user else None


def authenticate(email: str, password: str) -> User | None:
    """The user when the email and password match an active account; rehashes old hashes."""
    try:
        user = find_user_by_email(normalise_email(email))
    except InvalidEmail:
        user = None
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


# --- password reset -------------------------------------------------------------


# A reset link lives an hour; an invitation to new staff lives three days. Different salts,
# so one kind of token can never be passed off as the other.
_TOKEN_KINDS = {
    "password-reset": "INTAKE_PASSWORD_RESET_MAX_AGE",
    "invitation": "INTAKE_INVITATION_MAX_AGE",
}


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=kind)


def _fingerprint(user: User) -> str:
    # Tied to the current hash, so the link dies the moment the password changes: single use.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User, kind: str = "password-reset") -> str:
    return _serializer(kind).dumps({"user": user.id, "fp": _fingerprint(user)})


def invitation_token(user: User) -> str:
    return reset_token(user, kind="invitation")


def user_for_reset_token(token: str) -> User | None:
    """The user a reset or invitation link was made for, while it is valid and unused."""
    for kind, max_age_key in _TOKEN_KINDS.items():
        try:
            data = _serializer(kind).loads(token[:500], max_age=current_app.config[max_age_key])
        except (SignatureExpired, BadSignature):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("user"), int):
            return None
        user = db.session.get(User, data["user"])
        if user is None or not user.active or data.get("fp") != _fingerprint(user):
            return None
        return user
    return None


def send_reset_link(email: str, make_link) -> None:
    """Mail a reset link when the account exists; silent otherwise, so nobody can probe."""
    try:
        user = find_user_by_email(normalise_email(email))
    except InvalidEmail:
        return
    if user is None or not user.active:
        return
    config = current_app.config
    message = mail.build_message(
        config,
        to=user.email,
        subject=f"Reset your password for {config['INTAKE_CLINIC_NAME']}",
        text=(
            f"Hello {user.first_name},\n\n"
            "Someone asked to reset the password of your account. If it was you, open this "
            "link within one hour to choose a new password:\n\n"
            f"{make_link(reset_token(user))}\n\n"
            "The link works once. If you did not ask, you can ignore this email: your password "
            "stays the same.\n"
        ),
    )
    try:
        mail.send(config, message)
    except mail.MailError:
        log.error("password reset mail could not be sent (user %s)", user.id)


def set_new_password(user: User, password: str) -> None:
    if problem := password_problem(password, user.email):
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    db.session.commit()
