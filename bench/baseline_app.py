"""A bare Flask app to compare against: Flask, Jinja and the SQLAlchemy ORM, as the app uses
them, and nothing else (no Flask extensions: no sessions, CSRF, limiter, security headers).
What the stack costs on its own for the same kinds of work as the app's pages:

- `/page`: a template page with a layout and a few dozen links (the public pages);
- `/rows`: 48 appointments of one provider read through an index with their patients (two
  mapped classes, one joined query), rendered as a table (slot page, week view, queue);
- `POST /insert`: one mapped row added and committed, then a redirect (a booking request);
- `/book/<slug>`: a page of slot links (bench_booking.py and bench_public.py in-process).

`/rows` and `/insert` need DATABASE_URL (the bench database); the engine is made on first use,
so each gunicorn worker has its own connections."""

import os
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import Flask, redirect, render_template, request, url_for
from jinja2 import DictLoader
from sqlalchemy import ForeignKey, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, joinedload, mapped_column, relationship

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/site.css"></head>
<body><header><nav><ul>
{% for name in ("home", "about", "providers", "book", "account") %}
  <li><a href="{{ url_for('page', section=name) }}">{{ name|title }}</a></li>
{% endfor %}
</ul></nav></header>
<main>{% block main %}{% endblock %}</main>
<footer><p>A clinic, 1 Main Street, Durham, NC 27701</p></footer></body></html>"""

PAGE = """{% extends "layout.html" %}
{% block title %}{{ heading }}{% endblock %}
{% block main %}<h1>{{ heading }}</h1>
{% for section in sections %}
  <section><h2>{{ section.title }}</h2><p>{{ section.text }}</p>
  <ul>{% for link in section.links %}
    <li><a href="{{ url_for('page', section=link) }}">
      {{ link|replace('-', ' ')|capitalize }}</a></li>
  {% endfor %}</ul></section>
{% endfor %}{% endblock %}"""

ROWS = """{% extends "layout.html" %}
{% block title %}Appointments{% endblock %}
{% block main %}<h1>Appointments</h1>
<table><thead><tr><th>When</th><th>Patient</th><th>Status</th><th></th></tr></thead><tbody>
{% for row in rows %}
  <tr><td>{{ row.starts_at.strftime("%a %b %d, %I:%M %p") }}</td>
  <td>{{ row.patient.first_name }} {{ row.patient.last_name }}</td>
  <td>{{ row.status|replace('_', ' ') }}</td>
  <td><a href="{{ url_for('page', section='appointment-' ~ row.id) }}">Open</a></td></tr>
{% endfor %}</tbody></table>{% endblock %}"""

SLOTS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Book with {{ slug }}</title></head>
<body><main><h1>Book with {{ slug }}</h1>
{% for day, slots in days.items() %}
  <section><h2>{{ day }}</h2><ul class="slots">
  {% for slot in slots %}
    <li><a class="slot" href="{{ url_for('confirm', slug=slug, start=slot.isoformat()) }}">
      {{ slot.strftime("%I:%M %p") }}</a></li>
  {% endfor %}
  </ul></section>
{% endfor %}
</main></body></html>"""

SECTIONS = [
    {
        "title": f"Section {n}",
        "text": "Dry needling treats myofascial trigger points with thin filiform needles. " * 6,
        "links": [f"topic-{n}-{k}" for k in range(6)],
    }
    for n in range(5)
]


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str]
    last_name: Mapped[str]


class Visit(Base):
    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int]
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    status: Mapped[str]
    patient: Mapped[Patient] = relationship()


class Insert(Base):
    __tablename__ = "bench_bare_inserts"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(200))


@cache
def engine():
    made = create_engine(os.environ["DATABASE_URL"])
    if made.dialect.name == "sqlite":  # wait for the write lock as the app does, not fail

        @event.listens_for(made, "connect")
        def _wait_for_lock(dbapi_connection, _):
            dbapi_connection.execute("PRAGMA busy_timeout = 15000")

    return made


def create_table(database_url: str) -> None:
    """The table `POST /insert` writes; the bench makes it once, before the workers start."""
    made = create_engine(database_url)
    Insert.__table__.create(made, checkfirst=True)
    made.dispose()


def fake_week(slot_count: int) -> dict[str, list[datetime]]:
    """slot_count starts spread over five days, 15 minutes apart."""
    monday = datetime(2030, 1, 7, 13, tzinfo=UTC)
    days: dict[str, list[datetime]] = {}
    for n in range(slot_count):
        day = monday + timedelta(days=n % 5)
        days.setdefault(f"{day:%A %B %d}", []).append(day + timedelta(minutes=15 * (n // 5)))
    return days


def create_app() -> Flask:
    app = Flask(__name__)
    # Compiled once, as the app's are.
    app.jinja_loader = DictLoader(
        {"layout.html": LAYOUT, "page.html": PAGE, "rows.html": ROWS, "slots.html": SLOTS}
    )

    @app.get("/page", defaults={"section": "home"})
    @app.get("/page/<section>")
    def page(section: str):
        return render_template("page.html", heading=section.title(), sections=SECTIONS)

    @app.get("/rows")
    def rows():
        """The next 48 visits of one provider from a moment: the (provider_id, starts_at) index."""
        since = datetime.fromisoformat(request.args.get("since", "2000-01-01"))
        with Session(engine()) as session:
            found = session.scalars(
                select(Visit)
                .where(Visit.provider_id == request.args.get("provider", 1, type=int))
                .where(Visit.starts_at >= since)
                .options(joinedload(Visit.patient, innerjoin=True))
                .order_by(Visit.starts_at)
                .limit(48)
            ).all()
            return render_template("rows.html", rows=found)

    @app.post("/insert")
    def insert():
        with Session(engine()) as session:
            note = request.form.get("note", "")[:200]
            session.add(Insert(created_at=datetime.now(UTC), note=note))
            session.commit()
        return redirect(url_for("page", section="done"))

    @app.get("/book/<slug>")
    def choose_slot(slug: str):
        days = fake_week(request.args.get("slots", 40, type=int))
        return render_template("slots.html", slug=slug, days=days)

    @app.post("/book/<slug>/confirm")
    def confirm(slug: str):
        return redirect(url_for("choose_slot", slug=slug, start=request.form.get("start", "")))

    return app


app = create_app()
