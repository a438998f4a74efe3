"""The admin home: what there is to look after, with counts."""

from flask import render_template

from ...services import admin_clinic
from .blueprint import bp


@bp.get("")
def index():
    return render_template("admin/index.html", counts=admin_clinic.overview())
