"""A real threaded HTTP server around the test app, and signing in to it over HTTP."""

import pytest
import requests

from tests.conftest import PASSWORD


@pytest.fixture
def server(live_server):
    """The app on a real threaded HTTP server, so requests truly run at the same time."""
    return live_server


def signed_in(server: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        f"{server}/account/login",
        data={"email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 302
    return session
