"""The app for a real gunicorn in tests: its SQLite file named by INTAKE_TEST_SQLITE_FILE."""

import os

from intake import create_app

app = create_app(
    {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.environ['INTAKE_TEST_SQLITE_FILE']}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,  # the limiter is not what is under test here
    }
)
