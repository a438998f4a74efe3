"""Public pages: home and the dry-needling education page."""

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/dry-needling")
def dry_needling():
    return render_template("public/dry_needling.html")
