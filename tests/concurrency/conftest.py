"""A real threaded HTTP server around the test app, and signing in to it over HTTP."""

import threading

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import PASSWORD


@pytest.fixture
def server(app):
    """The app on a real threaded HTTP server, so requests truly run at the same time."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join()


def signed_in(server: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        f"{server}/account/login",
        data={"email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 302
    return session
