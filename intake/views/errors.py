"""Error pages inside the site layout, never a bare traceback."""

from flask import Flask, Response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from ..extensions import db

MESSAGES = {
    400: ("Something in that request was not right", "Please go back and try again."),
    403: ("You do not have access to this page", "If you think you should, ask the clinic."),
    404: ("We could not find that page", "It may have moved, or the link may be mistyped."),
    405: ("That action is not allowed here", "Please use the page's own buttons and links."),
    409: ("That changed while you were looking", "Please reload the page and try again."),
    413: ("That was too large to send", "Please send something smaller."),
    429: ("Too many attempts", "Please wait a minute before trying again."),
    500: ("Something went wrong on our side", "It has been logged. Please try again shortly."),
}


def render_error(code: int, title: str | None = None, detail: str | None = None):
    default_title, default_detail = MESSAGES.get(code, MESSAGES[500])
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title or default_title,
            detail=detail or default_detail,
        ),
        code,
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            "This form has expired",
            "For your security, forms expire. Please go back, reload the page and send it again.",
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no site layout either.
        return Response(
            "This site does not answer for that host name.\n", 400, mimetype="text/plain"
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
