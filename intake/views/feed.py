"""A therapist's private calendar feed: the secret token in the URL is the only key."""

from flask import Blueprint

bp = Blueprint("feed", __name__, url_prefix="/schedule/feed")
