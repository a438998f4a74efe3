"""A gunicorn logger whose access lines carry no secrets: tokens in paths redacted, no queries."""

import re
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Paths whose next segment is a key to an account, a calendar, a check-in, an offer or forms: a
# reset link, a feed URL, the day-after check-in link, a waitlist offer, a forms-pending link.
# Repeated slashes and any case are matched too, so odd spellings of a link are caught as well.
_SECRET_SEGMENT = re.compile(
    r"^(/+account/+reset-password/+|/+schedule/+feed/+|/+check-in/+|/+waitlist/+offers/+|/+forms/+)"
    r"[^/]+",
    flags=re.IGNORECASE,
)
# Atoms that carry credentials or a URL; everything taken from the environ repeats them.
_DROPPED_HEADERS = ("{cookie}i", "{authorization}i", "{set-cookie}o")


def redact_path(path: str) -> str:
    """The path with any token segment replaced; query strings go too (search boxes carry
    names)."""
    path = path.split("?", 1)[0]
    return _SECRET_SEGMENT.sub(lambda match: match[1] + REDACTED, path)


def redact_url(url: str) -> str:
    """A Referer or Location: its path redacted, its query and fragment dropped."""
    if url in ("", "-"):
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, redact_path(parts.path), "", ""))


def _redact_args(args: tuple) -> tuple:
    return tuple(redact_path(a) if isinstance(a, str) and a.startswith("/") else a for a in args)


class RedactingLogger(Logger):
    """Gunicorn's logger with the request line, path, query and referer made safe to keep."""

    def exception(self, msg, *args, **kwargs):
        # A worker that fails on a request logs its URI ("Error handling request /...").
        super().exception(msg, *_redact_args(args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(msg, *_redact_args(args), **kwargs)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "")
        atoms["r"] = f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}"
        atoms["U"] = path
        atoms["q"] = ""
        atoms["f"] = redact_url(atoms["f"])
        for key in ("{referer}i", "{location}o"):
            if key in atoms:
                atoms[key] = redact_url(atoms[key])
        for key in [k for k in atoms if k.endswith("}e") or k in _DROPPED_HEADERS]:
            del atoms[key]
        return atoms
