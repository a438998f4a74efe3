"""Security headers, HTTPS, no-store for personal pages, and compression where it is safe."""

import re

from flask import Flask, Response, current_app, g, redirect, request, session
from flask_login import current_user

from .extensions import CONTENT_SECURITY_POLICY, compress

ONE_YEAR = 365 * 24 * 3600

# Areas whose pages show a patient's or the clinic's private data, signed in or not.
PRIVATE_PATH = re.compile(
    r"^/(?:account|staff|schedule|admin|records|consent|intake)(?:/|$)|^/book/[^/]+/confirm$"
)
# Files the same for everyone: cacheable and compressible whoever asks.
PUBLIC_FILE_ENDPOINTS = frozenset({"static", "icons.favicon"})
# Pages the same for every anonymous visitor: a browser may keep them, asking each time
# whether they changed (ETag), so a repeat visit costs a 304 and no body.
PUBLIC_PAGE_ENDPOINTS = frozenset(
    {"public.home", "public.dry_needling", "providers.directory", "providers.profile"}
)
# Monitors may probe the app itself over plain http; the answer holds nothing private.
PLAIN_HTTP_ENDPOINTS = frozenset({"health.healthz"})


def content_security_policy(policy: dict[str, str | list[str]]) -> str:
    return "; ".join(
        f"{directive} {' '.join(value) if isinstance(value, list) else value}"
        for directive, value in policy.items()
    )


SECURITY_HEADERS = {
    "Content-Security-Policy": content_security_policy(CONTENT_SECURITY_POLICY),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    """Call before the other extensions: the redirect then runs before any check, and the
    headers hook after every other one (Flask runs after_request hooks in reverse)."""
    compress.init_app(app)
    if app.config["INTAKE_HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.before_request(redirect_to_https)
    app.after_request(finish)


def redirect_to_https():
    # is_secure follows X-Forwarded-Proto only when INTAKE_PROXY_HOPS trusts the proxy.
    if request.is_secure or request.endpoint in PLAIN_HTTP_ENDPOINTS:
        return None
    code = 301 if request.method in ("GET", "HEAD") else 308  # 308 keeps a POST a POST
    return redirect(request.url.replace("http://", "https://", 1), code=code)


def finish(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if current_app.config["INTAKE_HTTPS"] and request.is_secure:
        response.headers["Strict-Transport-Security"] = f"max-age={ONE_YEAR}; includeSubDomains"
    if may_hold_personal_data(response):
        # Never kept by a browser's back button, a shared computer or a proxy cache.
        response.headers["Cache-Control"] = "no-store"
    elif is_public_page(response):
        revalidate_public_page(response)
    if may_compress(response):
        response = compress_closing_files(response)
    return response


def is_public_page(response: Response) -> bool:
    return (
        request.endpoint in PUBLIC_PAGE_ENDPOINTS
        and request.method in ("GET", "HEAD")
        and response.status_code == 200
    )


def revalidate_public_page(response: Response) -> None:
    """ETag from the body: any change (an admin's edit, a new release) gives a new one.
    `no-cache` lets the browser keep the page but never use it unasked. Flask-Compress
    suffixes the ETag of a compressed page (":gzip") and answers that variant's 304 itself."""
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)


def compress_closing_files(response: Response) -> Response:
    # Flask-Compress wraps a file's chunks in a generator and drops the file itself, so the
    # file would stay open until garbage collection; close it with the response.
    inner = response.response if response.is_streamed else None
    response = compress.after_request(response)
    if inner is not None and inner is not response.response and hasattr(inner, "close"):
        response.call_on_close(inner.close)
    return response


def may_hold_personal_data(response: Response) -> bool:
    if sets_cookie(response):
        return True
    if request.endpoint in PUBLIC_FILE_ENDPOINTS:
        return False
    return (
        current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        or renders_csrf_token()
        or PRIVATE_PATH.match(request.path) is not None
        or current_user.is_authenticated
    )


def sets_cookie(response: Response) -> bool:
    """The session cookie is written after the after_request hooks, so ask Flask whether it
    will be; a shared cache must never hand one visitor's cookie to another."""
    if "Set-Cookie" in response.headers or session.modified:
        return True
    return bool(session) and current_app.session_interface.should_set_cookie(
        current_app, session._get_current_object()
    )


def renders_csrf_token() -> bool:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g


def may_compress(response: Response) -> bool:
    """BREACH reads a secret out of compressed pages that also reflect the attacker's input,
    by watching their sizes. Our secrets in a page are the CSRF token (Flask-WTF does not
    mask it per request) and a signed-in user's data, so those pages go uncompressed;
    anonymous pages without a form and our static files hold no secret."""
    if response.status_code != 200:
        return False  # a 206 range of a file must stay byte-exact
    if request.endpoint in PUBLIC_FILE_ENDPOINTS:
        return True
    return not renders_csrf_token() and not current_user.is_authenticated
