"""Creating and finding user accounts, and ending their sessions."""

from sqlalchemy import select

from ..domain.accounts import normalise_email, password_problem
from ..extensions import db
from ..models import User
from ..passwords import hash_password
from ..permissions import Role


class AccountError(ValueError):
    """A readable reason the account could not be created or changed, and the form field it
    concerns ("email" or "password"), so a view marks that field without reading the text."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email)).first()


def create_user(
    email: str, password: str, role: Role, first_name: str, last_name: str, commit: bool = True
) -> User:
    email = normalise_email(email)
    if problem := password_problem(password, email):
        raise AccountError(problem, "password")
    if find_user_by_email(email) is not None:
        raise AccountError("An account with that email already exists.", "email")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=Role(role),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def end_sessions(user: User) -> None:
    """Make every session and remember-me cookie issued so far name nobody; the caller
    commits. Done in SQL, so two bumps at once still both move the version on."""
    user.session_version = User.session_version + 1
