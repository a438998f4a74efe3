"""With CSRF protection on, as in production, every POST without a token is refused."""

import pytest


def post_urls(app) -> list[str]:
    """Every POST route, with 1 for each URL argument (an int or a string both accept it)."""
    adapter = app.url_map.bind("localhost")
    return [
        adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1), method="POST")
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
    ]


@pytest.fixture
def protected_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_there_are_post_routes_to_protect(protected_app):
    assert {"/account/login", "/account/register", "/consent", "/intake"} <= set(
        post_urls(protected_app)
    )


def test_every_post_route_refuses_a_missing_token(protected_app):
    client = protected_app.test_client()
    for url in post_urls(protected_app):
        response = client.post(url, data={"email": "a@example.com"})
        assert response.status_code == 400, url
        assert "This form has expired" in response.get_data(as_text=True), url


def test_a_form_with_its_token_goes_through(protected_app, make_user):
    client = protected_app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    user = make_user()
    response = client.post(
        "/account/login",
        data={"email": user.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 302
