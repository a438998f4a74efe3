"""Reading before the write lock: which POSTs may, and begin_write(keep_loaded=True)."""

import pytest
from sqlalchemy import event, select, update

from intake.database import _request_mode, begin_write, commit_if_only_read, in_ids, loaded_kept
from intake.extensions import db
from intake.models import Provider, User
from tests.services.test_write_transactions import try_to_lock


@pytest.mark.parametrize(
    ("method", "path", "mode"),
    [
        ("POST", "/book/ben/confirm", ""),  # marked locks_late: its service locks itself
        ("GET", "/book/ben/confirm", ""),
        ("POST", "/account/logout", "IMMEDIATE"),  # any other POST locks with its first read
        ("POST", "/account/appointments/1/cancel", "IMMEDIATE"),
    ],
)
def test_only_a_view_marked_locks_late_posts_without_the_lock_up_front(app, method, path, mode):
    with app.test_request_context(path, method=method):
        assert _request_mode() == mode


def test_outside_a_request_nothing_locks_up_front(app):
    with app.app_context():
        assert _request_mode() == ""


def lock_statement(sql: str) -> bool:
    return sql.startswith("BEGIN IMMEDIATE") or ("FOR UPDATE" in sql and "providers" in sql)


def test_keep_loaded_takes_the_lock_and_reads_nothing_again(app, make_provider, count_queries):
    ben = make_provider()
    with app.app_context():
        provider = db.session.get(Provider, ben.id)  # read in a transaction of its own
        with count_queries() as statements:
            begin_write(db.session, provider.id, keep_loaded=True)
            assert provider.display_name == ben.display_name
        assert len(statements) == 1 and lock_statement(statements[0])
        other = db.engine.connect()
        try:
            assert not try_to_lock(other, ben.id)
            db.session.rollback()
            assert try_to_lock(other, ben.id)
        finally:
            other.invalidate()  # its changed busy timeout must not go back to the pool
            other.close()


def test_without_keep_loaded_what_was_read_is_read_again(app, make_provider, count_queries):
    ben = make_provider()
    with app.app_context():
        provider = db.session.get(Provider, ben.id)
        with count_queries() as statements:
            begin_write(db.session, provider.id)
            assert provider.display_name == ben.display_name
        assert lock_statement(statements[0])
        assert len(statements) == 2 and "FROM providers" in statements[1]
        db.session.rollback()


def test_keep_loaded_never_commits_a_pending_change_outside_the_lock(app, make_provider):
    ben = make_provider()
    with app.app_context():
        provider = db.session.get(Provider, ben.id)
        provider.display_name = "Changed before the lock"
        begin_write(db.session, provider.id, keep_loaded=True)  # rolled back, as without it
        assert provider.display_name == ben.display_name
        db.session.rollback()
    with app.app_context():
        assert db.session.get(Provider, ben.id).display_name == ben.display_name


def test_a_commit_inside_loaded_kept_leaves_what_it_wrote_loaded(app, make_provider, count_queries):
    ben = make_provider()
    with app.app_context():
        provider = db.session.get(Provider, ben.id)
        provider.bio = "Treats shoulders too."
        with loaded_kept(db.session):
            db.session.commit()
        with count_queries() as statements:
            assert provider.bio == "Treats shoulders too."
        assert statements == []
        assert db.session().expire_on_commit  # only inside
        db.session.commit()
        with count_queries() as statements:
            assert provider.bio == "Treats shoulders too."
        assert len(statements) >= 1  # an ordinary commit expires, as before


# --- a page that only read ends with a commit ------------------------------------------------


@pytest.fixture
def endings(app):
    """How each transaction of the app's engine ends: "commit" or "rollback", in order."""
    seen = []
    with app.app_context():
        engine = db.engine

    def on_commit(_connection):
        seen.append("commit")

    def on_rollback(_connection):
        seen.append("rollback")

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


def test_a_page_that_only_read_commits_so_postgresql_keeps_its_prepared_statements(
    client, make_provider, endings
):
    """psycopg forgets every prepared statement on a ROLLBACK: a read ending that way made
    PostgreSQL plan each page's statements again on every request."""
    ben = make_provider()
    assert client.get(f"/providers/{ben.slug}").status_code == 200
    assert endings[:1] == ["commit"]


def test_a_transaction_that_wrote_or_holds_changes_is_never_committed_by_the_ending(
    app, make_provider
):
    ben = make_provider()
    with app.test_request_context("/"):
        provider = db.session.get(Provider, ben.id)
        provider.display_name = "Changed, not flushed"
        assert commit_if_only_read(db.session) is False  # pending: left for the rollback
        db.session.flush()
        assert commit_if_only_read(db.session) is False  # flushed: left for the rollback
        db.session.rollback()
        assert db.session.get(Provider, ben.id).display_name == ben.display_name
        assert commit_if_only_read(db.session) is True  # read only, in a new transaction


def test_a_page_whose_view_flushed_a_change_it_did_not_commit_loses_it(app, make_provider):
    """A GET view that changed a row and let autoflush write it, without committing, must
    not have the change committed for it at the end of the request."""
    ben = make_provider()

    @app.get("/test-only/flush-a-change")
    def flush_a_change():
        provider = db.session.get(Provider, ben.id)
        provider.display_name = "Written by a read"
        db.session.flush()
        return "flushed"

    assert app.test_client().get("/test-only/flush-a-change").status_code == 200
    with app.app_context():
        assert db.session.get(Provider, ben.id).display_name == ben.display_name


def test_a_page_whose_view_ran_an_update_it_did_not_commit_loses_it(app, make_provider):
    """The same for a statement run through the session: no flush, but a write all the same."""
    ben = make_provider()

    @app.get("/test-only/run-an-update")
    def run_an_update():
        db.session.execute(
            update(Provider).where(Provider.id == ben.id).values(display_name="Run by a read")
        )
        return "updated"

    assert app.test_client().get("/test-only/run-an-update").status_code == 200
    with app.app_context():
        assert db.session.get(Provider, ben.id).display_name == ben.display_name


def test_commits_sync_as_each_database_is_configured(app):
    """SQLite writes ahead and syncs at checkpoints (an fsync per commit lengthened the write
    lock every worker waits on); PostgreSQL keeps its own durable default."""
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        else:
            assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_ids_bound_as_one_parameter_select_exactly_those_rows(app, make_user, count_queries):
    """in_ids: an integer array on PostgreSQL, JSON read by json_each on SQLite; the same
    statement text whatever the number of ids."""
    users = [make_user() for _ in range(4)]
    wanted = [users[0].id, users[2].id, users[3].id]
    query = select(User.id).where(in_ids(User.id, "ids")).order_by(User.id)
    with app.app_context():
        with count_queries() as statements:
            assert db.session.scalars(query, {"ids": wanted}).all() == sorted(wanted)
            assert db.session.scalars(query, {"ids": wanted[:1]}).all() == wanted[:1]
            assert db.session.scalars(query, {"ids": []}).all() == []
        assert len({sql for sql in statements if "users" in sql}) == 1
