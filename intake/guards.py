"""Database triggers that keep records tamper-proof whatever code (or person) writes SQL.

Table names here are our own constants, never user input, hence the f-strings (ruff S608)."""

from sqlalchemy import DDL, Table, event

_POSTGRES_FUNCTIONS = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE FUNCTION refuse_change_once_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'published % rows cannot change', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
"""


def append_only_sql(table: str, dialect: str) -> list[str]:
    """No UPDATE and no DELETE, ever (see no_truncate_sql for PostgreSQL's TRUNCATE)."""
    if dialect == "postgresql":
        return [
            _POSTGRES_FUNCTIONS,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
        for op in ("UPDATE", "DELETE")
    ]


def no_truncate_sql(table: str) -> str:
    """Row triggers do not see TRUNCATE; a statement trigger does (PostgreSQL only)."""
    return (
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
    )


def frozen_once_published_sql(table: str, dialect: str) -> list[str]:
    """Drafts may change; a row with published_at set may not."""
    if dialect == "postgresql":
        return [
            _POSTGRES_FUNCTIONS,
            f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change_once_published()",
        ]
    return [
        f"CREATE TRIGGER {table}_frozen_{op.lower()} BEFORE {op} ON {table} "
        f"WHEN OLD.published_at IS NOT NULL "
        f"BEGIN SELECT RAISE(ABORT, 'published {table} rows cannot change'); END"
        for op in ("UPDATE", "DELETE")
    ]


def install(table: Table, make_sql) -> None:
    """Attach the triggers to the table's CREATE, for metadata.create_all (tests)."""
    for dialect in ("postgresql", "sqlite"):
        for statement in make_sql(table.name, dialect):
            # DDL() treats % as a format marker; the PL/pgSQL placeholders need escaping.
            ddl = DDL(statement.replace("%", "%%")).execute_if(dialect=dialect)
            event.listen(table, "after_create", ddl)


_HOLDING = "('requested', 'confirmed')"


def no_overlap_sql(table: str, dialect: str) -> list[str]:
    """One provider's holding appointments never overlap (buffers included)."""
    if dialect == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS btree_gist",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_no_overlap EXCLUDE USING gist "
            f"(provider_id WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&) "
            f"WHERE (status IN {_HOLDING})",
        ]
    # SQLite has one writer at a time, so a trigger that looks before writing is race-free.
    clash = (  # DDL from our own table names, never from input
        f"NEW.status IN {_HOLDING} AND EXISTS (SELECT 1 FROM {table} AS other "  # nosec
        f"WHERE other.provider_id = NEW.provider_id AND other.status IN {_HOLDING} "
        "AND other.starts_at < NEW.blocks_until AND NEW.starts_at < other.blocks_until{same})"
    )
    refuse = f"BEGIN SELECT RAISE(ABORT, '{table}_no_overlap: the provider is already booked'); END"
    return [
        f"CREATE TRIGGER {table}_no_overlap_insert BEFORE INSERT ON {table} "
        f"WHEN {clash.format(same='')} {refuse}",
        f"CREATE TRIGGER {table}_no_overlap_update BEFORE UPDATE OF starts_at, blocks_until, "
        f"status, provider_id ON {table} "
        f"WHEN {clash.format(same=' AND other.id != NEW.id')} {refuse}",
    ]


def install_no_truncate(table: Table) -> None:
    ddl = DDL(no_truncate_sql(table.name)).execute_if(dialect="postgresql")
    event.listen(table, "after_create", ddl)


def install_no_overlap(table: Table) -> None:
    install(table, no_overlap_sql)
