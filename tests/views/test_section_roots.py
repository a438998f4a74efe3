"""Every section answers at its root with or without the slash: /admin/ lands on /admin."""

from intake.permissions import Role


def section_roots(app) -> list[str]:
    """Each blueprint's home page (a GET rule at its URL prefix), read from the URL map, so a
    section added later is walked without anyone listing it here."""
    prefixes = {blueprint.url_prefix for blueprint in app.blueprints.values()}
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule in prefixes and "GET" in rule.methods
    )


def test_every_section_root_answers_with_or_without_the_slash(app, client, make_user, login_as):
    roots = section_roots(app)
    assert {"/account", "/admin", "/book", "/providers", "/schedule", "/staff"} <= set(roots)
    login_as(make_user(Role.ADMIN))

    for root in roots:
        bare = client.get(root)
        slashed = client.get(f"{root}/?from=bookmark")

        assert bare.status_code != 404, root
        assert slashed.status_code == 308, root
        assert slashed.location == f"{root}?from=bookmark", root
        assert client.get(f"{root}/").location == root, root

    home = client.get("/admin/", follow_redirects=True)
    assert home.request.path == "/admin"
    assert home.status_code == 200
    assert "Administration" in home.get_data(as_text=True)


def test_a_slash_after_a_path_that_is_no_section_root_is_still_not_found(client):
    assert client.get("/records/").status_code == 404
    assert client.get("/admin/users/").status_code == 404
