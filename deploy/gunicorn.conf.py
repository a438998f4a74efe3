"""Gunicorn settings for the clinic app: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

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

# To stdout, which systemd sends to the journal. The logger class redacts reset and feed
# tokens from paths and referers and drops query strings: search boxes carry patients' names.
accesslog = "-"
errorlog = "-"
logger_class = "intake.access_log.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Gunicorn's control socket would live in $HOME, which the service user does not have (and
# ProtectSystem forbids); nothing here uses it.
control_socket_disable = True
