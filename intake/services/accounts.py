"""Sign-up, sign-in and out, changing a password and resetting a forgotten one.

Every caller is a POST, whose transactions take SQLite's write lock with their first statement
(intake/database.py): a read here still holds when the write that follows it lands."""

import hashlib
import hmac
from collections.abc import Callable

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..domain.accounts import InvalidEmail, normalise_email, password_problem
from ..extensions import db
from ..models import OutboxMessage, User
from ..passwords import hash_password, needs_rehash, verify_password
from ..permissions import Role
from ..settings import ClinicSettings
from . import audit
from .users import AccountError, create_user, end_sessions, find_user_by_email

# Verifying against this when the email is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("not-a-real-password-just-for-timing")


class WrongPassword(AccountError):
    """The current password given to change it was not the current password."""

    def __init__(self, message: str, field: str = "current_password") -> None:
        super().__init__(message, field)


def register_patient(email: str, password: str, first_name: str, last_name: str) -> User:
    return create_user(email, password, Role.PATIENT, first_name, last_name)


def account_key(email: str, secret_key: str | bytes) -> str:
    """A stable, secret-keyed digest of the account a sign-in aims at, for per-account rate
    limits: the limiter's storage and logs never see the address, nor can it be guessed back."""
    email = email[:320]  # the key is computed before the form checks any length
    try:
        email = normalise_email(email)
    except InvalidEmail:
        email = email.strip().lower()
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32]


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
    if user is None or not user.active or not user.has_password:
        verify_password(_DUMMY_HASH, password)  # the same time taken, whatever the reason
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def sign_out(user: User) -> None:
    """End this user's sessions everywhere: the cookie just used, others, remember-me."""
    end_sessions(user)
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Check the current password, store the new one and end every session made before;
    the caller signs this browser in again."""
    if not verify_password(user.password_hash, current_password):
        raise WrongPassword("That is not your current password.")
    if problem := password_problem(new_password, user.email):
        raise AccountError(problem, "password")
    if verify_password(user.password_hash, new_password):
        raise AccountError("Choose a password different from your current one.", "password")
    _store_password(user, new_password, "password_changed")


# --- password reset -------------------------------------------------------------


def _max_ages(settings: ClinicSettings) -> dict[str, int]:
    """A reset link lives an hour; an invitation to new staff lives three days. Different
    salts, so one kind of token can never be passed off as the other."""
    return {
        "password-reset": settings.password_reset_max_age,
        "invitation": settings.invitation_max_age,
    }


def _serializer(kind: str, settings: ClinicSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=kind)


def _fingerprint(user: User) -> str:
    # Tied to the current hash, so the link dies the moment the password changes: single use.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User, settings: ClinicSettings, kind: str = "password-reset") -> str:
    return _serializer(kind, settings).dumps({"user": user.id, "fp": _fingerprint(user)})


def invitation_token(user: User, settings: ClinicSettings) -> str:
    return reset_token(user, settings, kind="invitation")


def user_for_reset_token(token: str, settings: ClinicSettings) -> User | None:
    """The user a reset or invitation link was made for, while it is valid and unused."""
    for kind, max_age in _max_ages(settings).items():
        try:
            data = _serializer(kind, settings).loads(token[:500], max_age=max_age)
        except (SignatureExpired, BadSignature):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("user"), int):
            return None
        user = db.session.get(User, data["user"])
        if user is None or not user.active or not user.has_password:
            return None
        if data.get("fp") != _fingerprint(user):
            return None
        return user
    return None


def send_reset_link(email: str, make_link: Callable[[str], str], settings: ClinicSettings) -> None:
    """Queue a reset link when the account exists and is active; silent otherwise, so nobody
    can probe. Both paths commit, and no mail is sent in the request, so neither the answer
    nor its timing tells the two apart."""
    try:
        user = find_user_by_email(normalise_email(email))
    except InvalidEmail:
        user = None
    # An account the front desk made for a caller has no password to reset: silent too.
    if user is not None and user.active and user.has_password:
        db.session.add(
            OutboxMessage(
                kind="password_reset",
                recipient=user.email,
                subject=f"Reset your password for {settings.clinic_name}",
                body=(
                    f"Hello {user.first_name},\n\n"
                    "Someone asked to reset the password of your account. If it was you, open "
                    "this link within one hour to choose a new password:\n\n"
                    f"{make_link(reset_token(user, settings))}\n\n"
                    "The link works once. If you did not ask, you can ignore this email: your "
                    "password stays the same.\n"
                ),
            )
        )
    db.session.commit()


def set_new_password(user: User, password: str) -> None:
    """From a reset or invitation link: store the password and end every older session."""
    if problem := password_problem(password, user.email):
        raise AccountError(problem, "password")
    _store_password(user, password, "password_reset")


def _store_password(user: User, password: str, action: str) -> None:
    user.password_hash = hash_password(password)
    end_sessions(user)
    audit.record(action, actor_id=user.id, object_type="user", object_id=user.id)
    db.session.commit()
