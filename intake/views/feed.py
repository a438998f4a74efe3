"""A therapist's private calendar feed: the secret token in the URL is the only key."""

from flask import Blueprint, Response, abort

from ..config import current_settings
from ..models import utcnow
from ..services import feed

bp = Blueprint("feed", __name__, url_prefix="/schedule/feed")


@bp.get("/<token>.ics")
def calendar(token: str):
    provider = feed.provider_for_token(token) or abort(404)
    return Response(
        feed.feed_calendar(provider, utcnow(), current_settings()),
        content_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'inline; filename="schedule.ics"',
            "X-Robots-Tag": "noindex",
        },
    )
