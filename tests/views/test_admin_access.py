"""Only admins get into /admin: everyone else is refused, visitors are asked to sign in."""

import pytest

from intake.permissions import Role


def admin_pages(app) -> list[str]:
    """Every admin page a link can open (GET, no id in the path), read from the URL map, so a
    page added later is checked without anyone listing it here."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods and not rule.arguments
    )


def test_the_admin_area_is_all_found(app):
    pages = admin_pages(app)
    assert {"/admin", "/admin/users", "/admin/audit", "/admin/audit.csv"} <= set(pages)


@pytest.mark.parametrize("role", [Role.PATIENT, Role.FRONT_DESK, Role.THERAPIST])
def test_no_one_but_an_admin_may_open_administration(app, client, make_user, login_as, role):
    login_as(make_user(role))
    for url in admin_pages(app):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/locations/new", data={"name": "Sneaky"}).status_code == 403
    assert client.post("/admin/users/invite", data={"email": "x@example.org"}).status_code == 403


def test_a_visitor_is_sent_to_sign_in(app, client):
    for url in admin_pages(app):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/account/login"), url


def test_the_admin_home_links_every_area_with_its_numbers(
    client, make_user, login_as, make_location, make_type
):
    login_as(make_user(Role.ADMIN))
    make_location(name="Durham Central")
    make_type(active=True)
    make_type(active=False)
    page = client.get("/admin").get_data(as_text=True)
    for link in ("/admin/locations", "/admin/providers", "/admin/types", "/admin/consents"):
        assert f'href="{link}"' in page
    assert 'href="/admin/users"' in page and 'href="/admin/audit"' in page
    assert "1 clinic:" in page
    assert "1 offered for booking" in page
    assert "1 active staff account." in page


def test_signing_in_as_an_admin_lands_on_administration(client, make_user):
    admin = make_user(Role.ADMIN)
    response = client.post(
        "/account/login", data={"email": admin.email, "password": "correct horse battery"}
    )
    assert response.headers["Location"] == "/admin"
    assert client.get("/admin").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/locations/new",
        "/admin/providers/new",
        "/admin/types/new",
        "/admin/consents/new",
        "/admin/users/invite",
    ],
)
def test_an_admin_form_sent_back_with_mistakes_answers_400_and_a_fresh_one_200(
    client, make_user, login_as, path
):
    login_as(make_user(Role.ADMIN))
    assert client.get(path).status_code == 200
    response = client.post(path, data={})  # every required field left empty
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)


def test_a_role_change_that_is_refused_answers_400_on_the_staff_page(client, make_user, login_as):
    login_as(make_user(Role.ADMIN))
    desk = make_user(Role.FRONT_DESK)
    response = client.post(f"/admin/users/{desk.id}/role", data={"role": "superuser"})
    assert response.status_code == 400
    assert client.get(f"/admin/users/{desk.id}").status_code == 200
