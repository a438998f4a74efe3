"""deploy/gunicorn.conf.py preloads the app and keeps each worker off the master's connections."""

import gc
import runpy
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text

from intake import create_app
from intake.extensions import db
from tests.conftest import settings_for

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    return runpy.run_path(str(CONFIG))


def master(load, preload_app=True):
    """What the hooks get from gunicorn: the arbiter, whose app loads (once) the Flask app."""
    return SimpleNamespace(
        app=SimpleNamespace(wsgi=load), cfg=SimpleNamespace(preload_app=preload_app)
    )


def test_the_app_is_loaded_once_in_the_master(settings):
    assert settings["preload_app"] is True


def test_create_app_leaves_the_master_no_connection_and_no_thread(database_url):
    threads = set(threading.enumerate())
    app = create_app(settings_for(database_url))
    with app.app_context():
        pool = db.engine.pool
        assert (pool.checkedin(), pool.checkedout()) == (0, 0)
    assert set(threading.enumerate()) == threads


def test_post_fork_drops_the_inherited_pool_without_closing_its_connections(settings, app):
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.remove()
        inherited = db.engine.pool
    assert inherited.checkedin() == 1
    closed = []
    event.listen(inherited, "close", lambda *_: closed.append(True))

    settings["post_fork"](master(lambda: app), SimpleNamespace())

    with app.app_context():
        assert db.engine.pool is not inherited
        assert db.engine.pool.checkedin() == 0
    assert closed == []  # closing them would close the master's sockets too
    inherited.dispose()  # the test plays the master too: its connection is closed here


def test_when_ready_compiles_every_template_before_the_workers_fork(settings, app):
    settings["when_ready"](master(lambda: app))
    names = app.jinja_env.list_templates()
    assert len(names) > 20
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert compiled == set(names)


def test_without_a_preload_when_ready_leaves_loading_the_app_to_the_workers(settings):
    loads = []
    settings["when_ready"](master(lambda: loads.append("app"), preload_app=False))
    assert loads == []


def test_pre_fork_freezes_what_the_master_holds(settings, monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    settings["pre_fork"](SimpleNamespace(), SimpleNamespace())
    assert frozen == [True]
