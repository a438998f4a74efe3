"""A bare Flask app to compare against: a page of slot links like /book/<slug>, and a POST that
only redirects. No database, no extensions: what Flask and Jinja cost on their own."""

from datetime import UTC, datetime, timedelta

from flask import Flask, redirect, render_template, request, url_for
from jinja2 import DictLoader

PAGE = """<!doctype html>
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
    app.jinja_loader = DictLoader({"slots.html": PAGE})  # compiled once, as the app's are

    @app.get("/book/<slug>")
    def choose_slot(slug: str):
        days = fake_week(request.args.get("slots", 40, type=int))
        return render_template("slots.html", slug=slug, days=days)

    @app.post("/book/<slug>/confirm")
    def confirm(slug: str):
        return redirect(url_for("choose_slot", slug=slug, start=request.form.get("start", "")))

    return app


app = create_app()
