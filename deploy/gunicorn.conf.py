"""Gunicorn settings for the clinic app: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

import gc
import os

# Behind Caddy on the same machine; --bind on the command line wins (scripts/run uses it).
bind = "127.0.0.1:8000"
# Sync workers: the app does its slow work (email) in the outbox worker, not in requests.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# Long-lived workers slowly grow; recycle them, staggered so they never all restart at once.
max_requests = 2000
max_requests_jitter = 200

# The master builds the app once (imports, ZIP index, templates) and forks the workers from
# it: they share those pages copy-on-write and a recycled worker starts at once. The price:
# code changes need a restart of the service, not a HUP.
preload_app = True


# To stdout, which systemd sends to the journal. The logger class redacts reset and feed
# tokens from paths and referers and drops query strings: search boxes carry patients' names.
accesslog = "-"
errorlog = "-"
logger_class = "intake.access_log.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Gunicorn's control socket would live in $HOME, which the service user does not have (and
# ProtectSystem forbids); nothing here uses it.
control_socket_disable = True


def when_ready(server):
    """Every template compiled once in the master too, rather than in each worker on its
    first requests (~0.3 s and ~2 MB each). Without a preload, loading the app here would
    make one anyway."""
    if not server.cfg.preload_app:
        return
    jinja_env = server.app.wsgi().jinja_env
    for name in jinja_env.list_templates():
        jinja_env.get_template(name)


def pre_fork(server, worker):
    """The app's long-lived objects move out of the collector's reach, so a collection in a
    worker does not write to (and so copy) the pages it shares with the master."""
    gc.freeze()


def post_fork(server, worker):
    """A worker must never use a database connection inherited from the master: forget the
    master's pool without closing its connections (they are the master's) so that the
    worker opens its own. create_app opens none, so this is a safeguard."""
    from intake.extensions import db

    app = server.app.wsgi()
    if "sqlalchemy" not in app.extensions:  # bench/run serves its bare Flask app with this file
        return
    with app.app_context():
        db.engine.dispose(close=False)
