"""/healthz tells a load balancer whether the app can reach its database."""

from sqlalchemy.engine import make_url

from intake import create_app
from intake.extensions import db
from tests.conftest import is_postgres, settings_for


def unreachable(database_url: str, tmp_path) -> str:
    if is_postgres(database_url):
        return make_url(database_url).set(port=1).render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'gone.sqlite'}"


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_is_503_when_the_database_is_unreachable(template_url, tmp_path):
    app = create_app(settings_for(unreachable(template_url, tmp_path)))
    response = app.test_client().get("/healthz")
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}
