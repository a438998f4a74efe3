"""Every response: strict security headers, HTTPS when configured, no caching of personal pages,
a favicon, and compression only where it cannot leak a secret."""

import gzip
from pathlib import Path

import brotli
import pytest

STATIC = Path(__file__).parent.parent / "intake" / "static"


def fetch(client, path, **options):
    """A file response, read whole and closed (the test client leaves files open otherwise)."""
    response = client.get(path, **options)
    response.get_data()
    response.close()
    return response


def test_every_page_carries_the_strict_policy_and_companions(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # not under plain http


def test_error_pages_and_static_files_carry_the_policy_too(client):
    for path in ("/no-such-page", "/static/site.css"):
        assert "frame-ancestors 'none'" in fetch(client, path).headers["Content-Security-Policy"]


def test_public_pages_for_a_visitor_may_be_cached(client):
    for path in ("/", "/dry-needling", "/providers", "/static/site.css", "/favicon.ico"):
        response = fetch(client, path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path


@pytest.mark.parametrize(
    "path",
    ["/account/login", "/account/register", "/account/reset-password", "/staff/requests", "/admin"],
)
def test_private_areas_are_never_stored_even_for_a_visitor(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_booking_confirmation_is_never_stored(client, clinic):
    response = client.get(f"/book/{clinic.provider.slug}/confirm")
    assert response.headers["Cache-Control"] == "no-store"


def test_every_page_a_signed_in_patient_sees_is_never_stored(client, make_user, login_as):
    login_as(make_user())
    for path in ("/", "/providers", "/account"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    # The same stylesheet for everyone: a signed-in user does not make it private.
    assert "no-store" not in fetch(client, "/static/site.css").headers.get("Cache-Control", "")


def test_a_response_that_sets_the_session_cookie_is_never_stored(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    form = client.get("/account/login")
    assert "csrf_token" in form.get_data(as_text=True)
    assert "session=" in form.headers["Set-Cookie"]
    assert form.headers["Cache-Control"] == "no-store"
    # Any page asked for with that session could show its messages: not stored either.
    assert client.get("/dry-needling").headers["Cache-Control"] == "no-store"


def test_the_favicon_is_served_and_linked(client):
    icon = fetch(client, "/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/x-icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header, 3 sizes of the logo inside
    assert icon.cache_control.max_age == 7 * 24 * 3600
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert fetch(client, "/static/favicon.svg").mimetype == "image/svg+xml"


def test_a_public_page_is_gzipped_and_unpacks_to_the_same_html(client):
    plain = client.get("/dry-needling")
    packed = client.get("/dry-needling", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 2
    assert gzip.decompress(packed.data) == plain.data
    # Compression keeps the policy and the caching answer.
    assert packed.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]
    assert "no-store" not in packed.headers.get("Cache-Control", "")


def test_browsers_that_prefer_brotli_get_it(client):
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == client.get("/").data


def test_static_files_are_compressed_byte_exact(client):
    packed = fetch(client, "/static/site.css", headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == (STATIC / "site.css").read_bytes()


def test_a_signed_in_page_is_not_compressed(client, make_user, login_as):
    # It holds the sign-out form's CSRF token and the patient's data (BREACH).
    login_as(make_user())
    response = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert "Sign out" in response.get_data(as_text=True)


def test_a_page_with_a_csrf_token_is_not_compressed(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.get("/account/login", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in response.headers
    assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_under_https_plain_http_is_redirected(make_app):
    client = make_app(INTAKE_HTTPS=True).test_client()
    page = client.get("/providers?zip=27701")
    assert page.status_code == 301
    assert page.headers["Location"] == "https://localhost/providers?zip=27701"
    form = client.post("/account/login", data={"email": "a@example.com", "password": "x"})
    assert form.status_code == 308  # the browser repeats the POST over https
    assert form.headers["Location"] == "https://localhost/account/login"
    # A monitor probing the app directly still learns it is alive.
    assert client.get("/healthz").status_code == 200


def test_under_https_pages_carry_hsts_and_cookies_are_secure(make_app, make_user):
    user = make_user()
    client = make_app(INTAKE_HTTPS=True).test_client()
    page = client.get("/", base_url="https://localhost")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    signed_in = client.post(
        "/account/login",
        data={"email": user.email, "password": "correct horse battery", "remember": "y"},
        base_url="https://localhost",
    )
    assert signed_in.status_code == 302
    cookies = signed_in.headers.getlist("Set-Cookie")
    assert cookies, "signing in sets cookies"
    for cookie in cookies:
        assert "; Secure" in cookie and "; HttpOnly" in cookie, cookie.split("=")[0]
