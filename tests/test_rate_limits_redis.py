"""Several workers count wrong passwords together in Redis, so the login limit holds."""

import json
import subprocess
import sys
from uuid import uuid4

import pytest
import redis
from limits.storage import RedisStorage

from intake.extensions import limiter

REDIS_URL = "redis://127.0.0.1:6379"
# One prefix per run keeps other runs' and helpers' counters apart. Not one per test: the
# limiter is a single object per process and keeps the first RATELIMIT_KEY_PREFIX it is given.
PREFIX = f"intake-test-{uuid4().hex}"


@pytest.fixture
def shared_redis():
    """The Redis CI runs; if it is down this fails, as the limit would not hold in production."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    yield client, PREFIX
    for key in client.scan_iter(match=f"*{PREFIX}*"):
        client.delete(key)
    client.close()
    # The limiter is one object for every app in this process: let go of its connections.
    if isinstance(limiter.storage, RedisStorage):
        limiter.storage.get_connection().close()


def worker_settings(prefix: str) -> dict:
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
    }


def wrong_password(client, n: int) -> int:
    data = {"email": f"guess{n}@example.com", "password": "not the password"}
    return client.post("/account/login", data=data).status_code


def test_wrong_passwords_spread_over_two_workers_meet_one_limit(make_app, shared_redis):
    store, prefix = shared_redis
    workers = [make_app(**worker_settings(prefix)).test_client() for _ in range(2)]
    codes = [wrong_password(workers[n % 2], n) for n in range(11)]
    assert codes == [200] * 10 + [429]
    # The per-address counter (each guessed account also has a per-account one).
    address = [int(store.get(key)) for key in store.scan_iter(match=f"*{prefix}*127.0.0.1*")]
    assert sum(address) == 11, "every attempt is counted in Redis"


def test_a_worker_in_another_process_sees_the_same_count(make_app, shared_redis, database_url):
    _, prefix = shared_redis
    first = make_app(**worker_settings(prefix)).test_client()
    assert [wrong_password(first, n) for n in range(10)] == [200] * 10
    # A separate Python process, as a second gunicorn worker would be.
    settings = json.dumps(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": database_url,
            **worker_settings(prefix),
        }
    )
    script = (
        "import json, sys\n"
        "from intake import create_app\n"
        "client = create_app(json.loads(sys.argv[1])).test_client()\n"
        "data = {'email': 'guess10@example.com', 'password': 'not the password'}\n"
        "print(client.post('/account/login', data=data).status_code)\n"
    )
    done = subprocess.run(  # noqa: S603 - our own script and settings
        [sys.executable, "-c", script, settings], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "429", done.stderr[-2000:]
