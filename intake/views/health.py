"""Liveness and database reachability for load balancers and monitors."""

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        return jsonify(status="error"), 503
    return jsonify(status="ok")
