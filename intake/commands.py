"""Flask CLI: demo data, user accounts, the email outbox and reminders, and the doctor."""

import os
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from sqlalchemy import select

from . import doctor
from .config import UnsafeConfig, current_settings
from .domain.accounts import InvalidEmail
from .extensions import db
from .links import external_url
from .models import User, utcnow
from .permissions import Role
from .services import demo, waitlist_offers
from .services.aftercare import queue_check_ins
from .services.outbox import DeliveryReport, deliver_due
from .services.reminders import queue_reminders
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
    logins = demo.seed_demo(current_settings(), password)
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


outbox = AppGroup("outbox", help="Send the queued emails.")
BATCH = 50  # messages per round of `outbox work`


def _counts(report: DeliveryReport) -> str:
    return f"sent {report.sent}, retrying {report.retried}, failed {report.failed}"


@outbox.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def outbox_send_command(limit: int) -> None:
    """Send the emails that are due, once, and print what happened."""
    click.echo(_counts(deliver_due(current_app.config, limit=limit)))


@outbox.command("work")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait between rounds.",
)
@click.option("--once", is_flag=True, help="One round, then stop.")
def outbox_work_command(interval: float, once: bool) -> None:
    """Queue reminders and send due emails every INTERVAL seconds until stopped (Ctrl+C).

    Several workers may run at once: each message still goes out once."""
    config = current_app.config
    try:
        while True:
            queued = queue_follow_ups()
            expired = expire_waitlist_offers()
            report = deliver_due(config, limit=BATCH)
            if once or any(queued) or expired or report != DeliveryReport():
                click.echo(f"{_queued(queued)}{_expired(expired)}; {_counts(report)}")
            if once:
                return
            # A full batch means more may be waiting: go again without a pause.
            if report.sent + report.retried + report.failed < BATCH:
                time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


def queue_follow_ups() -> tuple[int, int]:
    """Reminders before visits and check-ins after them: how many of each were queued."""
    now, settings = utcnow(), current_settings()
    reminders_queued = queue_reminders(now, settings)
    check_ins_queued = queue_check_ins(
        now, settings, lambda token: external_url("check_in.by_link", token=token)
    )
    return reminders_queued, check_ins_queued


def expire_waitlist_offers() -> int:
    """Offers past their time expire; their times go to the next waiting patients."""
    return waitlist_offers.expire_due(settings=current_settings(), now=utcnow())


def _expired(count: int) -> str:
    return f", waitlist offers expired {count}" if count else ""


def _queued(counts: tuple[int, int]) -> str:
    return "reminders queued {}, check-ins queued {}".format(*counts)


reminders = AppGroup("reminders", help="Appointment reminders.")


@reminders.command("send")
def reminders_send_command() -> None:
    """Queue the reminders that are due, then send the outbox."""
    queued = queue_follow_ups()
    expired = expire_waitlist_offers()
    report = deliver_due(current_app.config)
    click.echo(f"{_queued(queued)}{_expired(expired)}; {_counts(report)}")


@click.command("doctor")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="gunicorn workers that will run (default: WEB_CONCURRENCY, else 2 as in deploy/).",
)
@click.pass_context
def doctor_command(ctx: click.Context, workers: int | None) -> None:
    """Check this configuration for production and say what is wrong; exit 1 if anything is.

    Also installed as a Flask plugin command (pyproject.toml), so it runs even when the app
    refuses to start, which is when it is needed most."""
    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
        config, migrations_dir = app.config, app.extensions["migrate"].directory
    except UnsafeConfig:
        config, migrations_dir = doctor.unchecked_config(), "migrations"
    workers = workers or int(os.environ.get("WEB_CONCURRENCY") or 2)
    reports = doctor.run_checks(config, workers, os.path.abspath(migrations_dir))
    for report in reports:
        if not report.problems:
            click.echo(f"ok       {report.check}")
        for problem in report.problems:
            click.echo(f"PROBLEM  {report.check}: {problem}")
    count = sum(len(report.problems) for report in reports)
    if count:
        click.echo(f"{count} problem{'s' if count > 1 else ''}: fix before serving patients.")
        ctx.exit(1)
    click.echo("No problems found.")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(users)
    app.cli.add_command(outbox)
    app.cli.add_command(reminders)
    app.cli.add_command(doctor_command)
