"""Flask CLI: demo data and user accounts."""

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .domain.accounts import InvalidEmail
from .extensions import db
from .models import User
from .permissions import Role
from .services import demo
from .services.users import AccountError, create_user


@click.command("seed-demo")
@click.option("--password", help="Password for every demo account (default: a random one each).")
@click.option("--force", is_flag=True, help="Refresh the demo records in a non-empty database.")
@with_appcontext
def seed_demo_command(password: str | None, force: bool) -> None:
    """Fill the database with a believable demo clinic and print its logins."""
    if not demo.database_is_empty() and not force:
        click.echo(
            "The database already has accounts; nothing was changed. "
            "Use --force to refresh the demo records."
        )
        return
    if password is not None and len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--password")
    logins = demo.seed_demo(password)
    click.echo("Demo data loaded. Logins:")
    for login in logins:
        click.echo(f"{login.role:<11} {login.name:<14} {login.email:<28} {login.password}")


users = AppGroup("users", help="Manage user accounts.")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--first-name", prompt=True)
@click.option("--last-name", prompt=True)
@click.password_option(help="Prompted for, hidden, when not given.")
def create_user_command(email, role, first_name, last_name, password) -> None:
    """Create an account with the given role."""
    try:
        user = create_user(email, password, Role(role), first_name, last_name)
    except (AccountError, InvalidEmail) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.role} {user.email}.")


@users.command("list")
def list_users_command() -> None:
    """Every account: role, name and email (never a password)."""
    for user in db.session.scalars(select(User).order_by(User.role, User.email)):
        state = "" if user.active else "  (inactive)"
        click.echo(f"{user.role:<11} {user.full_name:<14} {user.email}{state}")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(users)
