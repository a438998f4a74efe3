"""The icon browsers ask for at /favicon.ico whatever the page links to."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("icons", __name__)

ONE_WEEK = 7 * 24 * 3600


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/x-icon", max_age=ONE_WEEK
    )
