"""Public pages: home and the dry-needling education page."""

from flask import Blueprint, render_template

from .public_data import same_for_every_visitor

bp = Blueprint("public", __name__)


@bp.get("/")
@same_for_every_visitor
def home():
    return render_template("public/home.html")


@bp.get("/dry-needling")
@same_for_every_visitor
def dry_needling():
    return render_template("public/dry_needling.html")
