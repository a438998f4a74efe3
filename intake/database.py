"""Engine behaviour per database: SQLite needs help to lock and to wait like a server does."""

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context, request
from sqlalchemy import Boolean, Engine, Integer, String, bindparam, column, event, select, table
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import scoped_session
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

SQLITE_BEGIN = "sqlite_begin"  # execution option: "IMMEDIATE" takes the write lock up front
_WRITING = "intake_write_transaction"  # session.info key: the transaction begin_write opened
_IMMEDIATE = "intake_began_immediate"  # connection.info key: this transaction holds the lock
_CLIENT_ADDRESS = "intake_client_address"  # session.info key: who this unit of work serves
_LOCKS_LATE = "intake_locks_late"  # view attribute: this POST reads unlocked, then locks itself
_FLUSHED_IN = "intake_flushed_in"  # session.info key: the transaction a flush last wrote in
_providers = table("providers", column("id"))
log = logging.getLogger(__name__)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction handling cannot lock early).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 15000")  # queue behind another writer, do not fail
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
    # With WAL, NORMAL syncs at checkpoints, not at every commit, and the file cannot be
    # corrupted: a crash of the app loses nothing; a power cut may lose the last commits.
    # The fsync was ~14% of a booking's time and lengthened the write lock every worker waits on.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "") or _request_mode()
    connection.info[_IMMEDIATE] = mode == "IMMEDIATE"
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def _request_mode() -> str:
    """A request that may change something takes the write lock with its first statement:
    whatever it reads, then writes, no other worker can have written in between (SQLite
    cannot upgrade a reader whose snapshot is stale, and busy_timeout does not help then).
    Reads (GET) stay deferred, so they never wait for a writer; so does a POST whose view
    is marked `locks_late`."""
    if not has_request_context() or request.method in ("GET", "HEAD", "OPTIONS"):
        return ""
    view = current_app.view_functions.get(request.endpoint)
    return "" if getattr(view, _LOCKS_LATE, False) else "IMMEDIATE"


def read_columns(session, statement, params: dict | None = None):
    """A select of plain columns (no entities) run on the session's own connection, in its
    transaction: the ORM's result handling cost ~30% more CPU on the queue's 50 rows of 19
    columns, for the same rows. Nothing pending is flushed first: for reading pages."""
    return session.connection().execute(statement, params)


def in_ids(column_, name: str) -> ColumnElement[bool]:
    """`column_ IN (ids)`, the ids bound as one parameter named `name` (a list of ints when
    run). An expanding IN rewrote the statement for each list, which cost the queue ~3% of
    its CPU, and gave PostgreSQL a new text to prepare for each length."""
    return _InIds(column_, bindparam(name, type_=_IdList()))


class _IdList(TypeDecorator):
    """A list of ids as one value: an integer array on PostgreSQL, JSON text elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Integer))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value, dialect):
        ids = [int(i) for i in value]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class _InIds(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it is, not "... = 1" on SQLite
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's traversal (and cache key) spec
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column_, ids):
        self.column = column_
        self.ids = ids


@compiles(_InIds)
def _in_json_each(element, compiler, **kw):  # SQLite: its json_each reads the list
    # Compiled SQL only: the column's name and the parameter's placeholder, never a value.
    column_, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column_} IN (SELECT value FROM json_each({ids}))"  # noqa: S608  # nosec


@compiles(_InIds, "postgresql")
def _equal_to_any(element, compiler, **kw):
    ids = compiler.process(element.ids, **kw)
    return f"{compiler.process(element.column, **kw)} = ANY ({ids})"


def locks_late(view: Callable) -> Callable:
    """Mark a POST view that reads without the SQLite write lock and takes it itself, through
    `begin_write(..., keep_loaded=True)`, only for its final check and its writes: other
    workers' writes need not wait while it reads. Its service must re-check under the lock
    whatever another worker could have changed meanwhile."""
    setattr(view, _LOCKS_LATE, True)
    return view


def begin_write(session, *provider_ids: int | None, keep_loaded: bool = False) -> None:
    """Start a fresh transaction in which what a service checks is still true when it writes.

    SQLite: BEGIN IMMEDIATE holds the one write lock from the first statement (a deferred
    transaction that read first cannot upgrade once another worker has written). PostgreSQL:
    the rows of the given providers are locked FOR UPDATE, so hours, time off and bookings of
    one provider run one at a time; without a provider it relies on constraints and revisions.
    A request that began with the SQLite write lock (a POST, see _request_mode) already
    holds it, and nothing it read can have changed: it keeps its transaction and what it
    loaded, rather than reading it all again.

    The transaction before is rolled back, which forgets everything loaded. `keep_loaded`:
    the caller has read what it needs (for a `locks_late` view, without the lock) and will
    not read it again, so a transaction that changed nothing ends with a commit that leaves
    it all loaded instead.
    """
    if _holds_sqlite_write_lock(session):
        session.info[_WRITING] = _plain(session).get_transaction()
        return
    if keep_loaded and not _pending(session):
        with loaded_kept(session):
            session.commit()
    else:
        session.rollback()
    connection = session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    session.info[_WRITING] = _plain(session).get_transaction()
    ids = sorted({i for i in provider_ids if i is not None})  # one order: no deadlock
    if ids and connection.dialect.name == "postgresql":
        session.execute(
            select(_providers.c.id)
            .where(_providers.c.id.in_(ids))
            .order_by(_providers.c.id)
            .with_for_update()
        )


@contextmanager
def loaded_kept(session) -> Iterator[None]:
    """Commits inside leave what the session holds as it was read or written, so nothing is
    read again after them (a rollback still forgets it all). Only for work that knows what it
    holds is still good enough: its own new rows, or reads it has already acted on."""
    plain = _plain(session)
    before, plain.expire_on_commit = plain.expire_on_commit, False
    try:
        yield
    finally:
        plain.expire_on_commit = before


def _pending(session) -> bool:
    plain = _plain(session)
    return bool(plain.new or plain.dirty or plain.deleted)


def _holds_sqlite_write_lock(session) -> bool:
    plain = _plain(session)
    if not plain.in_transaction():
        return False
    connection = plain.connection()
    return connection.dialect.name == "sqlite" and connection.info.get(_IMMEDIATE, False)


def in_write(session) -> bool:
    """Whether the session is inside a transaction that begin_write opened."""
    current = _plain(session).get_transaction()
    return current is not None and session.info.get(_WRITING) is current


def set_client_address(session, address: str) -> None:
    """The web layer names the client once per request; the audit trail reads it from the
    unit of work, so services need not know there is a request."""
    _plain(session).info[_CLIENT_ADDRESS] = address


def client_address(session) -> str:
    """The client this session works for; "" for the CLI and other work without a request."""
    return _plain(session).info.get(_CLIENT_ADDRESS, "")


def _plain(session):
    return session() if isinstance(session, scoped_session) else session


# --- ending a page's read -------------------------------------------------------------------


def register_read_endings(app, session) -> None:
    """A page that only read ends its transaction with a commit, not a rollback: the same
    for the data, but psycopg forgets every statement it had prepared on a ROLLBACK, so with
    rollbacks PostgreSQL parsed and planned each page's statements again on every request
    (0.7 ms of planning for the week view's visits alone). A request's teardown runs before
    the app context's, where Flask-SQLAlchemy removes the session."""
    if not event.contains(session, "after_flush", _note_flush):  # once, whatever the apps
        event.listen(session, "after_flush", _note_flush)
        event.listen(session, "do_orm_execute", _note_statement_write)

    @app.teardown_request
    def _end_read_with_commit(error):
        # A page served from the directory cache never made a session: none is made here.
        if error is None and request.method in ("GET", "HEAD") and session.registry.has():
            commit_if_only_read(session)


def _note_flush(session, _flush_context) -> None:
    session.info[_FLUSHED_IN] = session.get_transaction()


def _note_statement_write(state) -> None:
    """An INSERT, UPDATE or DELETE run through session.execute writes without a flush. It
    may be the first statement: the transaction it will run in is begun here to be named."""
    if state.is_insert or state.is_update or state.is_delete:
        session = state.session
        session.info[_FLUSHED_IN] = session.get_transaction() or session.begin()


def commit_if_only_read(session) -> bool:
    """Commit the transaction if it wrote nothing, nor holds anything to write; True if so.
    Anything else is left for the rollback that follows."""
    plain = _plain(session)
    current = plain.get_transaction()
    if current is None or not current.is_active or _pending(session):
        return False
    if plain.info.get(_FLUSHED_IN) is current:
        return False
    try:
        plain.commit()
    except SQLAlchemyError:  # the page is sent; the rollback after it cleans up
        log.warning("a page's read-only transaction did not commit", exc_info=False)
        return False
    return True
