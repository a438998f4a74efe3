"""Engine behaviour per database: SQLite needs help to lock and to wait like a server does."""

import sqlite3

from sqlalchemy import Engine, event

SQLITE_BEGIN = "sqlite_begin"  # execution option: "IMMEDIATE" takes the write lock up front


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
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def begin_write(session) -> None:
    """Start a fresh transaction that holds SQLite's write lock from its first statement, so
    what a service checks is still true when it writes (PostgreSQL relies on constraints)."""
    session.rollback()
    session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
